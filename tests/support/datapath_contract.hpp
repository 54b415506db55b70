// The Datapath contract (lvscare/datapath_model.hpp) as one list of cases, run unchanged against the
// model and FakeDatapath (unit), NftDatapath in a private netns (root) and IpvsDatapath in the VM.
// Each case is a list of ops with the answer each must get and the state they leave. A test makes
// a fresh, empty subject per case and calls runContractCase:
//
//   class MyContractTest : public MyFixture, public ::testing::WithParamInterface<ContractParam> {};
//   TEST_P(MyContractTest, KeepsTheContract) {
//     DatapathSubject subject(*datapath_);
//     runContractCase(subject, GetParam());
//   }
//   INSTANTIATE_TEST_SUITE_P(DatapathContract, MyContractTest, contractParams(), contractParamName);
#pragma once

#include <algorithm>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "lvscare/datapath.hpp"
#include "lvscare/datapath_model.hpp"

namespace lvscare::testing {

// What a case runs against: a datapath, or the model itself.
class ContractSubject {
 public:
  virtual ~ContractSubject() = default;
  virtual std::vector<Result<void>> apply(std::span<const DatapathOp> ops) = 0;
  // Everything the subject holds, as the model would hold it.
  virtual Result<DatapathModel> read() = 0;
};

class ModelSubject final : public ContractSubject {
 public:
  std::vector<Result<void>> apply(std::span<const DatapathOp> ops) override {
    std::vector<Result<void>> results;
    for (const auto& op : ops) results.push_back(model_.apply(op));
    return results;
  }
  Result<DatapathModel> read() override { return model_; }

 private:
  DatapathModel model_;
};

// A Datapath read back through its own listings.
class DatapathSubject final : public ContractSubject {
 public:
  explicit DatapathSubject(Datapath& datapath) : datapath_(datapath) {}
  std::vector<Result<void>> apply(std::span<const DatapathOp> ops) override { return datapath_.apply(ops); }
  Result<DatapathModel> read() override {
    auto services = datapath_.listVirtualServers();
    if (!services) return passOn(services);
    DatapathModel model;
    for (const auto& service : *services) {
      auto listed = datapath_.listRealServers(service.key);
      if (!listed) return passOn(listed);
      ServiceState state{service, {}};
      for (const auto& status : *listed) state.reals.push_back(status.server);
      expectOneReadAgrees(service, *listed);
      std::sort(state.reals.begin(), state.reals.end(),
                [](const RealServer& a, const RealServer& b) { return a.endpoint < b.endpoint; });
      model.set(std::move(state));
    }
    // A virtual server no case ever makes reads as missing, not as an error.
    auto absent = datapath_.readVirtualServer(ServiceKey{Protocol::Tcp, Endpoint::parse("192.0.2.254:1").value()});
    EXPECT_TRUE(absent && !absent->exists) << (absent ? "exists" : absent.error().describe());
    return model;
  }

 private:
  // readVirtualServer (the care loop's read) says what getVirtualServer and listRealServers say.
  void expectOneReadAgrees(const VirtualServer& service, const std::vector<RealServerStatus>& listed) {
    auto read = datapath_.readVirtualServer(service.key);
    ASSERT_TRUE(read) << read.error().describe();
    EXPECT_TRUE(read->exists) << service.key.toString();
    EXPECT_EQ(read->service, service);
    ASSERT_EQ(read->reals.size(), listed.size()) << service.key.toString();
    for (std::size_t i = 0; i < listed.size(); ++i) EXPECT_EQ(read->reals[i].server, listed[i].server);
  }

