// The Datapath contract's model: its wording once here, and the contract's cases
// (support/datapath_contract.hpp) against the model and against FakeDatapath, which is the model.
#include <gtest/gtest.h>

#include "lvscare/datapath_model.hpp"
#include "testing/fake_datapath.hpp"
#include "support/datapath_contract.hpp"

namespace lvscare {
namespace {

using namespace testing::contract;

TEST(DatapathModelTest, RefusalsAreWordedOnce) {
  DatapathModel model;
  const auto a = service("10.0.0.1:80");
  ASSERT_TRUE(model.apply(addService(a)));
  ASSERT_TRUE(model.apply(addReal(a, real("10.0.1.1:80"))));
  const std::vector<std::pair<DatapathOp, std::string>> refusals = {
      {addService(a), "virtual server TCP 10.0.0.1:80 exists"},
      {updateService(service("10.0.0.2:80")), "virtual server TCP 10.0.0.2:80 does not exist"},
      {deleteService(service("10.0.0.2:80")), "virtual server TCP 10.0.0.2:80 does not exist"},
      {addReal(service("10.0.0.2:80"), real("10.0.1.1:80")), "virtual server TCP 10.0.0.2:80 does not exist"},
      {addReal(a, real("10.0.1.1:80", 4)), "real server 10.0.1.1:80 on TCP 10.0.0.1:80 exists"},
      {updateReal(a, real("10.0.1.9:80")), "real server 10.0.1.9:80 on TCP 10.0.0.1:80 does not exist"},
      {deleteReal(a, real("10.0.1.9:80")), "real server 10.0.1.9:80 on TCP 10.0.0.1:80 does not exist"},
  };
  const DatapathModel before = model;
  for (const auto& [op, message] : refusals) {
    auto refused = model.apply(op);
    ASSERT_FALSE(refused) << op.toString();
    EXPECT_EQ(refused.error().message, message);
    EXPECT_EQ(refused.error().sysErrno, 0);
    EXPECT_EQ(model, before) << op.toString();
  }
  EXPECT_EQ(absentService(key("10.0.0.3:80")).value().message, "virtual server TCP 10.0.0.3:80 does not exist");
}

// Issue 14, item 9: a sync of n real-server ops must not copy the list once per op (10,000 real
// servers took 58 s). The admission check sees the model's own list, changed in place (and undone
// on refusal), not a copy made for it.
TEST(DatapathModelTest, RealServerOpsChangeTheListInPlace) {
  DatapathModel model;
  const auto a = service("10.0.0.1:80");
  ASSERT_TRUE(model.apply(addService(a)));
  const std::vector<RealServer>* seen = nullptr;
  const auto admit = [&](const ServiceState& next) -> Result<void> {
    seen = &next.reals;
    return {};
  };
  for (const auto& op :
       {addReal(a, real("10.0.1.1:80")), updateReal(a, real("10.0.1.1:80", 3)), deleteReal(a, real("10.0.1.1:80"))}) {
    seen = nullptr;
    ASSERT_TRUE(model.apply(op, admit)) << op.toString();
    EXPECT_EQ(seen, &model.find(a.key)->reals) << op.toString() << ": admitted a copy";
  }
}

TEST(DatapathModelTest, AdmissionSeesTheServiceAsTheOpWouldLeaveItAndCanRefuse) {
  DatapathModel model;
  const auto a = service("10.0.0.1:80");
  std::vector<ServiceState> seen;
  const DatapathModel::Admission record = [&](const ServiceState& next) -> Result<void> {
    seen.push_back(next);
    return {};
  };
  ASSERT_TRUE(model.apply(addService(a), record));
  ASSERT_TRUE(model.apply(addReal(a, real("10.0.1.2:80")), record));
  ASSERT_TRUE(model.apply(addReal(a, real("10.0.1.1:80")), record));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen.back(), (ServiceState{a, {real("10.0.1.1:80"), real("10.0.1.2:80")}}));

  const DatapathModel before = model;
  const DatapathModel::Admission refuse = [](const ServiceState&) -> Result<void> {
    return fail(Errc::InvalidArgument, "over the limit");
  };
  EXPECT_EQ(model.apply(updateReal(a, real("10.0.1.1:80", 9)), refuse).error().message, "over the limit");
  EXPECT_EQ(model.apply(updateService(service("10.0.0.1:80", "wrr")), refuse).error().message, "over the limit");
  EXPECT_EQ(model, before);
  // The contract's own refusals come first: the admission is not asked about an op that is refused anyway.
  EXPECT_EQ(model.apply(addService(a), refuse).error().code, Errc::Exists);
  // Deleting the service leaves nothing to admit.
  EXPECT_TRUE(model.apply(deleteService(a), refuse));
  EXPECT_TRUE(model.empty());
}

TEST(DatapathModelTest, RealsStaySortedByEndpointAndFindable) {
  DatapathModel model;
  const auto a = service("10.0.0.1:80");
  ASSERT_TRUE(model.apply(addService(a)));
  for (const char* rs : {"10.0.1.3:80", "10.0.1.1:80", "10.0.1.2:80", "10.0.1.1:79"})
    ASSERT_TRUE(model.apply(addReal(a, real(rs))));
  const auto* state = model.find(a.key);
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(state->reals, (std::vector<RealServer>{real("10.0.1.1:79"), real("10.0.1.1:80"), real("10.0.1.2:80"),
                                                   real("10.0.1.3:80")}));
  ASSERT_NE(state->findReal(endpoint("10.0.1.2:80")), nullptr);
  EXPECT_EQ(state->findReal(endpoint("10.0.1.9:80")), nullptr);
  EXPECT_EQ(model.find(key("10.0.0.9:80")), nullptr);
}

class ModelContractTest : public ::testing::TestWithParam<testing::ContractParam> {};
TEST_P(ModelContractTest, KeepsTheContract) {
  testing::ModelSubject subject;
  testing::runContractCase(subject, GetParam());
}
INSTANTIATE_TEST_SUITE_P(DatapathContract, ModelContractTest, testing::contractParams(), testing::contractParamName);

class FakeDatapathContractTest : public ::testing::TestWithParam<testing::ContractParam> {};
TEST_P(FakeDatapathContractTest, KeepsTheContract) {
  FakeDatapath datapath;
  testing::DatapathSubject subject(datapath);
  testing::runContractCase(subject, GetParam());
}
INSTANTIATE_TEST_SUITE_P(DatapathContract, FakeDatapathContractTest, testing::contractParams(),
                         testing::contractParamName);

}  // namespace
}  // namespace lvscare
