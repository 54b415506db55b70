#include "lvscare/event_loop.hpp"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "event/timer_queue.hpp"

namespace lvscare::event {

static_assert(fd_event::kRead == EPOLLIN && fd_event::kWrite == EPOLLOUT && fd_event::kError == EPOLLERR &&
              fd_event::kHangup == EPOLLHUP && fd_event::kPeerClosed == EPOLLRDHUP && fd_event::kEdge == EPOLLET);

// epoll reports an event for a registration that a callback earlier in the same batch may have
// destroyed. Events therefore carry a slot index and a generation instead of a pointer; a stale
// pair is simply skipped.
struct EpollDispatcher::Slot {
  Watch* owner = nullptr;
  std::uint32_t generation = 0;
};

class EpollDispatcher::Watch final : public FdWatch {
 public:
  Watch(EpollDispatcher& loop, int fd, UniqueFd owned, std::uint32_t index, FdCallback callback)
      : loop_(loop), fd_(fd), owned_(std::move(owned)), index_(index), callback_(std::move(callback)) {}
  ~Watch() override {
    loop_.release(index_, !owned_.valid());
    owned_.reset();
    if (destroyed_ != nullptr) *destroyed_ = true;
  }

  Result<void> setInterest(std::uint32_t events) override {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = loop_.tag(index_);
    if (epoll_ctl(loop_.epoll_.get(), EPOLL_CTL_MOD, fd_, &ev) != 0) return failErrno(errno, "epoll_ctl modify");
    return {};
  }
  int fd() const override { return fd_; }

  // Runs the callback moved out of the watch, so the callback may destroy the watch.
  void dispatch(std::uint32_t events) {
    if (!callback_) return;  // re-entered from a nested loop inside its own callback
    bool destroyed = false;
    destroyed_ = &destroyed;
    FdCallback callback = std::move(callback_);
    callback(events);
    if (destroyed) return;
    destroyed_ = nullptr;
    callback_ = std::move(callback);
  }

 private:
  EpollDispatcher& loop_;
  int fd_;
  UniqueFd owned_;
  std::uint32_t index_;
  FdCallback callback_;
  bool* destroyed_ = nullptr;
};

class EpollDispatcher::Signals final : public SignalWatch {
 public:
  Signals(sigset_t newlyBlocked, std::unique_ptr<FdWatch> watch)
      : newlyBlocked_(newlyBlocked), watch_(std::move(watch)) {}
  ~Signals() override {
    watch_.reset();
    pthread_sigmask(SIG_UNBLOCK, &newlyBlocked_, nullptr);
  }

 private:
  sigset_t newlyBlocked_;
  std::unique_ptr<FdWatch> watch_;
};

Result<std::unique_ptr<EpollDispatcher>> EpollDispatcher::create() {
  UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return failErrno(errno, "epoll_create1");
  return std::unique_ptr<EpollDispatcher>(new EpollDispatcher(std::move(epoll)));
}

EpollDispatcher::EpollDispatcher(UniqueFd epoll)
    : epoll_(std::move(epoll)), timers_(std::make_unique<TimerQueue>([] { return SteadyClock::now(); })) {}

EpollDispatcher::~EpollDispatcher() = default;

TimePoint EpollDispatcher::now() const { return SteadyClock::now(); }

std::unique_ptr<Timer> EpollDispatcher::createTimer(std::function<void()> callback) {
  return timers_->create(std::move(callback));
}

std::uint64_t EpollDispatcher::tag(std::uint32_t index) const {
  return (std::uint64_t{slots_[index].generation} << 32) | index;
}

Result<std::unique_ptr<FdWatch>> EpollDispatcher::watch(int fd, std::uint32_t events, FdCallback callback) {
  return add(fd, UniqueFd(), events, std::move(callback));
}

Result<std::unique_ptr<FdWatch>> EpollDispatcher::watch(UniqueFd fd, std::uint32_t events, FdCallback callback) {
  const int raw = fd.get();
  return add(raw, std::move(fd), events, std::move(callback));
}

Result<std::unique_ptr<FdWatch>> EpollDispatcher::add(int fd, UniqueFd owned, std::uint32_t events,
                                                      FdCallback callback) {
  std::uint32_t index;
  if (!freeSlots_.empty()) {
    index = freeSlots_.back();
    freeSlots_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag(index);
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    const int err = errno;
    freeSlots_.push_back(index);
    return failErrno(err, "epoll_ctl add");
  }
  auto watch = std::make_unique<Watch>(*this, fd, std::move(owned), index, std::move(callback));
  slots_[index].owner = watch.get();
  ++liveWatches_;
  return std::unique_ptr<FdWatch>(std::move(watch));
}

void EpollDispatcher::release(std::uint32_t index, bool removeFromEpoll) {
  if (removeFromEpoll) {
    // The fd may already be closed by its owner; then the kernel dropped it and this fails
    // harmlessly with EBADF.
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, slots_[index].owner->fd(), nullptr);
  }
  slots_[index].owner = nullptr;
  ++slots_[index].generation;
  freeSlots_.push_back(index);
  --liveWatches_;
}

