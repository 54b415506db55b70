#include "core/log_writer.hpp"

#include <signal.h>

namespace lvscare {

AsyncLineWriter::AsyncLineWriter(WriteLine write, DropNotice notice, std::size_t capacityBytes)
    : write_(std::move(write)), notice_(std::move(notice)), capacity_(capacityBytes) {
  // The thread starts with every signal blocked, so SIGTERM and the like keep going to the thread
  // that waits for them (the event loop's signalfd) instead of killing the process here.
  sigset_t all;
  sigset_t before;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &before);
  thread_ = std::thread([this] { run(); });
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

AsyncLineWriter::~AsyncLineWriter() {
  flush(kExitFlush);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  std::unique_lock lock(mutex_);
  if (writing_) {
    // Blocked in write() for longer than kExitFlush: joining could take forever. The thread only
    // touches this object again after its write returns, which the process exit forestalls.
    lock.unlock();
    thread_.detach();
    return;
  }
  lock.unlock();
  thread_.join();
}

void AsyncLineWriter::push(std::string line) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (queuedBytes_ + line.size() > capacity_) {
      ++pendingDrops_;
      ++droppedTotal_;
      return;
    }
    // The writer sleeps only on an empty queue: a busy one needs no wake-up (a futex call saved).
    wake = queue_.empty();
    if (pendingDrops_ > 0) {
      // The queue has room again, so the reader is reading: the notice goes before this line.
      queue_.push_back(notice_(pendingDrops_));
      queuedBytes_ += queue_.back().size();
      pendingDrops_ = 0;
    }
    queuedBytes_ += line.size();
    queue_.push_back(std::move(line));
  }
  if (wake) wake_.notify_one();
}

bool AsyncLineWriter::flush(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, limit, [this] { return idleLocked(); });
}

std::uint64_t AsyncLineWriter::droppedTotal() const {
  std::lock_guard lock(mutex_);
  return droppedTotal_;
}

void AsyncLineWriter::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty() || pendingDrops_ > 0; });
    if (queue_.empty() && pendingDrops_ == 0) return;  // stopping with nothing left
    std::string line;
    if (!queue_.empty()) {
      line = std::move(queue_.front());
      queue_.pop_front();
      queuedBytes_ -= line.size();
    } else {
      // Everything queued got written, so writing works again: say what was lost meanwhile.
      line = notice_(pendingDrops_);
      pendingDrops_ = 0;
    }
    writing_ = true;
    lock.unlock();
    write_(line);
    lock.lock();
    writing_ = false;
    if (idleLocked()) idle_.notify_all();
  }
}

}  // namespace lvscare
