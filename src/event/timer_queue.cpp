#include "event/timer_queue.hpp"

namespace lvscare::event {

class TimerQueue::QueueTimer final : public Timer {
 public:
  QueueTimer(TimerQueue& queue, std::function<void()> callback) : queue_(queue), callback_(std::move(callback)) {}
  ~QueueTimer() override {
    cancel();
    // Tell a running fireOne() that its timer is gone, so it does not put the callback back.
    if (destroyed_ != nullptr) *destroyed_ = true;
  }

  void arm(Duration delay) override {
    cancel();
    if (delay < Duration::zero()) delay = Duration::zero();
    key_ = Key{queue_.now_() + delay, queue_.sequence_++};
    queue_.queue_.emplace(key_, this);
    armed_ = true;
  }
  void cancel() override {
    if (!armed_) return;
    queue_.queue_.erase(key_);
    armed_ = false;
  }
  bool armed() const override { return armed_; }

 private:
  friend class TimerQueue;
  TimerQueue& queue_;
  std::function<void()> callback_;
  Key key_{};
  bool armed_ = false;
  bool* destroyed_ = nullptr;
};

std::unique_ptr<Timer> TimerQueue::create(std::function<void()> callback) {
  return std::make_unique<QueueTimer>(*this, std::move(callback));
}

std::optional<TimePoint> TimerQueue::nextDeadline() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->first.first;
}

bool TimerQueue::fireOne(TimePoint now) {
  if (queue_.empty() || queue_.begin()->first.first > now) return false;
  QueueTimer* timer = queue_.begin()->second;
  queue_.erase(queue_.begin());
  timer->armed_ = false;
  if (!timer->callback_) return true;  // re-fired from inside its own callback (a nested loop)
  // The callback is moved out while it runs: it may destroy its own timer, which would otherwise
  // destroy the std::function under its feet.
  bool destroyed = false;
  timer->destroyed_ = &destroyed;
  std::function<void()> callback = std::move(timer->callback_);
  callback();
  if (!destroyed) {
    timer->destroyed_ = nullptr;
    timer->callback_ = std::move(callback);
  }
  return true;
}

}  // namespace lvscare::event
