// The check state machine and the monitor on a fake clock: thresholds, intervals, the fast
// interval, jitter, timeouts, target changes and single rounds. No sleeps, no sockets.
#include <gtest/gtest.h>

#include <random>

#include "lvscare/health_monitor.hpp"
#include "testing/fake_dispatcher.hpp"
#include "testing/fake_prober.hpp"

namespace lvscare::health {
namespace {

using event::FakeDispatcher;
using std::chrono::milliseconds;
using std::chrono::seconds;

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

class HealthMonitorTest : public ::testing::Test {
 protected:
  std::unique_ptr<HealthMonitor> make(
      CheckPolicy policy, Duration timeout = seconds(10), std::function<double()> random = [] { return 0.5; }) {
    MonitorOptions options{policy, timeout, std::move(random)};
    return std::make_unique<HealthMonitor>(d, probers.factory(), options, [this](const CheckEvent& e) {
      events.push_back(e);
      times.push_back(d.now() - start);
    });
  }
  // Times (since the test began) at which probes of the first target started, seen through the
  // started() counter one millisecond step at a time.
  std::vector<Duration> probeStarts(const Endpoint& target, Duration span) {
    std::vector<Duration> starts;
    int seen = probers.started(target);
    for (Duration t{}; t < span; t += milliseconds(1)) {
      d.advance(milliseconds(1));
      if (probers.started(target) != seen) {
        seen = probers.started(target);
        starts.push_back(d.now() - start);
      }
    }
    return starts;
  }

  FakeDispatcher d;
  FakeProbers probers{d};
  TimePoint start = d.now();
  std::vector<CheckEvent> events;
  std::vector<Duration> times;
  const Endpoint a = ep("10.0.0.1:6443");
  const Endpoint b = ep("10.0.0.2:6443");
  const Endpoint c = ep("10.0.0.3:6443");
};

TEST_F(HealthMonitorTest, DefaultsCheckAtOnceThenEveryIntervalAndFlipOnOneResult) {
  auto m = make(CheckPolicy{});
  m->setTargets({a});
  EXPECT_EQ(m->verdict(a), Verdict::Unknown);
  m->start();
  d.runDue();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].verdict, Verdict::Healthy);
  EXPECT_TRUE(events[0].changed);
  d.advance(milliseconds(4999));
  EXPECT_EQ(events.size(), 1u);
  probers.setHealthy(a, false);
  d.advance(milliseconds(1));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].verdict, Verdict::Unhealthy);  // LVScare: one failure -> weight 0
  EXPECT_TRUE(events[1].changed);
  d.advance(seconds(5));
  ASSERT_EQ(events.size(), 3u);  // an event after every check, changed or not: the care loop acts on each
  EXPECT_FALSE(events[2].changed);
  EXPECT_EQ(events[2].consecutiveFailures, 2);
  EXPECT_EQ(times[2], seconds(10));
}

TEST_F(HealthMonitorTest, RiseAndFallThresholdsCountConsecutiveResults) {
  auto m = make(CheckPolicy{seconds(1), /*rise=*/3, /*fall=*/2});
  m->setTargets({a});
  m->start();
  d.runDue();
  d.advance(seconds(1));
  EXPECT_EQ(m->verdict(a), Verdict::Unknown);  // two successes, rise is 3
  d.advance(seconds(1));
  EXPECT_EQ(m->verdict(a), Verdict::Healthy);
  probers.setHealthy(a, false);
  d.advance(seconds(1));
  EXPECT_EQ(m->verdict(a), Verdict::Healthy);  // one failure, fall is 2
  probers.setHealthy(a, true);
  d.advance(seconds(1));  // a success resets the failure count
  probers.setHealthy(a, false);
  d.advance(seconds(1));
  EXPECT_EQ(m->verdict(a), Verdict::Healthy);
  d.advance(seconds(1));
  EXPECT_EQ(m->verdict(a), Verdict::Unhealthy);
  ASSERT_EQ(events.size(), 7u);
  int changes = 0;
  for (const auto& e : events) changes += e.changed ? 1 : 0;
  EXPECT_EQ(changes, 2);
  EXPECT_TRUE(events[2].changed);
  EXPECT_TRUE(events[6].changed);
}

