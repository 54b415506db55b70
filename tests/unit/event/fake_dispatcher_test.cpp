#include <gtest/gtest.h>

#include <vector>

#include "testing/fake_dispatcher.hpp"

namespace lvscare::event {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(FakeDispatcherTest, FiresInDeadlineOrderThenArmingOrder) {
  FakeDispatcher d;
  std::vector<int> fired;
  auto a = d.createTimer([&] { fired.push_back(1); });
  auto b = d.createTimer([&] { fired.push_back(2); });
  auto c = d.createTimer([&] { fired.push_back(3); });
  a->arm(seconds(2));
  b->arm(seconds(1));
  c->arm(seconds(2));
  EXPECT_EQ(d.advance(milliseconds(999)), 0);
  EXPECT_EQ(d.advance(seconds(5)), 3);
  EXPECT_EQ(fired, (std::vector<int>{2, 1, 3}));
  EXPECT_FALSE(a->armed());
}

TEST(FakeDispatcherTest, ClockStandsAtEachDeadlineWhileItsTimerFires) {
  FakeDispatcher d;
  const TimePoint start = d.now();
  TimePoint seen{};
  auto t = d.createTimer([&] { seen = d.now(); });
  t->arm(milliseconds(1500));
  d.advance(seconds(3));
  EXPECT_EQ(seen - start, milliseconds(1500));
  EXPECT_EQ(d.now() - start, seconds(3));
}

TEST(FakeDispatcherTest, TimersArmedByCallbacksFireWithinTheWindow) {
  FakeDispatcher d;
  int count = 0;
  std::unique_ptr<Timer> t;
  t = d.createTimer([&] {
    ++count;
    t->arm(seconds(1));
  });
  t->arm(seconds(1));
  d.advance(seconds(10));
  EXPECT_EQ(count, 10);
  EXPECT_TRUE(t->armed());
}

TEST(FakeDispatcherTest, CancelAndDestroyStopATimer) {
  FakeDispatcher d;
  int count = 0;
  auto a = d.createTimer([&] { ++count; });
  auto b = d.createTimer([&] { ++count; });
  a->arm(seconds(1));
  b->arm(seconds(1));
  a->cancel();
  b.reset();
  EXPECT_EQ(d.armedTimers(), 0u);
  d.advance(seconds(2));
  EXPECT_EQ(count, 0);
}

TEST(FakeDispatcherTest, ATimerMayDestroyItselfAndOthersFromItsCallback) {
  FakeDispatcher d;
  int count = 0;
  std::unique_ptr<Timer> self;
  std::unique_ptr<Timer> other = d.createTimer([&] { ++count; });
  self = d.createTimer([&] {
    ++count;
    other.reset();
    self.reset();
  });
  self->arm(seconds(1));
  other->arm(seconds(1));
  d.advance(seconds(2));
  EXPECT_EQ(count, 1);
  EXPECT_EQ(self, nullptr);
}

TEST(FakeDispatcherTest, ZeroDelayRunsOnRunDue) {
  FakeDispatcher d;
  int count = 0;
  auto t = d.createTimer([&] { ++count; });
  t->arm(Duration::zero());
  EXPECT_EQ(count, 0);
  EXPECT_EQ(d.runDue(), 1);
  EXPECT_EQ(count, 1);
}

}  // namespace
}  // namespace lvscare::event
