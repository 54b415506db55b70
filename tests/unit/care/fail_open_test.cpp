// Fail-open (issue 11, item 1): when every real server has been checked and none passes, all are
// kept at weight 1; the first pass ends it. The pure rule on DesiredState, then the care loop on
// the fake clock: start-up with every server failing, every server failing later, one
// recovering, --run-once (the k3s case: /healthz answers 401 everywhere), and strict mode.
#include <gtest/gtest.h>

#include <algorithm>

#include "care/care_loop.hpp"
#include "care/desired_state.hpp"
#include "testing/fake_datapath.hpp"
#include "testing/fake_dispatcher.hpp"
#include "testing/fake_prober.hpp"
#include "lvscare/log.hpp"
#include "log_capture.hpp"

namespace lvscare::care {
namespace {

using namespace std::chrono_literals;
using event::FakeDispatcher;
using health::CheckEvent;
using health::FakeProbers;
using health::Verdict;

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

CheckEvent check(const Endpoint& target, bool healthy, Verdict verdict, std::string detail = {}) {
  CheckEvent event;
  event.target = target;
  event.result.healthy = healthy;
  event.result.detail = std::move(detail);
  event.verdict = verdict;
  return event;
}

VirtualServer vip() {
  VirtualServer vs;
  vs.key.endpoint = ep("10.103.97.2:6443");
  return vs;
}

std::vector<std::pair<Endpoint, std::uint32_t>> weights(const DesiredState& state) {
  std::vector<std::pair<Endpoint, std::uint32_t>> out;
  for (const RealServer& rs : state.desiredReals()) out.emplace_back(rs.endpoint, rs.weight);
  return out;
}

const Endpoint a = ep("192.168.0.2:6443");
const Endpoint b = ep("192.168.0.3:6443");

TEST(FailOpenRuleTest, OnlyOnceEveryServerWasCheckedAndNonePasses) {
  DesiredState state(vip(), {a, b}, /*failOpen=*/true);
  EXPECT_FALSE(state.failingOpen());  // no checks yet: nothing is known
  state.onCheck(check(a, false, Verdict::Unhealthy, "HTTP 401"));
  EXPECT_FALSE(state.failingOpen());  // b not checked yet
  EXPECT_TRUE(state.desiredReals().empty());
  state.onCheck(check(b, false, Verdict::Unhealthy, "connect: Connection refused"));
  EXPECT_TRUE(state.failingOpen());
  EXPECT_EQ(state.phase(a), ServerPhase::Removed);  // the phases move as usual
  const std::vector<std::pair<Endpoint, std::uint32_t>> all{{a, 1}, {b, 1}};
  EXPECT_EQ(weights(state), all);
  EXPECT_EQ(state.lastFailure(a), "HTTP 401");
  EXPECT_EQ(state.lastFailure(b), "connect: Connection refused");

  state.onCheck(check(b, true, Verdict::Healthy, "HTTP 200"));  // one passes: the usual rules
  EXPECT_FALSE(state.failingOpen());
  const std::vector<std::pair<Endpoint, std::uint32_t>> onlyB{{b, 1}};
  EXPECT_EQ(weights(state), onlyB);
  EXPECT_EQ(state.lastFailure(b), "");
}

TEST(FailOpenRuleTest, StrictStateNeverFailsOpen) {
  DesiredState state(vip(), {a, b});
  state.onCheck(check(a, false, Verdict::Unhealthy));
  state.onCheck(check(b, false, Verdict::Unhealthy));
  EXPECT_FALSE(state.failingOpen());
  EXPECT_TRUE(state.desiredReals().empty());
}

TEST(FailOpenRuleTest, FailingBelowTheFallThresholdDoesNotCountAsPassing) {
  // fall=3: the first failure leaves a new server Pending with no verdict; it has not passed.
  DesiredState state(vip(), {a}, true);
  state.onCheck(check(a, false, Verdict::Unknown, "HTTP 500"));
  EXPECT_EQ(state.phase(a), ServerPhase::Pending);
  EXPECT_TRUE(state.failingOpen());
  // An adopted Active server failing below `fall` still passes as far as the rules go.
  DesiredState adopted(vip(), {a}, true);
  std::vector<RealServerStatus> kernel(1);
  kernel[0].server.endpoint = a;
  kernel[0].server.weight = 1;
  adopted.adopt(kernel);
  adopted.onCheck(check(a, false, Verdict::Healthy, "HTTP 500"));
  EXPECT_FALSE(adopted.failingOpen());
}

class FailOpenLoopTest : public ::testing::Test {
 protected:
  void SetUp() override { setLogLevel(LogLevel::Info); }

