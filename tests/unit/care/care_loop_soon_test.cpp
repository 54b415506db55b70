// CareLoop::reconcileSoon() and setPollIntervals(): a pass on the kernel's word, coalesced; the poll
// slowed where announcements cover it; and no loop when our own writes are announced back.
#include <gtest/gtest.h>

#include "care/care_loop.hpp"
#include "testing/fake_datapath.hpp"
#include "testing/fake_dispatcher.hpp"
#include "testing/fake_prober.hpp"

namespace lvscare::care {
namespace {

using namespace std::chrono_literals;

class CountingHost final : public HostSetup {
 public:
  std::string_view name() const override { return "counting"; }
  Result<std::vector<std::string>> ensure() override {
    ++ensures;
    if (present) return std::vector<std::string>{};
    present = true;
    return std::vector<std::string>{"fake route"};
  }
  Result<void> remove() override {
    present = false;
    return {};
  }
  bool present = false;
  int ensures = 0;
};

// The datapath as an unfiltered watch would see it: every write it carries out is announced back,
// and the announcement asks for a pass (as if our own writes were never recognised).
class AnnouncingDatapath final : public Datapath {
 public:
  explicit AnnouncingDatapath(FakeDatapath& inner) : inner_(inner) {}
  std::string_view name() const override { return "announcing"; }
  std::vector<Result<void>> apply(std::span<const DatapathOp> ops) override {
    auto results = inner_.apply(ops);
    if (onWrite && !ops.empty()) onWrite();
    return results;
  }
  Result<std::vector<VirtualServer>> listVirtualServers() override { return inner_.listVirtualServers(); }
  Result<VirtualServer> getVirtualServer(const ServiceKey& key) override { return inner_.getVirtualServer(key); }
  Result<std::vector<RealServerStatus>> listRealServers(const ServiceKey& key) override {
    return inner_.listRealServers(key);
  }
  Result<void> flush() override { return inner_.flush(); }
  std::function<void()> onWrite;

 private:
  FakeDatapath& inner_;
};

class CareLoopSoonTest : public ::testing::Test {
 protected:
  std::unique_ptr<CareLoop> makeLoop(health::Duration reconcileInterval = 250ms) {
    CareLoopOptions options;
    options.service.key.endpoint = *Endpoint::parse("10.103.97.12:6443");
    options.reals = {*Endpoint::parse("192.168.0.2:6443"), *Endpoint::parse("192.168.0.3:6443")};
    options.monitor.policy.interval = 1h;  // no check gets in the way of what is counted
    options.monitor.timeout = 2s;
    options.monitor.random = [] { return 0.5; };
    options.reconcileInterval = reconcileInterval;
    key = options.service.key;
    return std::make_unique<CareLoop>(dispatcher, announcing, host, probers.factory(), options);
  }
  bool serviceThere() { return static_cast<bool>(datapath.getVirtualServer(key)); }

