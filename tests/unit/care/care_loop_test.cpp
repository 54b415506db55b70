#include "care/care_loop.hpp"

#include <gtest/gtest.h>

#include <mutex>

#include "lvscare/log.hpp"
#include "testing/fake_datapath.hpp"
#include "testing/fake_dispatcher.hpp"
#include "testing/fake_prober.hpp"

namespace lvscare::care {
namespace {

using namespace std::chrono_literals;
using event::FakeDispatcher;
using health::FakeProbers;

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

class FakeHostSetup final : public HostSetup {
 public:
  std::string_view name() const override { return "fake"; }
  Result<std::vector<std::string>> ensure() override {
    ++ensures;
    if (failWith) return fail(*failWith);
    if (present) return std::vector<std::string>{};
    present = true;
    return std::vector<std::string>{"fake route"};
  }
  Result<void> remove() override {
    ++removes;
    present = false;
    return {};
  }
  bool present = false;
  int ensures = 0;
  int removes = 0;
  std::optional<Error> failWith;
};

// Collects log lines so tests can count them.
std::vector<std::string>& logLines() {
  static std::vector<std::string> lines;
  return lines;
}
void collect(LogLevel, std::string_view line) { logLines().emplace_back(line); }

class CareLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    logLines().clear();
    setLogSink(&collect);
    setLogLevel(LogLevel::Debug);
    service.key.endpoint = ep("10.103.97.12:6443");
  }
  void TearDown() override {
    setLogSink(nullptr);
    setLogLevel(LogLevel::Info);
  }

  std::unique_ptr<CareLoop> makeLoop(std::vector<Endpoint> reals, health::CheckPolicy policy = {}) {
    CareLoopOptions options;
    options.service = service;
    options.reals = std::move(reals);
    options.monitor.policy = policy;
    options.monitor.timeout = 2s;
    options.monitor.random = [] { return 0.5; };
    options.reconcileInterval = 250ms;
    options.failOpen = false;  // the per-server cycle on its own; fail_open_test.cpp covers fail-open
    return std::make_unique<CareLoop>(dispatcher, datapath, host, probers.factory(), options);
  }

  // The weight of `rs` in the kernel; nullopt when absent (or the virtual server is).
  std::optional<std::uint32_t> weight(const Endpoint& rs) {
    auto reals = datapath.listRealServers(service.key);
    if (!reals) return std::nullopt;
    for (const auto& status : *reals)
      if (status.server.endpoint == rs) return status.server.weight;
    return std::nullopt;
  }
  std::size_t realCount() {
    auto reals = datapath.listRealServers(service.key);
    return reals ? reals->size() : 0;
  }

  FakeDispatcher dispatcher;
  FakeProbers probers{dispatcher};
  FakeDatapath datapath;
  FakeHostSetup host;
  VirtualServer service;
  const Endpoint a = ep("192.168.0.2:6443");
  const Endpoint b = ep("192.168.0.3:6443");
  const Endpoint c = ep("192.168.0.4:6443");
};

TEST_F(CareLoopTest, FreshStartCreatesTheServiceAndAddsServersAsTheyPass) {
  probers.setHealthy(c, false);
  auto loop = makeLoop({a, b, c});
  ASSERT_TRUE(loop->start());
  EXPECT_TRUE(datapath.getVirtualServer(service.key));  // created at once
  EXPECT_TRUE(host.present);
  EXPECT_EQ(realCount(), 0u);  // nothing passed yet
  dispatcher.runDue();         // the first round completes
  EXPECT_EQ(weight(a), 1u);
  EXPECT_EQ(weight(b), 1u);
  EXPECT_EQ(weight(c), std::nullopt);  // never passed: never added
}

TEST_F(CareLoopTest, WeightZeroThenDeleteThenReAdd) {
  auto loop = makeLoop({a, b, c});
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  ASSERT_EQ(weight(b), 1u);

  probers.setHealthy(b, false);
  dispatcher.advance(5s);  // fail and weight != 0 -> weight 0
  EXPECT_EQ(weight(b), 0u);
  EXPECT_EQ(weight(a), 1u);
  dispatcher.advance(5s);  // fail and weight 0 -> delete
  EXPECT_EQ(weight(b), std::nullopt);
  EXPECT_EQ(realCount(), 2u);
  dispatcher.advance(5s);  // still failing: stays out
  EXPECT_EQ(weight(b), std::nullopt);

  probers.setHealthy(b, true);
  dispatcher.advance(5s);  // pass and absent -> add with weight 1
  EXPECT_EQ(weight(b), 1u);
}

TEST_F(CareLoopTest, PassWhileDrainingRestoresWeightOne) {
  auto loop = makeLoop({a});
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  probers.setHealthy(a, false);
  dispatcher.advance(5s);
  ASSERT_EQ(weight(a), 0u);
  probers.setHealthy(a, true);
  dispatcher.advance(5s);
  EXPECT_EQ(weight(a), 1u);
}

