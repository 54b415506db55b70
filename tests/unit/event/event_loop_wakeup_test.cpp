// A late wake-up must not turn into a false timeout (SIGSTOP/SIGCONT, a VM pause): an answer that
// arrived while the process was not running is read before the deadline that passed meanwhile fires.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>

#include "lvscare/event_loop.hpp"

namespace lvscare::event {
namespace {

std::atomic<int> gPeer{-1};
std::atomic<std::int64_t> gResumeAt{0};  // steady clock, ns

std::int64_t steadyNs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// Plays the pause: the answer arrives, and the process gets the CPU back only after the deadline.
// Returning from it makes the wait fail with EINTR, as SIGCONT after SIGSTOP does.
void pausedWhileTheAnswerArrives(int) {
  const char byte = 'x';
  [[maybe_unused]] const auto sent = ::write(gPeer.load(), &byte, 1);
  while (steadyNs() < gResumeAt.load()) {
    const timespec step{0, 1'000'000};
    nanosleep(&step, nullptr);
  }
}

// True once thread `tid` of this process sits in the epoll_pwait2 system call.
bool inEpollWait(pid_t tid) {
  std::ifstream file("/proc/self/task/" + std::to_string(tid) + "/syscall");
  std::string number;
  return file >> number && number == std::to_string(SYS_epoll_pwait2);
}

TEST(EpollDispatcherWakeupTest, WhatArrivedDuringAPauseIsReadBeforeAnExpiredDeadlineFires) {
  if (!std::ifstream("/proc/self/task/" + std::to_string(gettid()) + "/syscall"))
    GTEST_SKIP() << "no /proc/<tid>/syscall";
  auto created = EpollDispatcher::create();
  ASSERT_TRUE(created);
  auto& loop = **created;
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd mine(fds[0]);
  UniqueFd peer(fds[1]);
  gPeer = peer.get();

  struct sigaction action {};
  action.sa_handler = pausedWhileTheAnswerArrives;
  sigemptyset(&action.sa_mask);
  struct sigaction previous {};
  ASSERT_EQ(sigaction(SIGUSR1, &action, &previous), 0);

  std::string order;
  auto watch = loop.watch(mine.get(), fd_event::kRead, [&](std::uint32_t) {
    char byte;
    while (::read(mine.get(), &byte, 1) == 1) order += "answer ";
  });
  ASSERT_TRUE(watch);
  // The check's deadline; the wait below blocks until it, unless interrupted.
  const auto timeout = std::chrono::milliseconds(20);
  auto deadline = loop.createTimer([&] {
    order += "timeout ";
    loop.stop();
  });
  gResumeAt = steadyNs() + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count() + 5'000'000;
  deadline->arm(timeout);

  const pid_t loopThread = gettid();
  std::thread pauser([&] {
    // Bounded: the loop thread reaches its wait at once.
    for (int i = 0; i < 100'000 && !inEpollWait(loopThread); ++i) std::this_thread::yield();
    syscall(SYS_tgkill, getpid(), loopThread, SIGUSR1);
  });
  const bool stopped = !loop.runFor(std::chrono::seconds(5));
  pauser.join();
  sigaction(SIGUSR1, &previous, nullptr);
  EXPECT_TRUE(stopped);
  EXPECT_EQ(order, "answer timeout ");  // the check would see its answer and cancel the timeout
}

}  // namespace
}  // namespace lvscare::event
