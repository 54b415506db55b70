// Time and timers, the contract every event-driven part (health checks, the care loop) runs on.
// The real Dispatcher is the epoll loop (event_loop.hpp); logic tests use a fake one whose clock
// moves only when the test advances it, so they run without sleeping.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace lvscare::event {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = std::chrono::nanoseconds;

// A one-shot timer owned by whoever created it; destroying it cancels it.
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void arm(Duration delay) = 0;  // re-arming replaces the previous deadline
  virtual void cancel() = 0;
  virtual bool armed() const = 0;
};

// Time and timers. The real one is an epoll loop on the steady clock; tests use a fake one whose
// clock moves only when the test advances it.
class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  virtual TimePoint now() const = 0;
  virtual std::unique_ptr<Timer> createTimer(std::function<void()> callback) = 0;
};

}  // namespace lvscare::event