TEST_F(CareLoopTest, FallAndRiseThresholds) {
  health::CheckPolicy policy;
  policy.fall = 2;
  policy.rise = 3;
  auto loop = makeLoop({a}, policy);
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  dispatcher.advance(5s);
  EXPECT_EQ(weight(a), std::nullopt);  // two passes: not yet
  dispatcher.advance(5s);
  EXPECT_EQ(weight(a), 1u);  // third pass

  probers.setHealthy(a, false);
  dispatcher.advance(5s);
  EXPECT_EQ(weight(a), 1u);  // one failure: below fall
  dispatcher.advance(5s);
  EXPECT_EQ(weight(a), 0u);  // second: unhealthy -> weight 0
  dispatcher.advance(5s);
  EXPECT_EQ(weight(a), std::nullopt);  // next failure -> delete
}

TEST_F(CareLoopTest, FastIntervalReChecksSoonerWhileChanging) {
  health::CheckPolicy policy;
  policy.fall = 3;
  policy.fastInterval = 1s;
  auto loop = makeLoop({a}, policy);
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  probers.setHealthy(a, false);
  dispatcher.advance(5s);  // first failure
  EXPECT_EQ(weight(a), 1u);
  dispatcher.advance(2s);  // two more at the fast interval
  EXPECT_EQ(weight(a), 0u);
}

TEST_F(CareLoopTest, BlackholedServerIsHandledLikeADeadOneWithoutDelayingOthers) {
  auto loop = makeLoop({a, b});
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  probers.setHanging(a);
  probers.setHealthy(b, false);
  dispatcher.advance(5s);
  EXPECT_EQ(weight(b), 0u);  // b's verdict does not wait for a's hanging probe
  EXPECT_EQ(weight(a), 1u);
  dispatcher.advance(2s);  // a's probe times out (2 s)
  EXPECT_EQ(weight(a), 0u);
  dispatcher.advance(5s);
  EXPECT_EQ(weight(a), std::nullopt);
}

TEST_F(CareLoopTest, ForeignRealServersOnOurServiceArePrunedOtherServicesUntouched) {
  VirtualServer other;
  other.key.endpoint = ep("10.96.0.1:443");
  other.scheduler = "wlc";
  ASSERT_TRUE(datapath.addVirtualServer(other));
  RealServer otherReal;
  otherReal.endpoint = ep("10.0.0.5:6443");
  ASSERT_TRUE(datapath.addRealServer(other.key, otherReal));
  ASSERT_TRUE(datapath.addVirtualServer(service));
  RealServer stray;
  stray.endpoint = ep("192.168.0.99:6443");
  ASSERT_TRUE(datapath.addRealServer(service.key, stray));
  RealServer ours;
  ours.endpoint = a;
  ASSERT_TRUE(datapath.addRealServer(service.key, ours));
  datapath.clearLog();

  auto loop = makeLoop({a, b});
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  dispatcher.advance(1s);
  EXPECT_EQ(weight(ep("192.168.0.99:6443")), std::nullopt);
  EXPECT_EQ(weight(a), 1u);
  EXPECT_EQ(weight(b), 1u);
  for (const auto& op : datapath.log()) EXPECT_EQ(op.service.key, service.key) << op.toString();
  ASSERT_EQ(datapath.listRealServers(other.key)->size(), 1u);
  EXPECT_EQ(datapath.getVirtualServer(other.key)->scheduler, "wlc");
}

TEST_F(CareLoopTest, RestartAdoptsMatchingKernelStateWithoutAnyOp) {
  ASSERT_TRUE(datapath.addVirtualServer(service));
  for (const auto& rs : {a, b}) {
    RealServer real;
    real.endpoint = rs;
    ASSERT_TRUE(datapath.addRealServer(service.key, real));
  }
  RealServer draining;
  draining.endpoint = c;
  draining.weight = 0;
  ASSERT_TRUE(datapath.addRealServer(service.key, draining));
  host.present = true;
  datapath.clearLog();
  const int applies = datapath.applyCalls();

  probers.setHealthy(c, false);
  auto loop = makeLoop({a, b, c});
  ASSERT_TRUE(loop->start());
  EXPECT_EQ(loop->desired().phase(a), ServerPhase::Active);
  EXPECT_EQ(loop->desired().phase(c), ServerPhase::Draining);
  EXPECT_TRUE(datapath.log().empty());  // no flush, no re-add: nothing at all
  EXPECT_EQ(datapath.applyCalls(), applies);
  dispatcher.advance(1s);                // the first round (a, b pass) and four ticks
  ASSERT_EQ(datapath.log().size(), 1u);  // only c, failing again while draining, is deleted
  EXPECT_EQ(datapath.log()[0].kind, DatapathOp::Kind::DeleteRealServer);
  EXPECT_EQ(datapath.log()[0].real.endpoint, c);
  EXPECT_EQ(loop->counters().repairs, 0u);
}

