// The epoll dispatcher with real fds but no sleeps: every wait is a bounded run of the loop.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lvscare/event_loop.hpp"

namespace lvscare::event {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct SocketPair {
  SocketPair() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    a.reset(fds[0]);
    b.reset(fds[1]);
  }
  UniqueFd a;
  UniqueFd b;
};

std::unique_ptr<EpollDispatcher> makeLoop() {
  auto loop = EpollDispatcher::create();
  EXPECT_TRUE(loop) << loop.error().describe();
  return std::move(*loop);
}

TEST(EpollDispatcherTest, TimersFireInDeadlineOrderOnTheSteadyClock) {
  auto loop = makeLoop();
  std::vector<int> fired;
  auto late = loop->createTimer([&] { fired.push_back(2); });
  auto early = loop->createTimer([&] { fired.push_back(1); });
  auto cancelled = loop->createTimer([&] { fired.push_back(3); });
  const TimePoint start = loop->now();
  late->arm(milliseconds(20));
  early->arm(milliseconds(5));
  cancelled->arm(milliseconds(1));
  cancelled->cancel();
  EXPECT_TRUE(loop->runUntil([&] { return fired.size() == 2; }, seconds(5)));
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
  EXPECT_GE(loop->now() - start, milliseconds(20));  // never early
}

TEST(EpollDispatcherTest, RunForReturnsAfterItsLimitAndStopEndsRun) {
  auto loop = makeLoop();
  const TimePoint start = loop->now();
  EXPECT_TRUE(loop->runFor(milliseconds(10)));
  EXPECT_GE(loop->now() - start, milliseconds(10));
  auto stopper = loop->createTimer([&] { loop->stop(); });
  stopper->arm(milliseconds(1));
  loop->run();  // returns because of stop(); a hang here fails by the ctest timeout
  stopper->arm(milliseconds(1));
  EXPECT_FALSE(loop->runFor(seconds(5)));
  EXPECT_FALSE(loop->runUntil([] { return false; }, milliseconds(5)));
}

TEST(EpollDispatcherTest, WatchesReadAndWriteInterest) {
  auto loop = makeLoop();
  SocketPair pair;
  std::string got;
  auto reader = loop->watch(pair.b.get(), fd_event::kRead, [&](std::uint32_t events) {
    EXPECT_TRUE(events & fd_event::kRead);
    char buffer[16];
    const ssize_t n = read(pair.b.get(), buffer, sizeof buffer);
    if (n > 0) got.append(buffer, static_cast<std::size_t>(n));
  });
  ASSERT_TRUE(reader);
  int writable = 0;
  std::unique_ptr<FdWatch> writerWatch;
  auto writer = loop->watch(pair.a.get(), fd_event::kWrite, [&](std::uint32_t) {
    ++writable;
    EXPECT_EQ(write(pair.a.get(), "ping", 4), 4);
    EXPECT_TRUE(writerWatch->setInterest(0));  // level-triggered: without this it would fire again
  });
  ASSERT_TRUE(writer);
  writerWatch = std::move(*writer);
  EXPECT_TRUE(loop->runUntil([&] { return got == "ping"; }, seconds(5)));
  EXPECT_EQ(writable, 1);
  EXPECT_EQ(loop->watchedFds(), 2u);
  writerWatch.reset();
  reader->reset();
  EXPECT_EQ(loop->watchedFds(), 0u);
}

TEST(EpollDispatcherTest, AnOwnedFdIsClosedWithItsWatch) {
  auto loop = makeLoop();
  SocketPair pair;
  const int raw = pair.a.get();
  auto watch = loop->watch(UniqueFd(pair.a.release()), fd_event::kRead, [](std::uint32_t) {});
  ASSERT_TRUE(watch);
  watch->reset();
  EXPECT_EQ(fcntl(raw, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(EpollDispatcherTest, ACallbackMayDestroyWatchesWithEventsPendingInTheSameBatch) {
  auto loop = makeLoop();
  SocketPair one;
  SocketPair two;
  ASSERT_EQ(write(one.a.get(), "x", 1), 1);
  ASSERT_EQ(write(two.a.get(), "x", 1), 1);
  std::unique_ptr<FdWatch> first;
  std::unique_ptr<FdWatch> second;
  int calls = 0;
  auto destroyBoth = [&](std::uint32_t) {
    ++calls;
    first.reset();
    second.reset();
  };
  first = std::move(*loop->watch(one.b.get(), fd_event::kRead, destroyBoth));
  second = std::move(*loop->watch(two.b.get(), fd_event::kRead, destroyBoth));
  loop->runFor(milliseconds(20));
  EXPECT_EQ(calls, 1);  // both were ready in one batch; the second event was stale and skipped
}

TEST(EpollDispatcherTest, DeliversSignalsThroughASignalfd) {
  auto loop = makeLoop();
  std::vector<int> got;
  auto watch = loop->watchSignals({SIGUSR1, SIGUSR2}, [&](int signo) { got.push_back(signo); });
  ASSERT_TRUE(watch) << watch.error().describe();
  ASSERT_EQ(raise(SIGUSR2), 0);  // blocked now, so pending until the loop reads it
  EXPECT_TRUE(loop->runUntil([&] { return !got.empty(); }, seconds(5)));
  EXPECT_EQ(got, std::vector<int>{SIGUSR2});
  watch->reset();
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  EXPECT_EQ(sigismember(&mask, SIGUSR2), 0);  // unblocked again
}

}  // namespace
}  // namespace lvscare::event