TEST_F(HealthMonitorTest, FastIntervalWhileChangingStateOnly) {
  CheckPolicy policy{seconds(10), /*rise=*/2, /*fall=*/2, /*fastInterval=*/seconds(1)};
  auto m = make(policy);
  m->setTargets({a});
  m->start();
  // Unknown after one success: changing, so the next check comes after the fast interval; then
  // healthy, so the normal interval; a failure starts changing again.
  auto starts = probeStarts(a, seconds(12));
  EXPECT_EQ(starts, (std::vector<Duration>{milliseconds(1), seconds(1), seconds(11)}));
  EXPECT_EQ(m->verdict(a), Verdict::Healthy);
  probers.setHealthy(a, false);
  starts = probeStarts(a, seconds(21));
  // 21 s: failure (changing) -> 22 s: second failure flips to unhealthy -> 32 s.
  EXPECT_EQ(starts, (std::vector<Duration>{seconds(21), seconds(22), seconds(32)}));
  EXPECT_EQ(m->verdict(a), Verdict::Unhealthy);
}

TEST_F(HealthMonitorTest, JitterStaysWithinBounds) {
  CheckPolicy policy{seconds(10)};
  policy.jitter = 0.2;
  // Extremes of the injected generator give the extremes of the window.
  {
    auto m = make(policy, seconds(1), [] { return 0.0; });
    m->setTargets({a});
    m->start();
    auto starts = probeStarts(a, seconds(20));
    EXPECT_EQ(starts, (std::vector<Duration>{milliseconds(1), seconds(8), seconds(16)}));
  }
  // A seeded generator: the first check within the spread window (jitter * interval), every gap
  // after it within interval * (1 +/- jitter), and not all gaps equal.
  auto generator = std::make_shared<std::mt19937_64>(42);
  auto m = make(policy, seconds(1), [generator] { return std::uniform_real_distribution<double>(0, 1)(*generator); });
  m->setTargets({b});
  const TimePoint begin = d.now();
  m->start();
  std::vector<Duration> starts;
  for (int i = 0; i < 200 && starts.size() < 30; ++i) {
    const auto next = d.nextDeadline();
    ASSERT_TRUE(next);
    const int before = probers.started(b);
    d.advance(*next - d.now());
    if (probers.started(b) != before) starts.push_back(d.now() - begin);
  }
  ASSERT_EQ(starts.size(), 30u);
  EXPECT_LE(starts[0], seconds(2));
  Duration shortest = seconds(100);
  Duration longest{};
  for (std::size_t i = 1; i < starts.size(); ++i) {
    const Duration gap = starts[i] - starts[i - 1];
    EXPECT_GE(gap, seconds(8));
    EXPECT_LE(gap, seconds(12));
    shortest = std::min(shortest, gap);
    longest = std::max(longest, gap);
  }
  EXPECT_GT(longest - shortest, seconds(1));
}

TEST_F(HealthMonitorTest, TimeoutNeverExceedsTheInterval) {
  auto m = make(CheckPolicy{seconds(2)}, /*timeout=*/seconds(10));
  probers.setHanging(a);
  m->setTargets({a});
  m->start();
  d.advance(milliseconds(1999));
  EXPECT_TRUE(events.empty());
  d.advance(milliseconds(1));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].result.healthy);
  EXPECT_EQ(events[0].result.detail, "timed out after 2s (fake probe)");
  EXPECT_EQ(events[0].result.latency, seconds(2));
  EXPECT_EQ(probers.cancelled(a), 1);
  EXPECT_EQ(probers.started(a), 2);  // the next check starts at once: start + interval is now
}

TEST_F(HealthMonitorTest, ShortTimeoutFailsEarlyAndTheIntervalRunsFromTheProbeStart) {
  auto m = make(CheckPolicy{seconds(5)}, /*timeout=*/milliseconds(500));
  probers.setHanging(a);
  m->setTargets({a});
  m->start();
  d.advance(milliseconds(500));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].result.detail, "timed out after 500ms (fake probe)");
  d.advance(milliseconds(4499));
  EXPECT_EQ(probers.started(a), 1);
  d.advance(milliseconds(1));
  EXPECT_EQ(probers.started(a), 2);
}

