#include "testing/fake_dispatcher.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "event/timer_queue.hpp"

namespace lvscare::event {

FakeDispatcher::FakeDispatcher()
    : now_(TimePoint{} + std::chrono::hours(1000)), timers_(std::make_unique<TimerQueue>([this] { return now_; })) {}

FakeDispatcher::~FakeDispatcher() = default;

std::unique_ptr<Timer> FakeDispatcher::createTimer(std::function<void()> callback) {
  return timers_->create(std::move(callback));
}

int FakeDispatcher::advance(Duration d) {
  const TimePoint end = now_ + d;
  int fired = 0;
  while (auto next = timers_->nextDeadline()) {
    if (*next > end) break;
    if (*next > now_) now_ = *next;
    timers_->fireOne(now_);
    if (++fired >= kMaxFires) {
      std::fprintf(stderr, "FakeDispatcher: %d timers fired in one advance(): a timer loop without end\n", fired);
      std::abort();
    }
  }
  now_ = end;
  return fired;
}

std::optional<TimePoint> FakeDispatcher::nextDeadline() const { return timers_->nextDeadline(); }

std::size_t FakeDispatcher::armedTimers() const { return timers_->armedCount(); }

}  // namespace lvscare::event
