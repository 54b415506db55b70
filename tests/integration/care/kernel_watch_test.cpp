// Repair on the kernel's word, against this machine's kernel in a private network namespace: the
// care loop runs with a reconcile interval of an hour, so anything put back within seconds was put
// back because the kernel announced its deletion (KernelWatch), not by the poll. No timing figure
// is asserted beyond that generous bound; bench/care_repair.sh measures the times.
#include "care/kernel_watch.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <memory>

#include "care/care_loop.hpp"
#include "care/host_parts.hpp"
#include "host/routes.hpp"
#include "host/rtnl.hpp"
#include "lvscare/event_loop.hpp"
#include "nftables/lb_ruleset.hpp"
#include "nftables/nft_datapath.hpp"
#include "support/netns.hpp"
#include "support/run_command.hpp"
#include "testing/fake_prober.hpp"

namespace lvscare::care {
namespace {

using namespace std::chrono_literals;
using testing::run;

constexpr auto kPoll = std::chrono::hours(1);
constexpr auto kBound = 10s;  // far below kPoll, far above any announcement's delivery

class KernelWatchNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::isRoot()) GTEST_SKIP() << "needs root: nftables and route changes need CAP_NET_ADMIN";
    if (run("nft --version").status != 0) GTEST_SKIP() << "needs nft (Debian package nftables) to delete ours";
    netns_ = std::make_unique<testing::PrivateNetns>();
    ASSERT_TRUE(netns_->ok()) << netns_->error();
    // The node IP on a veth pair, as in care_scenario.sh: route mode's gateway.
    const auto made =
        run("ip link set lo up && ip link add kw0 type veth peer name kw1 && "
            "ip addr add 10.79.1.1/24 dev kw0 && ip link set kw0 up && ip link set kw1 up");
    ASSERT_EQ(made.status, 0) << made.output;

    auto loop = event::EpollDispatcher::create();
    ASSERT_TRUE(loop) << loop.error().describe();
    loop_ = std::move(*loop);
    probers_ = std::make_unique<health::FakeProbers>(*loop_);
    auto datapath = nftables::NftDatapath::open();
    ASSERT_TRUE(datapath) << datapath.error().describe();
    datapath_ = std::move(*datapath);
    auto rtnl = host::openRouteSocket();
    ASSERT_TRUE(rtnl) << rtnl.error().describe();
    rtnl_ = std::make_unique<netlink::Socket>(std::move(*rtnl));
    route_ = host::RouteSpec{vip_, nodeIp_};
    host_ = std::make_unique<RouteSetup>(*rtnl_, route_);

    CareLoopOptions options;
    options.service.key = key_;
    options.service.scheduler = "rr";
    options.reals = {*Endpoint::parse("10.79.1.2:80"), *Endpoint::parse("10.79.1.3:80")};
    options.monitor.policy.interval = kPoll;  // one check round at start, then none in the test
    options.monitor.timeout = 1s;
    options.reconcileInterval = kPoll;
    care_ = std::make_unique<CareLoop>(*loop_, *datapath_, *host_, probers_->factory(), options);

    WatchTargets targets;
    targets.nftTables.emplace(nftables::nfFamily(vip_.family), nftables::lbTableName(key_));
    targets.vip = vip_;
    targets.nodeIp = nodeIp_;
    if (auto port = netlink::portIdOf(rtnl_->fd())) targets.ownPortIds.push_back(*port);
    targets.ownThreadId = static_cast<std::uint32_t>(::gettid());
    auto watch = KernelWatch::open(
        *loop_, targets, {}, [this] { care_->reconcileSoon(); }, [this](const Error& error) { lost_ = error; });
    ASSERT_TRUE(watch) << watch.error().describe();
    watch_ = std::move(*watch);

    ASSERT_TRUE(care_->start());
    ASSERT_TRUE(loop_->runUntil([&] { return whole(); }, kBound)) << "not set up";
    settle();
  }
  void TearDown() override {
    watch_.reset();
    care_.reset();
    host_.reset();
    rtnl_.reset();
    datapath_.reset();
    probers_.reset();
    loop_.reset();
    netns_.reset();
  }

  // Our table with both servers, and our route.
  bool whole() {
    auto reals = datapath_->listRealServers(key_);
    auto route = host::hasRoute(*rtnl_, route_);
    return reals && reals->size() == 2 && route && *route;
  }
  // Lets whatever our own last writes caused run its course.
  void settle() { loop_->runFor(200ms); }

  // Deletes with `command`, then waits for the loop to put everything back. Returns the passes the
  // announcements started; fails the test if nothing came back within kBound.
  std::uint64_t deleteAndAwait(const std::string& command) {
    const auto before = care_->counters().soonPasses;
    const auto done = run(command);
    EXPECT_EQ(done.status, 0) << command << ": " << done.output;
    EXPECT_FALSE(whole()) << command << " deleted nothing";
    const auto started = loop_->now();
    EXPECT_TRUE(loop_->runUntil([&] { return whole(); }, kBound)) << command << ": not back within 10 s";
    EXPECT_LT(loop_->now() - started, kBound);
    settle();
    EXPECT_FALSE(lost_) << lost_->describe();
    return care_->counters().soonPasses - before;
  }

  const IpAddress vip_ = *IpAddress::parse("169.254.0.1");
  const IpAddress nodeIp_ = *IpAddress::parse("10.79.1.1");
  const ServiceKey key_{Protocol::Tcp, Endpoint{vip_, 80}};
  host::RouteSpec route_;
  std::unique_ptr<testing::PrivateNetns> netns_;
  std::unique_ptr<event::EpollDispatcher> loop_;
  std::unique_ptr<health::FakeProbers> probers_;
  std::unique_ptr<nftables::NftDatapath> datapath_;
  std::unique_ptr<netlink::Socket> rtnl_;
  std::unique_ptr<RouteSetup> host_;
  std::unique_ptr<CareLoop> care_;
  std::unique_ptr<KernelWatch> watch_;
  std::optional<Error> lost_;
};

TEST_F(KernelWatchNetnsTest, OurTableDeletedIsBackOnTheAnnouncement) {
  EXPECT_EQ(deleteAndAwait("nft delete table ip " + nftables::lbTableName(key_)), 1u);
}

TEST_F(KernelWatchNetnsTest, AFlushedRulesetIsBackOnTheAnnouncement) {
  EXPECT_EQ(deleteAndAwait("nft flush ruleset"), 1u);
}

TEST_F(KernelWatchNetnsTest, ARuleDeletedInsideOurTableIsRepaired) {
  // The table stays, damaged: one backend chain loses its DNAT rule (lb_ruleset.hpp's layout).
  EXPECT_EQ(deleteAndAwait("nft flush chain ip " + nftables::lbTableName(key_) + " rs_10.79.1.2_80"), 1u);
}

TEST_F(KernelWatchNetnsTest, OurRouteDeletedIsBackOnTheAnnouncement) {
  EXPECT_EQ(deleteAndAwait("ip route del 169.254.0.1/32"), 1u);
}

TEST_F(KernelWatchNetnsTest, OurOwnRepairsDoNotWakeFurtherPasses) {
  deleteAndAwait("nft delete table ip " + nftables::lbTableName(key_));
  deleteAndAwait("ip route del 169.254.0.1/32");
  const auto passes = care_->counters().passes;
  loop_->runFor(1s);  // nothing deleted meanwhile: no pass at all (the poll is an hour away)
  EXPECT_EQ(care_->counters().passes, passes);
  EXPECT_GT(watch_->counters().messages, 0u);
}

}  // namespace
}  // namespace lvscare::care