  std::unique_ptr<CareLoop> makeLoop(bool failOpen) {
    CareLoopOptions options;
    options.service = vip();
    options.reals = {a, b};
    options.monitor.timeout = 2s;
    options.monitor.random = [] { return 0.5; };
    options.failOpen = failOpen;
    return std::make_unique<CareLoop>(dispatcher, datapath, host, probers.factory(), options);
  }
  std::optional<std::uint32_t> weight(const Endpoint& rs) {
    auto reals = datapath.listRealServers(vip().key);
    if (!reals) return std::nullopt;
    for (const auto& status : *reals)
      if (status.server.endpoint == rs) return status.server.weight;
    return std::nullopt;
  }
  void answer401(const Endpoint& rs) { probers.setResult(rs, health::ProbeResult{false, "HTTP 401", {}}); }

  FakeDispatcher dispatcher;
  FakeProbers probers{dispatcher};
  FakeDatapath datapath;
  NoHostSetup host;
  testing::LogCapture log;
};

TEST_F(FailOpenLoopTest, StartUpWithEveryServerFailingProgramsAllAtWeightOne) {
  answer401(a);
  answer401(b);
  auto loop = makeLoop(true);
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  EXPECT_EQ(weight(a), 1u);
  EXPECT_EQ(weight(b), 1u);
  EXPECT_EQ(log.count("fail-open vs=10.103.97.2:6443 rs=192.168.0.2:6443 phase=removed failed=\"HTTP 401\""), 1u);
  EXPECT_EQ(log.count("fail-open vs=10.103.97.2:6443 rs=192.168.0.3:6443"), 1u);
  EXPECT_EQ(log.count("fail-open vs=10.103.97.2:6443 servers=2"), 1u);
  // Rounds that keep failing change nothing and say nothing more.
  const auto applies = datapath.applyCalls();
  dispatcher.advance(20s);
  EXPECT_EQ(weight(a), 1u);
  EXPECT_EQ(weight(b), 1u);
  EXPECT_EQ(datapath.applyCalls(), applies);
  EXPECT_EQ(log.count("fail-open"), 3u);
}

TEST_F(FailOpenLoopTest, EveryServerFailingLaterKeepsAllAtWeightOneAndOneRecoveringEndsIt) {
  auto loop = makeLoop(true);
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  ASSERT_EQ(weight(a), 1u);
  probers.setHealthy(a, false);
  dispatcher.advance(5s);  // a alone fails: the usual weight 0
  EXPECT_EQ(weight(a), 0u);
  EXPECT_EQ(log.count("fail-open"), 0u);
  probers.setHealthy(b, false);
  dispatcher.advance(5s);  // now none passes: both at weight 1 (a back from its drain)
  EXPECT_EQ(weight(a), 1u);
  EXPECT_EQ(weight(b), 1u);
  EXPECT_EQ(log.count("servers=2 reason="), 1u);
  dispatcher.advance(10s);  // still failing: kept, not deleted
  EXPECT_EQ(weight(a), 1u);
  EXPECT_EQ(weight(b), 1u);

  probers.setHealthy(b, true);
  dispatcher.advance(5s);  // b passes: fail-open ends, a (failing twice and more) goes
  EXPECT_EQ(weight(b), 1u);
  EXPECT_EQ(weight(a), std::nullopt);
  EXPECT_EQ(log.count("fail-open vs=10.103.97.2:6443 ended rs=192.168.0.3:6443"), 1u);
}

TEST_F(FailOpenLoopTest, StrictModeLeavesTheVipEmpty) {
  answer401(a);
  answer401(b);
  auto loop = makeLoop(false);
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  EXPECT_EQ(weight(a), std::nullopt);
  EXPECT_EQ(weight(b), std::nullopt);
  EXPECT_EQ(log.count("fail-open"), 0u);
}

TEST_F(FailOpenLoopTest, RunOnceWithEveryMasterAnswering401ProgramsAllAtWeightOne) {
  answer401(a);
  answer401(b);
  auto loop = makeLoop(true);
  std::optional<Result<void>> outcome;
  loop->runOnce([&](Result<void> result) { outcome = std::move(result); });
  dispatcher.runDue();
  ASSERT_TRUE(outcome.has_value());
  EXPECT_TRUE(*outcome);
  EXPECT_EQ(weight(a), 1u);
  EXPECT_EQ(weight(b), 1u);
  EXPECT_EQ(datapath.applyCalls(), 1);
  EXPECT_EQ(log.count("servers=2 reason="), 1u);
}

TEST_F(FailOpenLoopTest, RunOnceStrictProgramsNone) {
  answer401(a);
  answer401(b);
  auto loop = makeLoop(false);
  std::optional<Result<void>> outcome;
  loop->runOnce([&](Result<void> result) { outcome = std::move(result); });
  dispatcher.runDue();
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(weight(a), std::nullopt);
  EXPECT_EQ(weight(b), std::nullopt);
}

}  // namespace
}  // namespace lvscare::care