TEST_F(CareLoopTest, FlushIsRepairedWithinOneTick) {
  auto loop = makeLoop({a, b});
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  probers.setHealthy(b, false);
  dispatcher.advance(5s);
  ASSERT_EQ(weight(b), 0u);

  ASSERT_TRUE(datapath.flush());  // ipvsadm -C
  dispatcher.advance(250ms);
  EXPECT_TRUE(datapath.getVirtualServer(service.key));
  EXPECT_EQ(weight(a), 1u);
  EXPECT_EQ(weight(b), 0u);  // restored as it was: draining, not healthy again
  EXPECT_EQ(loop->counters().repairs, 1u);

  ASSERT_TRUE(datapath.deleteRealServer(service.key, a));  // one real server deleted
  dispatcher.advance(250ms);
  EXPECT_EQ(weight(a), 1u);

  RealServer edited;
  edited.endpoint = a;
  edited.weight = 5;
  ASSERT_TRUE(datapath.updateRealServer(service.key, edited));  // weight edited by hand
  dispatcher.advance(250ms);
  EXPECT_EQ(weight(a), 5u);  // a nonzero weight set by hand stays, as in LVScare (kept_weights.hpp)
  edited.weight = 0;
  ASSERT_TRUE(datapath.updateRealServer(service.key, edited));  // weight 0 by hand on a passing server
  dispatcher.advance(250ms);
  EXPECT_EQ(weight(a), 1u);
}

TEST_F(CareLoopTest, HostSetupIsRepairedWithinOneTick) {
  auto loop = makeLoop({a});
  ASSERT_TRUE(loop->start());
  ASSERT_TRUE(host.present);
  EXPECT_EQ(loop->counters().repairs, 0u);
  host.present = false;  // ip route del / ip link del
  dispatcher.advance(250ms);
  EXPECT_TRUE(host.present);
  EXPECT_EQ(loop->counters().repairs, 1u);
}

TEST_F(CareLoopTest, RepeatedFailuresAreLoggedOnceThenCounted) {
  auto loop = makeLoop({a});
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  datapath.failListings(Error{Errc::Permission, 1, "netlink dump: Operation not permitted"});
  logLines().clear();
  dispatcher.advance(10s);  // 40 ticks, 2 checks
  int errors = 0;
  for (const auto& line : logLines()) errors += line.find("failed error=") != std::string::npos;
  EXPECT_EQ(errors, 1);
  EXPECT_GE(loop->counters().failures, 40u);
  datapath.failListings(std::nullopt);
  logLines().clear();
  dispatcher.advance(250ms);
  ASSERT_FALSE(logLines().empty());
  bool recovered = false;
  for (const auto& line : logLines()) recovered |= line.find("recovered failures=") != std::string::npos;
  EXPECT_TRUE(recovered);
}

TEST_F(CareLoopTest, FailedOpIsRetriedOnTheNextTick) {
  auto loop = makeLoop({a});
  ASSERT_TRUE(loop->start());
  datapath.failNext(DatapathOp::Kind::AddRealServer, Error{Errc::Kernel, 12, "out of memory"});
  dispatcher.runDue();
  EXPECT_EQ(weight(a), std::nullopt);
  dispatcher.advance(250ms);
  EXPECT_EQ(weight(a), 1u);
}

TEST_F(CareLoopTest, StopLeavesTheRulesAndSchedulesNothing) {
  auto loop = makeLoop({a, b});
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  loop->stop();
  const int started = probers.started(a);
  ASSERT_TRUE(datapath.flush());
  dispatcher.advance(30s);
  EXPECT_EQ(probers.started(a), started);
  EXPECT_FALSE(datapath.getVirtualServer(service.key));  // no more repairs after stop
  loop.reset();
}

TEST_F(CareLoopTest, StopKeepsWhatIsProgrammed) {
  auto loop = makeLoop({a, b});
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  loop->stop();
  loop.reset();
  EXPECT_EQ(weight(a), 1u);
  EXPECT_EQ(weight(b), 1u);
  EXPECT_TRUE(host.present);
}

TEST_F(CareLoopTest, RunOnceRunsExactlyOneRoundThenPrograms) {
  probers.setHealthy(b, false);
  auto loop = makeLoop({a, b});
  std::optional<Result<void>> outcome;
  loop->runOnce([&](Result<void> result) { outcome = std::move(result); });
  EXPECT_FALSE(datapath.getVirtualServer(service.key));  // nothing before the round
  dispatcher.runDue();
  ASSERT_TRUE(outcome.has_value());
  EXPECT_TRUE(*outcome);
  EXPECT_EQ(weight(a), 1u);
  EXPECT_EQ(weight(b), std::nullopt);
  EXPECT_TRUE(host.present);
  EXPECT_EQ(datapath.applyCalls(), 1);  // programmed in one batch
  dispatcher.advance(60s);
  EXPECT_EQ(probers.started(a), 1);  // exactly one round
  EXPECT_EQ(probers.started(b), 1);
}