  event::FakeDispatcher dispatcher;
  health::FakeProbers probers{dispatcher};
  FakeDatapath datapath;
  AnnouncingDatapath announcing{datapath};
  CountingHost host;
  ServiceKey key;
};

TEST_F(CareLoopSoonTest, ABurstOfAnnouncementsIsOnePassAFewMillisecondsLater) {
  auto loop = makeLoop();
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();  // the first round
  const auto passes = loop->counters().passes;
  for (int i = 0; i < 50; ++i) loop->reconcileSoon();
  EXPECT_EQ(loop->counters().passes, passes);  // nothing from inside the caller
  dispatcher.advance(CareLoop::kSoonDelay);
  EXPECT_EQ(loop->counters().soonPasses, 1u);
  EXPECT_EQ(loop->counters().passes, passes + 1);
}

TEST_F(CareLoopSoonTest, RepairsOnTheAnnouncementLongBeforeThePoll) {
  auto loop = makeLoop(1h);  // the poll would put it back only in an hour
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  ASSERT_TRUE(datapath.flush());  // someone deletes it; the kernel announces it
  host.present = false;
  loop->reconcileSoon();
  dispatcher.advance(CareLoop::kSoonDelay);
  EXPECT_TRUE(serviceThere());
  EXPECT_TRUE(host.present);
  EXPECT_EQ(loop->counters().repairs, 2u);  // the rules and the host, each counted once
}

TEST_F(CareLoopSoonTest, OurOwnWritesAnnouncedBackCostOneSparePassNotALoop) {
  auto loop = makeLoop(1h);
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  announcing.onWrite = [&] { loop->reconcileSoon(); };
  const auto passes = loop->counters().passes;
  ASSERT_TRUE(datapath.flush());
  loop->reconcileSoon();
  dispatcher.advance(10s);
  // The repair (a write, announced back), then one pass that finds nothing and writes nothing.
  EXPECT_EQ(loop->counters().soonPasses, 2u);
  EXPECT_EQ(loop->counters().passes, passes + 2);
  EXPECT_TRUE(serviceThere());
  EXPECT_FALSE(dispatcher.nextDeadline() && *dispatcher.nextDeadline() < dispatcher.now() + 30min);
}

TEST_F(CareLoopSoonTest, AChangeThatKeepsComingBackIsRepairedAtAFewPassesASecond) {
  auto loop = makeLoop(1h);
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  // Someone deletes our service again right after each repair, and says so each time.
  announcing.onWrite = [&] {
    (void)datapath.flush();
    loop->reconcileSoon();
  };
  const auto passes = loop->counters().soonPasses;
  ASSERT_TRUE(datapath.flush());
  loop->reconcileSoon();
  dispatcher.advance(1s);
  const auto spaced = loop->counters().soonPasses - passes;
  EXPECT_GE(spaced, 10u);                                                          // it keeps being repaired...
  EXPECT_LE(spaced, static_cast<std::uint64_t>(1s / CareLoop::kSoonSpacing) + 1);  // at most every 50 ms, not 5
}

TEST_F(CareLoopSoonTest, SlowerPollsReadEachPartOnlyWhenDue) {
  auto loop = makeLoop();
  loop->setPollIntervals(250ms, 5s);  // IPVS rules at the tick, the host on the fallback poll
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  const int ensures = host.ensures;
  const auto passes = loop->counters().passes;
  dispatcher.advance(10s);
  EXPECT_EQ(host.ensures - ensures, 2);              // every 5 s, not 40 times
  EXPECT_EQ(loop->counters().passes - passes, 40u);  // the rules still every 250 ms
}

TEST_F(CareLoopSoonTest, BothSlowMeansNoWakeUpsInBetween) {
  auto loop = makeLoop();
  loop->setPollIntervals(5s, 5s);  // nftables with the watch working
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();
  const auto passes = loop->counters().passes;
  EXPECT_EQ(dispatcher.advance(10s), 2);  // two ticks in 10 s, each reading both parts
  EXPECT_EQ(loop->counters().passes - passes, 2u);
}

TEST_F(CareLoopSoonTest, LosingTheWatchBringsTheFastPollBackAtOnce) {
  auto loop = makeLoop();
  loop->setPollIntervals(5s, 5s);
  ASSERT_TRUE(loop->start());
  dispatcher.advance(1s);
  loop->setPollIntervals(250ms, 250ms);
  ASSERT_TRUE(datapath.flush());
  dispatcher.advance(250ms);
  EXPECT_TRUE(serviceThere());
}

TEST_F(CareLoopSoonTest, NothingBeforeStartOrAfterStop) {
  auto loop = makeLoop();
  loop->reconcileSoon();
  dispatcher.advance(1s);
  EXPECT_EQ(loop->counters().soonPasses, 0u);
  ASSERT_TRUE(loop->start());
  loop->reconcileSoon();
  loop->stop();
  dispatcher.advance(1s);
  EXPECT_EQ(loop->counters().soonPasses, 0u);
}

}  // namespace
}  // namespace lvscare::care
