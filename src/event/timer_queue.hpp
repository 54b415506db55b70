// Timers ordered by deadline, shared by the epoll and the fake dispatcher so both fire timers the
// same way: in deadline order, ties in arming order, each callback free to re-arm, cancel or
// destroy any timer, its own included.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "lvscare/dispatcher.hpp"

namespace lvscare::event {

class TimerQueue {
 public:
  // `now` is read when a timer is armed: arm(d) sets the deadline now() + d.
  explicit TimerQueue(std::function<TimePoint()> now) : now_(std::move(now)) {}
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  std::unique_ptr<Timer> create(std::function<void()> callback);

  std::optional<TimePoint> nextDeadline() const;
  // Fires the earliest timer if it is due at `now`; returns false when none is.
  bool fireOne(TimePoint now);
  std::size_t armedCount() const { return queue_.size(); }

 private:
  class QueueTimer;
  using Key = std::pair<TimePoint, std::uint64_t>;  // deadline, arming sequence

  std::function<TimePoint()> now_;
  std::map<Key, QueueTimer*> queue_;
  std::uint64_t sequence_ = 0;
};

}  // namespace lvscare::event