TEST_F(CareLoopTest, RunOnceWaitsForASlowServerUpToTheTimeout) {
  probers.setHanging(b);
  auto loop = makeLoop({a, b});
  std::optional<Result<void>> outcome;
  loop->runOnce([&](Result<void> result) { outcome = std::move(result); });
  dispatcher.advance(1s);
  EXPECT_FALSE(outcome.has_value());
  dispatcher.advance(1s);  // the 2 s timeout
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(weight(a), 1u);
  EXPECT_EQ(weight(b), std::nullopt);
}

TEST_F(CareLoopTest, RunOnceReportsAnUnreadableKernelFromTheDispatcher) {
  datapath.failListings(Error{Errc::Permission, 1, "no permission"});
  auto loop = makeLoop({a});
  std::optional<Result<void>> outcome;
  loop->runOnce([&](Result<void> result) { outcome = std::move(result); });
  EXPECT_FALSE(outcome.has_value());
  dispatcher.runDue();
  ASSERT_TRUE(outcome.has_value());
  ASSERT_FALSE(*outcome);
  EXPECT_EQ(outcome->error().code, Errc::Permission);
}

TEST_F(CareLoopTest, StartFailsWhenTheKernelCannotBeRead) {
  datapath.failListings(Error{Errc::Permission, 1, "no permission"});
  auto loop = makeLoop({a});
  auto started = loop->start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, Errc::Permission);
}

TEST_F(CareLoopTest, CleanUpRemovesOurServiceAndHostSetupOnly) {
  VirtualServer other;
  other.key.endpoint = ep("10.96.0.1:443");
  ASSERT_TRUE(datapath.addVirtualServer(other));
  auto loop = makeLoop({a});
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  loop.reset();
  ASSERT_TRUE(cleanUp(datapath, host, service.key));
  EXPECT_FALSE(datapath.getVirtualServer(service.key));
  EXPECT_TRUE(datapath.getVirtualServer(other.key));
  EXPECT_FALSE(host.present);
  EXPECT_EQ(host.removes, 1);
  // Again, with nothing left: still fine (idempotent).
  EXPECT_TRUE(cleanUp(datapath, host, service.key));
}


// Issue 13: a refused check removes at once; a "not ready" one drains until --drain-timeout.
TEST_F(CareLoopTest, RefusedRemovesAtOnceNotReadyDrainsUntilTheDeadline) {
  auto loop = makeLoop({a, b, c});
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  ASSERT_EQ(realCount(), 3u);
  probers.setResult(a, health::ProbeResult{false, "connect: Connection refused", {}, health::FailureKind::Refused});
  probers.setResult(b, health::ProbeResult{false, "HTTP 500", {}, health::FailureKind::HttpStatus});
  dispatcher.advance(5s);
  EXPECT_EQ(weight(a), std::nullopt);  // removed, no weight-0 step
  EXPECT_EQ(weight(b), 0u);            // drained
  dispatcher.advance(9s);              // failing again does not end the drain (10 s by default)
  EXPECT_EQ(weight(b), 0u);
  dispatcher.advance(1s);              // the deadline passes: removed
  EXPECT_EQ(weight(b), std::nullopt);
  EXPECT_EQ(weight(c), 1u);
}

// Issue 13: evidence takes a server out before its next check; an active check follows at once.
TEST_F(CareLoopTest, EvidenceActsAtOnceAndAnImmediateCheckConfirms) {
  auto loop = makeLoop({a, b});
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  const int before = probers.started(a);
  loop->onEvidence(a, health::FailureKind::Refused, "connection from 10.0.0.5:40000 refused");
  EXPECT_EQ(weight(a), std::nullopt);
  EXPECT_EQ(probers.started(a), before + 1);  // the confirming check, not waiting for the interval
  dispatcher.runDue();                        // it passes (a false alarm): a is back
  EXPECT_EQ(weight(a), 1u);
  // a's evidence was a false alarm: ignored for a while. b can go (a is active).
  loop->onEvidence(b, health::FailureKind::Timeout, "connection from 10.0.0.5:40001 unanswered for 1s");
  EXPECT_EQ(weight(b), 0u);
  loop->onEvidence(a, health::FailureKind::Refused, "connection from 10.0.0.5:40002 refused");
  EXPECT_EQ(weight(a), 1u);  // the last active server, and after a false alarm: kept
}

}  // namespace
}  // namespace lvscare::care
