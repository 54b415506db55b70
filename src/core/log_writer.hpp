// The writer behind logLine(): lines go into a bounded queue and a thread of their own writes them,
// so no caller ever waits for whoever reads stderr. With stderr on a pipe nobody drains (a wedged
// container log collector), a blocking write() would freeze the care loop and with it every check
// and repair; here the thread blocks instead, the queue fills, later lines are dropped and counted,
// and once lines can be written again a notice says how many were lost.
//
// Why a thread and not a non-blocking stderr: O_NONBLOCK is a property of the open file description,
// which stderr shares with the container runtime, the parent shell and every other holder: setting
// it would make their writes fail with EAGAIN. A queue drained by the event loop when the fd is
// writable would need the core layer to depend on the event loop above it, would not cover lines
// written before or outside the loop, and a tty or a file can still block on write() after polling
// writable. A thread that may block is the one writer that cannot harm anyone else.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace lvscare {

class AsyncLineWriter {
 public:
  // Writes one whole line; may block as long as it likes.
  using WriteLine = std::function<void(std::string_view)>;
  // The line that reports `count` dropped lines.
  using DropNotice = std::function<std::string(std::uint64_t count)>;

  // Queues at most `capacityBytes` of lines; the thread starts here.
  AsyncLineWriter(WriteLine write, DropNotice notice, std::size_t capacityBytes);
  // Writes what is queued within `kExitFlush`, then stops. A writer blocked for good is left behind.
  ~AsyncLineWriter();
  AsyncLineWriter(const AsyncLineWriter&) = delete;
  AsyncLineWriter& operator=(const AsyncLineWriter&) = delete;

  // Never waits for the writer: queues the line, or drops and counts it when the queue is full.
  void push(std::string line);
  // Waits until everything pushed so far (and any drop notice) is written, at most `limit`.
  // True when it was.
  bool flush(std::chrono::milliseconds limit);
  std::uint64_t droppedTotal() const;

  static constexpr std::chrono::milliseconds kExitFlush{1000};

 private:
  void run();
  bool idleLocked() const { return queue_.empty() && !writing_ && pendingDrops_ == 0; }

  WriteLine write_;
  DropNotice notice_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;  // the writer: work or stop
  std::condition_variable idle_;  // flush(): nothing left to write
  std::deque<std::string> queue_;
  std::size_t queuedBytes_ = 0;
  std::uint64_t pendingDrops_ = 0;  // dropped since the last notice
  std::uint64_t droppedTotal_ = 0;
  bool writing_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lvscare