TEST_F(HealthMonitorTest, ABlackHoledServerDoesNotDelayAnother) {
  auto m = make(CheckPolicy{seconds(5)}, seconds(10));
  probers.setHanging(a);
  probers.setHealthy(b, false, milliseconds(30));
  probers.setHealthy(c, true, milliseconds(10));
  m->setTargets({a, b, c});
  m->start();
  d.advance(milliseconds(100));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].target, c);
  EXPECT_EQ(times[0], milliseconds(10));
  EXPECT_EQ(events[1].target, b);
  EXPECT_EQ(times[1], milliseconds(30));
  EXPECT_EQ(m->verdict(b), Verdict::Unhealthy);
  EXPECT_EQ(m->verdict(a), Verdict::Unknown);
}

TEST_F(HealthMonitorTest, SetTargetsKeepsTheStateOfServersThatStay) {
  auto m = make(CheckPolicy{seconds(5), 1, 1});
  probers.setHealthy(a, false);
  m->setTargets({a, b});
  m->start();
  d.advance(seconds(5));
  ASSERT_EQ(m->verdict(a), Verdict::Unhealthy);
  ASSERT_EQ(m->status(a)->consecutiveFailures, 2);
  const int startedA = probers.started(a);
  m->setTargets({a, c, c});
  EXPECT_EQ(m->targets(), (std::vector<Endpoint>{a, c}));
  EXPECT_EQ(m->verdict(a), Verdict::Unhealthy);
  EXPECT_EQ(m->status(a)->consecutiveFailures, 2);
  EXPECT_FALSE(m->status(b));
  EXPECT_EQ(m->verdict(c), Verdict::Unknown);
  EXPECT_EQ(probers.started(a), startedA);  // no extra check for a server that stays
  d.runDue();
  EXPECT_EQ(m->verdict(c), Verdict::Healthy);  // a new server is checked at once
}

TEST_F(HealthMonitorTest, RemovingAServerCancelsItsProbe) {
  auto m = make(CheckPolicy{});
  probers.setHanging(a);
  m->setTargets({a, b});
  m->start();
  d.runDue();
  EXPECT_TRUE(probers.probing(a));
  m->setTargets({b});
  EXPECT_EQ(probers.cancelled(a), 1);
  EXPECT_EQ(probers.inFlight(), 0);
  d.advance(seconds(60));
  for (const auto& e : events) EXPECT_EQ(e.target, b);
}

TEST_F(HealthMonitorTest, CheckAllOnceRunsExactlyOneRoundConcurrently) {
  auto m = make(CheckPolicy{seconds(5)}, seconds(3));
  probers.setHealthy(a, true, milliseconds(20));
  probers.setHanging(b);
  probers.setHealthy(c, false, milliseconds(10));
  m->setTargets({a, b, c});
  std::vector<CheckEvent> round;
  int rounds = 0;
  Duration doneAt{};
  m->checkAllOnce([&](const std::vector<CheckEvent>& r) {
    round = r;
    ++rounds;
    doneAt = d.now() - start;
  });
  d.advance(seconds(2));
  EXPECT_EQ(rounds, 0);  // b still in flight
  EXPECT_EQ(events.size(), 2u);
  d.advance(seconds(60));
  ASSERT_EQ(rounds, 1);
  EXPECT_EQ(doneAt, seconds(3));  // b's timeout, min(3 s, interval)
  ASSERT_EQ(round.size(), 3u);
  EXPECT_EQ(round[0].target, a);  // in target order, not completion order
  EXPECT_EQ(round[0].verdict, Verdict::Healthy);
  EXPECT_EQ(round[1].target, b);
  EXPECT_EQ(round[1].result.detail, "timed out after 3s (fake probe)");
  EXPECT_EQ(round[2].verdict, Verdict::Unhealthy);
  for (const auto& t : {a, b, c}) EXPECT_EQ(probers.started(t), 1);  // not started: no periodic checks
}

