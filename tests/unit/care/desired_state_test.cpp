#include "care/desired_state.hpp"

#include <gtest/gtest.h>

namespace lvscare::care {
namespace {

using health::CheckEvent;
using health::Verdict;

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

CheckEvent check(const Endpoint& target, bool healthy, Verdict verdict) {
  CheckEvent event;
  event.target = target;
  event.result.healthy = healthy;
  event.verdict = verdict;
  return event;
}

VirtualServer vip() {
  VirtualServer vs;
  vs.key.endpoint = ep("10.103.97.12:6443");
  return vs;
}

TEST(ServerPhaseTest, LvscareCycleWithDefaultThresholds) {
  const Endpoint rs = ep("192.168.0.2:6443");
  // pass and absent -> add with weight 1
  ServerPhase phase = nextPhase(ServerPhase::Pending, check(rs, true, Verdict::Healthy));
  EXPECT_EQ(phase, ServerPhase::Active);
  // fail and weight != 0 -> weight 0
  phase = nextPhase(phase, check(rs, false, Verdict::Unhealthy));
  EXPECT_EQ(phase, ServerPhase::Draining);
  EXPECT_EQ(weightOf(phase), 0u);
  // fail and weight 0 -> delete
  phase = nextPhase(phase, check(rs, false, Verdict::Unhealthy));
  EXPECT_EQ(phase, ServerPhase::Removed);
  EXPECT_EQ(weightOf(phase), std::nullopt);
  // stays removed while failing
  EXPECT_EQ(nextPhase(phase, check(rs, false, Verdict::Unhealthy)), ServerPhase::Removed);
  // pass and absent -> add back
  EXPECT_EQ(nextPhase(phase, check(rs, true, Verdict::Healthy)), ServerPhase::Active);
  // pass and weight 0 -> weight 1
  EXPECT_EQ(nextPhase(ServerPhase::Draining, check(rs, true, Verdict::Healthy)), ServerPhase::Active);
}

TEST(ServerPhaseTest, BelowThresholdsNothingMoves) {
  const Endpoint rs = ep("192.168.0.2:6443");
  // A failure that has not reached `fall` yet: the verdict is still Healthy.
  EXPECT_EQ(nextPhase(ServerPhase::Active, check(rs, false, Verdict::Healthy)), ServerPhase::Active);
  // A pass that has not reached `rise` yet: still Unhealthy.
  EXPECT_EQ(nextPhase(ServerPhase::Draining, check(rs, true, Verdict::Unhealthy)), ServerPhase::Draining);
  EXPECT_EQ(nextPhase(ServerPhase::Removed, check(rs, true, Verdict::Unhealthy)), ServerPhase::Removed);
  // No verdict yet (first checks of a new server below both thresholds).
  EXPECT_EQ(nextPhase(ServerPhase::Pending, check(rs, true, Verdict::Unknown)), ServerPhase::Pending);
  EXPECT_EQ(nextPhase(ServerPhase::Active, check(rs, false, Verdict::Unknown)), ServerPhase::Active);
}

TEST(ServerPhaseTest, AdoptionFromKernel) {
  EXPECT_EQ(adoptedPhase(nullptr), ServerPhase::Pending);
  RealServerStatus status;
  status.server.weight = 1;
  EXPECT_EQ(adoptedPhase(&status), ServerPhase::Active);
  status.server.weight = 7;
  EXPECT_EQ(adoptedPhase(&status), ServerPhase::Active);
  status.server.weight = 0;
  EXPECT_EQ(adoptedPhase(&status), ServerPhase::Draining);
}

TEST(DesiredStateTest, DuplicatesCountOnceAndStartPending) {
  DesiredState state(vip(), {ep("192.168.0.2:6443"), ep("192.168.0.3:6443"), ep("192.168.0.2:6443")});
  EXPECT_EQ(state.servers().size(), 2u);
  EXPECT_TRUE(state.desiredReals().empty());
}

TEST(DesiredStateTest, AdoptTakesWeightsFromKernelAndIgnoresForeignServers) {
  const Endpoint a = ep("192.168.0.2:6443"), b = ep("192.168.0.3:6443"), c = ep("192.168.0.4:6443");
  DesiredState state(vip(), {a, b, c});
  std::vector<RealServerStatus> kernel(3);
  kernel[0].server.endpoint = a;
  kernel[0].server.weight = 1;
  kernel[1].server.endpoint = b;
  kernel[1].server.weight = 0;
  kernel[2].server.endpoint = ep("10.9.9.9:6443");  // not ours: not adopted into the set
  state.adopt(kernel);
  EXPECT_EQ(state.phase(a), ServerPhase::Active);
  EXPECT_EQ(state.phase(b), ServerPhase::Draining);
  EXPECT_EQ(state.phase(c), ServerPhase::Pending);
  const auto reals = state.desiredReals();
  ASSERT_EQ(reals.size(), 2u);
  EXPECT_EQ(reals[0].endpoint, a);
  EXPECT_EQ(reals[0].weight, 1u);
  EXPECT_EQ(reals[1].endpoint, b);
  EXPECT_EQ(reals[1].weight, 0u);
  EXPECT_EQ(reals[0].forward, ForwardMethod::Masquerade);
}

TEST(DesiredStateTest, OnCheckReportsTransitionsOnlyWhenThePhaseMoves) {
  const Endpoint a = ep("192.168.0.2:6443");
  DesiredState state(vip(), {a});
  auto t = state.onCheck(check(a, true, Verdict::Healthy));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, ServerPhase::Pending);
  EXPECT_EQ(t->to, ServerPhase::Active);
  EXPECT_FALSE(state.onCheck(check(a, true, Verdict::Healthy)));
  EXPECT_FALSE(state.onCheck(check(ep("1.1.1.1:1"), false, Verdict::Unhealthy)));  // not in the set
  t = state.onCheck(check(a, false, Verdict::Unhealthy));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->to, ServerPhase::Draining);
}

}  // namespace
}  // namespace lvscare::care
