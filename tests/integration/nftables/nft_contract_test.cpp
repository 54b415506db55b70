// The Datapath contract's cases (support/datapath_contract.hpp) against NftDatapath, each in a
// fresh private network namespace.
#include "nft_fixture.hpp"
#include "support/datapath_contract.hpp"

namespace lvscare::nftables {
namespace {

class NftContractTest : public NftDatapathTest, public ::testing::WithParamInterface<testing::ContractParam> {};

TEST_P(NftContractTest, KeepsTheContract) {
  testing::DatapathSubject subject(*datapath_);
  testing::runContractCase(subject, GetParam());
}

INSTANTIATE_TEST_SUITE_P(DatapathContract, NftContractTest, testing::contractParams(), testing::contractParamName);

}  // namespace
}  // namespace lvscare::nftables