Result<std::unique_ptr<SignalWatch>> EpollDispatcher::watchSignals(const std::vector<int>& signals,
                                                                   std::function<void(int)> callback) {
  sigset_t wanted;
  sigset_t before;
  sigemptyset(&wanted);
  for (int signo : signals) sigaddset(&wanted, signo);
  if (int err = pthread_sigmask(SIG_BLOCK, &wanted, &before); err != 0) return failErrno(err, "block signals");
  sigset_t newlyBlocked;
  sigemptyset(&newlyBlocked);
  for (int signo : signals) {
    if (sigismember(&before, signo) == 0) sigaddset(&newlyBlocked, signo);
  }
  UniqueFd fd(signalfd(-1, &wanted, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd) {
    const int err = errno;
    pthread_sigmask(SIG_UNBLOCK, &newlyBlocked, nullptr);
    return failErrno(err, "signalfd");
  }
  const int raw = fd.get();
  auto watched = watch(std::move(fd), fd_event::kRead, [raw, callback = std::move(callback)](std::uint32_t) {
    signalfd_siginfo info{};
    // Bounded: one pass drains what is queued now; more signals wake the loop again.
    for (int i = 0; i < 64 && read(raw, &info, sizeof info) == static_cast<ssize_t>(sizeof info); ++i) {
      callback(static_cast<int>(info.ssi_signo));
    }
  });
  if (!watched) {
    pthread_sigmask(SIG_UNBLOCK, &newlyBlocked, nullptr);
    return passOn(watched);
  }
  return std::unique_ptr<SignalWatch>(std::make_unique<Signals>(newlyBlocked, std::move(*watched)));
}

void EpollDispatcher::pollOnce(TimePoint deadline) {
  if (auto next = timers_->nextDeadline()) deadline = std::min(deadline, *next);
  timespec timeout{};
  timespec* timeoutPtr = nullptr;
  if (deadline != TimePoint::max()) {
    const auto left = std::max(Duration::zero(), deadline - now());
    timeout.tv_sec = static_cast<time_t>(left.count() / 1'000'000'000);
    timeout.tv_nsec = static_cast<long>(left.count() % 1'000'000'000);
    timeoutPtr = &timeout;
  }
  epoll_event events[kBatch];
  dispatch(events, epoll_pwait2(epoll_.get(), events, kBatch, timeoutPtr, nullptr));
  // Timers due now fire; those armed by these callbacks wait for the next pass, so a timer that
  // re-arms itself with zero delay cannot starve the fds.
  const TimePoint due = now();
  if (auto next = timers_->nextDeadline(); next && *next <= due) {
    // A deadline passed, but an answer may have come in meanwhile: after SIGSTOP/SIGCONT the wait
    // ends with EINTR and no events, after a VM pause or a long stall it ends late, and in either
    // case what arrived during the pause is not in that batch. What is ready now is read first, so
    // a late wake-up is never reported as a timeout.
    const timespec noWait{};
    dispatch(events, epoll_pwait2(epoll_.get(), events, kBatch, &noWait, nullptr));
  }
  while (timers_->fireOne(due)) {
  }
}

void EpollDispatcher::dispatch(const epoll_event* events, int count) {
  for (int i = 0; i < count; ++i) {
    const auto index = static_cast<std::uint32_t>(events[i].data.u64 & 0xffffffffu);
    const auto generation = static_cast<std::uint32_t>(events[i].data.u64 >> 32);
    if (index >= slots_.size() || slots_[index].owner == nullptr || slots_[index].generation != generation) continue;
    slots_[index].owner->dispatch(events[i].events);
  }
}

static TimePoint deadlineAfter(Duration limit) {
  const TimePoint start = SteadyClock::now();
  if (limit >= TimePoint::max() - start) return TimePoint::max();
  return start + limit;
}

void EpollDispatcher::run() {
  stopped_ = false;
  while (!stopped_) pollOnce(TimePoint::max());
}

bool EpollDispatcher::runFor(Duration limit) {
  stopped_ = false;
  const TimePoint deadline = deadlineAfter(limit);
  while (!stopped_ && now() < deadline) pollOnce(deadline);
  return !stopped_;
}

bool EpollDispatcher::runUntil(const std::function<bool()>& done, Duration limit) {
  stopped_ = false;
  const TimePoint deadline = deadlineAfter(limit);
  while (!done()) {
    if (stopped_ || now() >= deadline) return false;
    pollOnce(deadline);
  }
  return true;
}

}  // namespace lvscare::event
