// Down versus drain, flap damping and passive evidence (issue 13), on DesiredState with a clock
// of plain time points: no dispatcher, no sleeps.
#include <gtest/gtest.h>

#include "care/desired_state.hpp"

namespace lvscare::care {
namespace {

using health::CheckEvent;
using health::FailureKind;
using health::TimePoint;
using health::Verdict;
using namespace std::chrono_literals;

Endpoint ep(const char* text) { return *Endpoint::parse(text); }
const Endpoint a = ep("192.168.0.2:6443"), b = ep("192.168.0.3:6443"), c = ep("192.168.0.4:6443");

CheckEvent pass(const Endpoint& target) {
  CheckEvent event;
  event.target = target;
  event.result.healthy = true;
  event.verdict = Verdict::Healthy;
  return event;
}
CheckEvent failure(const Endpoint& target, FailureKind kind, Verdict verdict = Verdict::Unhealthy) {
  CheckEvent event;
  event.target = target;
  event.result.failure = kind;
  event.verdict = verdict;
  return event;
}

VirtualServer vip() {
  VirtualServer vs;
  vs.key.endpoint = ep("10.103.97.12:6443");
  return vs;
}

TimePoint at(std::chrono::milliseconds offset) { return TimePoint{} + 1h + offset; }

// Three servers, all active at t=0.
DesiredState activeState(FailoverPolicy policy = {}) {
  DesiredState state(vip(), {a, b, c}, true, policy);
  for (const Endpoint& rs : {a, b, c}) state.onCheck(pass(rs), at(0ms));
  return state;
}

TEST(FailoverPolicyTest, WhatCannotServeIsRemovedAtOnce) {
  for (const FailureKind down : {FailureKind::Refused, FailureKind::Unreachable, FailureKind::Tls}) {
    DesiredState state = activeState();
    const auto t = state.onCheck(failure(a, down), at(1s));
    ASSERT_TRUE(t) << toString(down);
    EXPECT_EQ(t->from, ServerPhase::Active);
    EXPECT_EQ(t->to, ServerPhase::Removed) << toString(down);
  }
}

TEST(FailoverPolicyTest, NotReadyDrainsUntilTheDeadlineWhateverFollows) {
  FailoverPolicy policy;
  policy.drainTimeout = 10s;
  DesiredState state = activeState(policy);
  ASSERT_TRUE(state.onCheck(failure(a, FailureKind::HttpStatus), at(1s)));
  EXPECT_EQ(state.phase(a), ServerPhase::Draining);
  EXPECT_EQ(state.drainDeadline(a), at(11s));
  EXPECT_EQ(state.nextDrainDeadline(), at(11s));
  // Still failing, then its listener closes (a graceful shutdown): it keeps draining.
  EXPECT_FALSE(state.onCheck(failure(a, FailureKind::HttpStatus), at(2s)));
  EXPECT_FALSE(state.onCheck(failure(a, FailureKind::Refused), at(3s)));
  EXPECT_FALSE(state.onCheck(failure(a, FailureKind::Timeout), at(4s)));
  EXPECT_TRUE(state.expireDrains(at(10999ms)).empty());
  const auto expired = state.expireDrains(at(11s));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].server, a);
  EXPECT_EQ(expired[0].to, ServerPhase::Removed);
  EXPECT_EQ(state.phase(a), ServerPhase::Removed);
  EXPECT_FALSE(state.nextDrainDeadline());
}

TEST(FailoverPolicyTest, ADrainedServerThatPassesComesBackAndItsDeadlineIsGone) {
  DesiredState state = activeState();
  state.onCheck(failure(b, FailureKind::HttpStatus), at(1s));
  const auto back = state.onCheck(pass(b), at(2s));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->to, ServerPhase::Active);
  EXPECT_FALSE(state.drainDeadline(b));
  EXPECT_TRUE(state.expireDrains(at(60s)).empty());
  EXPECT_EQ(state.phase(b), ServerPhase::Active);
}

TEST(FailoverPolicyTest, ATimeoutFollowsLvscaresSequence) {
  DesiredState state = activeState();
  state.onCheck(failure(a, FailureKind::Timeout), at(1s));
  EXPECT_EQ(state.phase(a), ServerPhase::Draining);
  EXPECT_FALSE(state.drainDeadline(a));
  state.onCheck(failure(a, FailureKind::Timeout), at(2s));
  EXPECT_EQ(state.phase(a), ServerPhase::Removed);
}

TEST(FailoverPolicyTest, NoDrainTimeoutIsLvscaresSequenceForEveryFailure) {
  for (const FailureKind kind : {FailureKind::Refused, FailureKind::HttpStatus, FailureKind::Tls}) {
    DesiredState state = activeState(FailoverPolicy::lvscare());
    state.onCheck(failure(a, kind), at(1s));
    EXPECT_EQ(state.phase(a), ServerPhase::Draining) << toString(kind);
    state.onCheck(failure(a, kind), at(2s));
    EXPECT_EQ(state.phase(a), ServerPhase::Removed) << toString(kind);
  }
}

