// The real Dispatcher: one thread, one epoll instance, timers on the steady clock, file descriptors
// and signals as callbacks. Every probe of every server runs on it concurrently; nothing blocks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "lvscare/dispatcher.hpp"
#include "lvscare/result.hpp"
#include "lvscare/unique_fd.hpp"

struct epoll_event;

namespace lvscare::event {

class TimerQueue;

// Interest and event bits, equal to the EPOLL* values (checked in event_loop.cpp).
namespace fd_event {
inline constexpr std::uint32_t kRead = 0x001;         // EPOLLIN
inline constexpr std::uint32_t kWrite = 0x004;        // EPOLLOUT
inline constexpr std::uint32_t kError = 0x008;        // EPOLLERR (always reported)
inline constexpr std::uint32_t kHangup = 0x010;       // EPOLLHUP (always reported)
inline constexpr std::uint32_t kPeerClosed = 0x2000;  // EPOLLRDHUP
inline constexpr std::uint32_t kEdge = 1u << 31;      // EPOLLET: report changes, not levels
}  // namespace fd_event

// A registration of one fd. Destroying it unregisters the fd (and closes it when the watch owns
// it). It may be destroyed from inside its own callback.
class FdWatch {
 public:
  virtual ~FdWatch() = default;
  virtual Result<void> setInterest(std::uint32_t events) = 0;
  virtual int fd() const = 0;
};

// Blocks the given signals for this thread while it lives and delivers them through a signalfd.
class SignalWatch {
 public:
  virtual ~SignalWatch() = default;
};

// Timers, watches and signal watches it hands out must be destroyed before it is.
class EpollDispatcher final : public Dispatcher {
 public:
  using FdCallback = std::function<void(std::uint32_t events)>;

  static Result<std::unique_ptr<EpollDispatcher>> create();
  ~EpollDispatcher() override;
  EpollDispatcher(const EpollDispatcher&) = delete;
  EpollDispatcher& operator=(const EpollDispatcher&) = delete;

  TimePoint now() const override;
  std::unique_ptr<Timer> createTimer(std::function<void()> callback) override;

  // Watches an fd the caller keeps owning; the watch removes it from epoll when destroyed.
  Result<std::unique_ptr<FdWatch>> watch(int fd, std::uint32_t events, FdCallback callback);
  // Watches an fd the watch then owns: destroying the watch closes it, which also removes it
  // from epoll (one syscall fewer per probe).
  Result<std::unique_ptr<FdWatch>> watch(UniqueFd fd, std::uint32_t events, FdCallback callback);
  // SIGTERM/SIGINT handling for the care loop. Call before any other thread starts, since the
  // signals are blocked only in the calling thread.
  Result<std::unique_ptr<SignalWatch>> watchSignals(const std::vector<int>& signals,
                                                    std::function<void(int signo)> callback);

  // Runs callbacks until stop() is called from one of them.
  void run();
  // Runs until stop() or until `limit` has passed on the steady clock. Returns false if stopped.
  bool runFor(Duration limit);
  // Runs until done() holds (checked after each batch of callbacks), stop(), or `limit` passes.
  // Returns done(). The bounded wait tests use instead of sleeping.
  bool runUntil(const std::function<bool()>& done, Duration limit);
  // Makes the innermost run*/ call return after the current callback.
  void stop() { stopped_ = true; }

  std::size_t watchedFds() const { return liveWatches_; }

 private:
  struct Slot;
  class Watch;
  class Signals;

  explicit EpollDispatcher(UniqueFd epoll);
  Result<std::unique_ptr<FdWatch>> add(int fd, UniqueFd owned, std::uint32_t events, FdCallback callback);
  void release(std::uint32_t index, bool removeFromEpoll);
  std::uint64_t tag(std::uint32_t index) const;
  void pollOnce(TimePoint deadline);
  void dispatch(const epoll_event* events, int count);  // count < 0 (a failed wait): nothing

  static constexpr int kBatch = 64;  // events taken per wait

  UniqueFd epoll_;
  std::unique_ptr<TimerQueue> timers_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> freeSlots_;
  std::size_t liveWatches_ = 0;
  bool stopped_ = false;
};

}  // namespace lvscare::event
