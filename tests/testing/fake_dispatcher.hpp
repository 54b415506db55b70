// A Dispatcher for tests: its clock moves only when the test calls advance(), which fires the due
// timers in deadline order. Timing logic is tested with it, without sleeping.
#pragma once

#include <memory>
#include <optional>

#include "lvscare/dispatcher.hpp"

namespace lvscare::event {

class TimerQueue;

// Its timers must be destroyed before it is.
class FakeDispatcher final : public Dispatcher {
 public:
  // Starts at an arbitrary, fixed time so tests that print times are stable.
  FakeDispatcher();
  ~FakeDispatcher() override;
  FakeDispatcher(const FakeDispatcher&) = delete;
  FakeDispatcher& operator=(const FakeDispatcher&) = delete;

  TimePoint now() const override { return now_; }
  std::unique_ptr<Timer> createTimer(std::function<void()> callback) override;

  // Moves the clock forward by `d`, stopping at each timer's deadline on the way to fire it.
  // Timers armed by those callbacks fire too when they fall due within the window; so do timers
  // due exactly now (advance(0) runs what was just scheduled with no delay). Returns how many
  // fired. Aborts the test process after kMaxFires, since that means a timer loop without end.
  int advance(Duration d);
  // Fires what is due now: advance(0).
  int runDue() { return advance(Duration::zero()); }

  std::optional<TimePoint> nextDeadline() const;
  std::size_t armedTimers() const;

  static constexpr int kMaxFires = 1'000'000;

 private:
  TimePoint now_;
  std::unique_ptr<TimerQueue> timers_;
};

}  // namespace lvscare::event