TEST(FailoverPolicyTest, FlapDampingHoldsAFlappingServerOutForDoublingTimes) {
  FailoverPolicy policy;
  policy.dampingBase = 2s;
  policy.dampingMax = 10s;
  DesiredState state = activeState(policy);
  // Each cycle: fails 1 s after it came back, passes again as soon as it may.
  std::chrono::milliseconds now = 0ms;
  std::vector<std::chrono::milliseconds> holds;
  for (int cycle = 0; cycle < 5; ++cycle) {
    now += 1s;
    state.onCheck(failure(a, FailureKind::Refused), at(now));
    ASSERT_EQ(state.phase(a), ServerPhase::Removed);
    const auto held = state.heldUntil(a, at(now));
    holds.push_back(held ? std::chrono::duration_cast<std::chrono::milliseconds>(*held - at(now)) : 0ms);
    if (held) {
      // A pass during the hold changes nothing; the first one after it brings it back.
      EXPECT_FALSE(state.onCheck(pass(a), *held - 1ms)) << "cycle " << cycle;
      now = std::chrono::duration_cast<std::chrono::milliseconds>(*held - at(0ms));
    }
    ASSERT_TRUE(state.onCheck(pass(a), at(now))) << "cycle " << cycle;
  }
  // The first failure is not a flap; then 2 s, doubling, at most 10 s.
  EXPECT_EQ(holds, (std::vector<std::chrono::milliseconds>{0ms, 2s, 4s, 8s, 10s}));
  // Stable for longer than the max: the count starts over.
  now += 11s;
  state.onCheck(failure(a, FailureKind::Refused), at(now));
  EXPECT_FALSE(state.heldUntil(a, at(now)));
}

TEST(FailoverPolicyTest, FlapDampingIsOffByDefault) {
  DesiredState state = activeState();
  for (int cycle = 1; cycle <= 4; ++cycle) {
    state.onCheck(failure(a, FailureKind::Refused), at(cycle * 1s));
    EXPECT_FALSE(state.heldUntil(a, at(cycle * 1s)));
    ASSERT_TRUE(state.onCheck(pass(a), at(cycle * 1s + 1ms)));
  }
}

TEST(FailoverPolicyTest, EvidenceTakesAnActiveServerOutAndAPassingCheckBringsItBack) {
  DesiredState state = activeState();
  auto refused = state.onEvidence(a, FailureKind::Refused, at(1s));
  ASSERT_TRUE(refused.transition) << refused.ignored;
  EXPECT_EQ(refused.transition->to, ServerPhase::Removed);
  auto unanswered = state.onEvidence(b, FailureKind::Timeout, at(1s));
  ASSERT_TRUE(unanswered.transition) << unanswered.ignored;
  EXPECT_EQ(unanswered.transition->to, ServerPhase::Draining);
  // The confirming check fails below `fall` (the verdict is still Healthy): the server stays out.
  EXPECT_FALSE(state.onCheck(failure(a, FailureKind::Refused, Verdict::Healthy), at(1100ms)));
  EXPECT_EQ(state.phase(a), ServerPhase::Removed);
  // A passing check is what brings it back.
  ASSERT_TRUE(state.onCheck(pass(b), at(1200ms)));
  EXPECT_EQ(state.phase(b), ServerPhase::Active);
}

TEST(FailoverPolicyTest, EvidenceNeverTakesTheLastActiveServerNorFlapsOne) {
  DesiredState state = activeState();
  ASSERT_TRUE(state.onEvidence(a, FailureKind::Refused, at(1s)).transition);
  ASSERT_TRUE(state.onEvidence(b, FailureKind::Refused, at(1s)).transition);
  const auto last = state.onEvidence(c, FailureKind::Refused, at(1s));
  EXPECT_FALSE(last.transition);
  EXPECT_EQ(last.ignored, "last active server");
  EXPECT_EQ(state.phase(c), ServerPhase::Active);
  EXPECT_EQ(state.onEvidence(a, FailureKind::Refused, at(1s)).ignored, "not active");
  EXPECT_EQ(state.onEvidence(ep("10.0.0.9:1"), FailureKind::Refused, at(1s)).ignored, "not a real server of ours");
  // The confirming check passes: a false alarm, so evidence against a is ignored for the cooldown.
  state.onCheck(pass(a), at(2s));
  EXPECT_EQ(state.onEvidence(a, FailureKind::Refused, at(5s)).ignored, "cooldown after a false alarm");
  EXPECT_TRUE(state.onEvidence(a, FailureKind::Refused, at(32s)).transition);
  // Confirmed (the check fails too), then back later: a new death is acted on at once.
  state.onCheck(failure(a, FailureKind::Refused), at(32100ms));
  state.onCheck(pass(a), at(35s));
  ASSERT_EQ(state.phase(a), ServerPhase::Active);
  EXPECT_TRUE(state.onEvidence(a, FailureKind::Refused, at(36s)).transition);
}

}  // namespace
}  // namespace lvscare::care