  Datapath& datapath_;
};

struct ContractStep {
  DatapathOp op;
  std::optional<Errc> refused;  // std::nullopt: the op succeeds
};

struct ContractCase {
  std::string name;
  std::vector<ContractStep> steps;
  std::vector<ServiceState> after;  // what the subject holds afterwards
};

inline void PrintTo(const ContractCase& contractCase, std::ostream* out) { *out << contractCase.name; }

// All steps in one apply() (each op sees the ones before it; a refused op does not stop the rest),
// or one apply() per step.
enum class ContractMode : std::uint8_t { OneBatch, OneByOne };

using ContractParam = std::tuple<ContractCase, ContractMode>;

namespace contract {

inline Endpoint endpoint(const char* text) { return Endpoint::parse(text).value(); }
inline ServiceKey key(const char* vip, Protocol protocol = Protocol::Tcp) {
  return ServiceKey{protocol, endpoint(vip)};
}
inline VirtualServer service(const char* vip, const char* scheduler = "rr", Protocol protocol = Protocol::Tcp) {
  VirtualServer out;
  out.key = key(vip, protocol);
  out.scheduler = scheduler;
  return out;
}
inline RealServer real(const char* text, std::uint32_t weight = 1) {
  RealServer out;
  out.endpoint = endpoint(text);
  out.weight = weight;
  return out;
}
inline ContractStep ok(DatapathOp op) { return ContractStep{std::move(op), std::nullopt}; }
inline ContractStep refused(DatapathOp op, Errc code) { return ContractStep{std::move(op), code}; }
inline DatapathOp addService(const VirtualServer& vs) { return DatapathOp::addVirtualServer(vs); }
inline DatapathOp updateService(const VirtualServer& vs) { return DatapathOp::updateVirtualServer(vs); }
inline DatapathOp deleteService(const VirtualServer& vs) { return DatapathOp::deleteVirtualServer(vs.key); }
inline DatapathOp addReal(const VirtualServer& vs, const RealServer& rs) {
  return DatapathOp::addRealServer(vs.key, rs);
}
inline DatapathOp updateReal(const VirtualServer& vs, const RealServer& rs) {
  return DatapathOp::updateRealServer(vs.key, rs);
}
inline DatapathOp deleteReal(const VirtualServer& vs, const RealServer& rs) {
  return DatapathOp::deleteRealServer(vs.key, rs.endpoint);
}

}  // namespace contract

// Inputs every datapath can express: rr/wrr, masquerade, no thresholds or persistence.
inline std::vector<ContractCase> datapathContractCases() {
  using namespace contract;
  const auto a = service("10.0.0.1:80");
  const auto aWrr = service("10.0.0.1:80", "wrr");
  const auto b = service("10.0.0.2:80");
  const auto a81 = service("10.0.0.1:81");
  const auto aUdp = service("10.0.0.1:80", "rr", Protocol::Udp);
  const auto v6 = service("[fd00::1]:443");
  const auto r1 = real("10.0.1.1:80");
  const auto r2 = real("10.0.1.2:80");
  const auto r1Alt = real("10.0.1.1:8080");
  const auto r6 = real("[fd00::2]:6443");
  auto weighted = [](RealServer rs, std::uint32_t weight) {
    rs.weight = weight;
    return rs;
  };
  return {
      {"AddServiceTwiceIsExists", {ok(addService(a)), refused(addService(a), Errc::Exists)}, {{a, {}}}},
      {"UpdateMissingServiceIsNotFound", {refused(updateService(b), Errc::NotFound)}, {}},
      {"DeleteMissingServiceIsNotFound", {ok(addService(a)), refused(deleteService(b), Errc::NotFound)}, {{a, {}}}},
      {"AddRealToMissingServiceIsNotFound", {refused(addReal(b, r1), Errc::NotFound)}, {}},
      {"UpdateRealOnMissingServiceIsNotFound", {refused(updateReal(b, r1), Errc::NotFound)}, {}},
      {"DeleteRealOnMissingServiceIsNotFound", {refused(deleteReal(b, r1), Errc::NotFound)}, {}},
      {"AddRealTwiceIsExistsAndKeepsTheFirst",
       {ok(addService(a)), ok(addReal(a, r1)), refused(addReal(a, weighted(r1, 5)), Errc::Exists)},
       {{a, {r1}}}},
      {"UpdateMissingRealIsNotFound",
       {ok(addService(a)), ok(addReal(a, r1)), refused(updateReal(a, r2), Errc::NotFound)},
       {{a, {r1}}}},
      {"DeleteMissingRealIsNotFound",
       {ok(addService(a)), ok(addReal(a, r1)), refused(deleteReal(a, r2), Errc::NotFound)},
       {{a, {r1}}}},
      {"EditRealChangesItsWeight",
       {ok(addService(a)), ok(addReal(a, r1)), ok(updateReal(a, weighted(r1, 3))), ok(updateReal(a, weighted(r1, 3)))},
       {{a, {weighted(r1, 3)}}}},
      {"WeightZeroStaysListed",
       {ok(addService(a)), ok(addReal(a, weighted(r1, 0))), ok(addReal(a, r2)), ok(updateReal(a, weighted(r2, 0)))},
       {{a, {weighted(r1, 0), weighted(r2, 0)}}}},
      {"UpdateServiceKeepsItsReals",
       {ok(addService(a)), ok(addReal(a, r2)), ok(addReal(a, r1)), ok(updateService(aWrr)), ok(updateService(aWrr))},
       {{aWrr, {r1, r2}}}},
      {"DeleteServiceDeletesItsReals",
       {ok(addService(a)), ok(addReal(a, r1)), ok(addReal(a, r2)), ok(deleteService(a)),
        refused(deleteReal(a, r1), Errc::NotFound), ok(addService(a))},
       {{a, {}}}},
      {"DeletedRealCanComeBack",
       {ok(addService(a)), ok(addReal(a, weighted(r1, 2))), ok(deleteReal(a, r1)),
        refused(deleteReal(a, r1), Errc::NotFound), ok(addReal(a, r1))},
       {{a, {r1}}}},
      {"OneBackendOnTwoServicesIsTwoReals",
       {ok(addService(a)), ok(addService(b)), ok(addReal(a, r1)), ok(addReal(b, r1)), ok(deleteReal(a, r1))},
       {{a, {}}, {b, {r1}}}},
      {"ServicesDifferByPortAndProtocol",
       {ok(addService(a)), ok(addService(a81)), ok(addService(aUdp)), refused(addService(a81), Errc::Exists),
        ok(addReal(aUdp, r1))},
       {{a, {}}, {a81, {}}, {aUdp, {r1}}}},
      {"RealsDifferByPort",
       {ok(addService(a)), ok(addReal(a, r1)), ok(addReal(a, r1Alt)), ok(deleteReal(a, r1))},
       {{a, {r1Alt}}}},
      {"Ipv6ServiceAndReal",
       {ok(addService(v6)), ok(addReal(v6, r6)), refused(addReal(v6, r6), Errc::Exists),
        refused(addService(v6), Errc::Exists)},
       {{v6, {r6}}}},
      {"RefusedOpsLeaveTheRestApplied",
       {ok(addService(a)), refused(addService(a), Errc::Exists), ok(addReal(a, r1)),
        refused(deleteService(b), Errc::NotFound), refused(addReal(b, r2), Errc::NotFound), ok(addReal(a, r2)),
        ok(addService(b))},
       {{a, {r1, r2}}, {b, {}}}},
  };
}

inline auto contractParams() {
  return ::testing::Combine(::testing::ValuesIn(datapathContractCases()),
                            ::testing::Values(ContractMode::OneBatch, ContractMode::OneByOne));
}

inline std::string contractParamName(const ::testing::TestParamInfo<ContractParam>& info) {
  const auto& [contractCase, mode] = info.param;
  return contractCase.name + (mode == ContractMode::OneBatch ? "_OneBatch" : "_OneByOne");
}

inline std::string describeStep(const ContractStep& step) {
  return step.op.toString() + (step.refused ? " -> " + std::string(toString(*step.refused)) : " -> ok");
}

// Runs the case against `subject`, which must start empty.
inline void runContractCase(ContractSubject& subject, const ContractParam& param) {
  const auto& [contractCase, mode] = param;
  std::vector<DatapathOp> ops;
  for (const auto& step : contractCase.steps) ops.push_back(step.op);
  std::vector<Result<void>> results;
  if (mode == ContractMode::OneBatch) {
    results = subject.apply(ops);
  } else {
    for (const auto& op : ops) {
      auto one = subject.apply(std::span<const DatapathOp>(&op, 1));
      ASSERT_EQ(one.size(), 1u) << op.toString();
      results.push_back(std::move(one.front()));
    }
  }
  ASSERT_EQ(results.size(), ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const auto& want = contractCase.steps[i].refused;
    SCOPED_TRACE("step " + std::to_string(i) + ": " + describeStep(contractCase.steps[i]));
    if (!want) {
      EXPECT_TRUE(results[i]) << results[i].error().describe();
    } else if (results[i]) {
      ADD_FAILURE() << "succeeded; want " << toString(*want);
    } else {
      EXPECT_EQ(results[i].error().code, *want) << results[i].error().describe();
    }
  }
  DatapathModel wanted;
  for (const auto& state : contractCase.after) wanted.set(state);
  auto held = subject.read();
  ASSERT_TRUE(held) << held.error().describe();
  EXPECT_EQ(*held, wanted) << "holds:\n" << held->toString() << "want:\n" << wanted.toString();
}

}  // namespace lvscare::testing