TEST_F(HealthMonitorTest, CheckAllOnceCountsAProbeAlreadyInFlight) {
  auto m = make(CheckPolicy{seconds(5)});
  probers.setHealthy(a, true, seconds(1));
  m->setTargets({a});
  m->start();
  d.advance(milliseconds(500));
  int rounds = 0;
  m->checkAllOnce([&](const std::vector<CheckEvent>& r) {
    ++rounds;
    EXPECT_EQ(r.size(), 1u);
  });
  d.advance(milliseconds(500));
  EXPECT_EQ(rounds, 1);
  EXPECT_EQ(probers.started(a), 1);
}

TEST_F(HealthMonitorTest, CheckAllOnceWithNoTargetsCompletesFromTheDispatcher) {
  auto m = make(CheckPolicy{});
  int rounds = 0;
  m->checkAllOnce([&](const std::vector<CheckEvent>& r) {
    ++rounds;
    EXPECT_TRUE(r.empty());
  });
  EXPECT_EQ(rounds, 0);
  d.runDue();
  EXPECT_EQ(rounds, 1);
}

TEST_F(HealthMonitorTest, ARoundWaitingOnlyForARemovedServerCompletes) {
  auto m = make(CheckPolicy{});
  probers.setHanging(a);
  m->setTargets({a, b});
  int rounds = 0;
  m->checkAllOnce([&](const std::vector<CheckEvent>& r) {
    ++rounds;
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].target, b);
  });
  d.runDue();
  EXPECT_EQ(rounds, 0);
  m->setTargets({b});
  d.runDue();
  EXPECT_EQ(rounds, 1);
}

TEST_F(HealthMonitorTest, CallbacksMayChangeTheTargetsOfTheirOwnEvent) {
  auto m = make(CheckPolicy{});
  m->setEventCallback([&](const CheckEvent& e) {
    events.push_back(e);
    m->setTargets({b});  // drops a while a's session is reporting
  });
  m->setTargets({a});
  m->start();
  d.runDue();
  d.advance(seconds(5));
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0].target, a);
  EXPECT_EQ(events[1].target, b);
  EXPECT_EQ(m->targets(), std::vector<Endpoint>{b});
}

TEST_F(HealthMonitorTest, StopSchedulesNoMoreChecks) {
  auto m = make(CheckPolicy{});
  m->setTargets({a});
  m->start();
  d.runDue();
  m->stop();
  d.advance(seconds(60));
  EXPECT_EQ(probers.started(a), 1);
  EXPECT_EQ(m->verdict(a), Verdict::Healthy);
}

TEST(HealthPolicyTest, ValidatePolicyNamesTheBadField) {
  EXPECT_TRUE(validatePolicy(CheckPolicy{}));
  CheckPolicy p;
  p.rise = 0;
  EXPECT_EQ(validatePolicy(p).error().message, "rise 0: want 1 to 1000");
  EXPECT_EQ(checkPolicy(p).error().field, HealthField::Rise);
  p.rise = kMaxRiseFall + 1;
  EXPECT_EQ(checkPolicy(p).error().field, HealthField::Rise);
  p = CheckPolicy{};
  p.interval = Duration::zero();
  EXPECT_EQ(validatePolicy(p).error().message, "interval 0ms: must be more than 0");
  EXPECT_EQ(checkPolicy(p).error().field, HealthField::Interval);
  p = CheckPolicy{};
  p.jitter = 0.7;
  EXPECT_NE(validatePolicy(p).error().message.find("jitter"), std::string::npos);
  EXPECT_EQ(checkPolicy(p).error().problem, "want a fraction from 0 to 0.5");
  p.jitter = std::nan("");
  EXPECT_FALSE(validatePolicy(p));
}

TEST(HealthPolicyTest, FormatDuration) {
  EXPECT_EQ(formatDuration(seconds(10)), "10s");
  EXPECT_EQ(formatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(formatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(formatDuration(std::chrono::microseconds(250)), "250us");
}

}  // namespace
}  // namespace lvscare::health
