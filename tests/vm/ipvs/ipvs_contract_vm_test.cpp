// The Datapath contract's cases (support/datapath_contract.hpp) against the kernel's IPVS, each on
// a flushed table.
#include "support/datapath_contract.hpp"
#include "vm_fixture.hpp"

namespace lvscare::testing {
namespace {

class IpvsContractVmTest : public IpvsVmTest, public ::testing::WithParamInterface<ContractParam> {};

TEST_P(IpvsContractVmTest, KeepsTheContract) {
  DatapathSubject subject(*datapath_);
  runContractCase(subject, GetParam());
}

INSTANTIATE_TEST_SUITE_P(DatapathContract, IpvsContractVmTest, contractParams(), contractParamName);

}  // namespace
}  // namespace lvscare::testing
