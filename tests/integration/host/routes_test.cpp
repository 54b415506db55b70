// Route mode against this machine's kernel, inside a private network namespace: a veth pair gives
// the node IP's interface v0 (10.77.0.1, fd77::1; IPv4 tests use 10.77.0.2 as gateway, IPv6 ones the
// node IP fd77::1 as source), `ip -j route` cross-checks what we did.
#include <linux/rtnetlink.h>

#include <gtest/gtest.h>

#include "host/routes.hpp"
#include "integration/host/rtnl_netns_test.hpp"
#include "support/run_command.hpp"

namespace lvscare::host {
namespace {

using testing::run;

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

class RoutesTest : public testing::RtnlNetnsTest {
 protected:
  void SetUp() override {
    RtnlNetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto setup =
        run("ip link add v0 type veth peer name v1 && ip addr add 10.77.0.1/24 dev v0 && "
            "ip -6 addr add fd77::1/64 dev v0 nodad && ip link set v0 up && ip link set v1 up");
    ASSERT_EQ(setup.status, 0) << setup.output;
  }

  static std::string routes(const char* prefix) { return run(std::string("ip -j route show ") + prefix).output; }
  static std::string routes6(const char* prefix) { return run(std::string("ip -j -6 route show ") + prefix).output; }

  const RouteSpec spec_{ip("10.77.1.1"), ip("10.77.0.2")};
};

constexpr const char* kOurs = R"("dst":"10.77.1.1","gateway":"10.77.0.2","dev":"v0","protocol":"76","metric":50)";

TEST_F(RoutesTest, EnsureCreatesOnceThenLeavesItAlone) {
  auto created = ensureRoute(*rtnl_, spec_);
  ASSERT_TRUE(created) << created.error().describe();
  EXPECT_EQ(*created, Change::Created);
  EXPECT_NE(routes("10.77.1.1/32").find(kOurs), std::string::npos) << routes("10.77.1.1/32");
  EXPECT_TRUE(hasRoute(*rtnl_, spec_).value());
  auto again = ensureRoute(*rtnl_, spec_);
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(*again, Change::Unchanged);
  EXPECT_EQ(vipRoutes(*rtnl_, spec_.vip).value().size(), 1u);
}

TEST_F(RoutesTest, RepairsAfterSomeoneDeletesIt) {
  ASSERT_TRUE(ensureRoute(*rtnl_, spec_));
  ASSERT_EQ(run("ip route del 10.77.1.1/32").status, 0);
  EXPECT_FALSE(hasRoute(*rtnl_, spec_).value());
  EXPECT_EQ(ensureRoute(*rtnl_, spec_).value(), Change::Created);
  EXPECT_TRUE(hasRoute(*rtnl_, spec_).value());
}

TEST_F(RoutesTest, ForeignRoutesToTheVipAreNeverTouched) {
  ASSERT_EQ(run("ip route add 10.77.1.1/32 via 10.77.0.3 metric 100 proto static").status, 0);
  ASSERT_EQ(run("ip route add 10.77.1.1/32 via 10.77.0.4 metric 60").status, 0);  // proto boot, not LVScare's shape
  ASSERT_EQ(run("ip route add 10.77.1.0/24 via 10.77.0.3 metric 50").status, 0);
  ASSERT_EQ(ensureRoute(*rtnl_, spec_).value(), Change::Created);
  EXPECT_EQ(vipRoutes(*rtnl_, spec_.vip).value().size(), 3u);
  EXPECT_EQ(removeRoute(*rtnl_, spec_.vip, spec_.nodeIp).value(), Change::Removed);
  const auto left = routes("10.77.1.1/32");
  EXPECT_EQ(left.find(R"("protocol":"76")"), std::string::npos) << left;
  EXPECT_NE(left.find(R"("gateway":"10.77.0.3","dev":"v0","protocol":"static","metric":100)"), std::string::npos)
      << left;
  EXPECT_NE(left.find(R"("gateway":"10.77.0.4","dev":"v0","metric":60)" /* ip omits proto boot */), std::string::npos)
      << left;
  EXPECT_NE(routes("10.77.1.0/24").find(R"("dst":"10.77.1.0/24")"), std::string::npos);
}

TEST_F(RoutesTest, ForeignRouteAtOurMetricIsRefusedNotReplaced) {
  ASSERT_EQ(run("ip route add 10.77.1.1/32 via 10.77.0.3 metric 50 proto static").status, 0);
  auto result = ensureRoute(*rtnl_, spec_);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::Exists);
  EXPECT_EQ(result.error().message,
            "cannot add route 10.77.1.1/32 via 10.77.0.2 metric 50: a route that is not ours holds that metric "
            "(10.77.1.1/32 via 10.77.0.3 metric 50 proto 4 table 254); left alone");
  EXPECT_NE(routes("10.77.1.1/32").find(R"("gateway":"10.77.0.3","dev":"v0","protocol":"static","metric":50)"),
            std::string::npos);
  EXPECT_FALSE(hasRoute(*rtnl_, spec_).value());
  EXPECT_EQ(removeRoute(*rtnl_, spec_.vip, spec_.nodeIp).value(), Change::Unchanged);
}

TEST_F(RoutesTest, StaleRouteOfOursIsReplacedWhenTheNodeIpChanges) {
  ASSERT_EQ(ensureRoute(*rtnl_, spec_).value(), Change::Created);
  const RouteSpec moved{spec_.vip, ip("10.77.0.3")};
  auto replaced = ensureRoute(*rtnl_, moved);
  ASSERT_TRUE(replaced) << replaced.error().describe();
  EXPECT_EQ(*replaced, Change::Replaced);
  auto all = vipRoutes(*rtnl_, spec_.vip).value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].gateway, moved.nodeIp);
  EXPECT_FALSE(hasRoute(*rtnl_, spec_).value());
  EXPECT_TRUE(hasRoute(*rtnl_, moved).value());
}

TEST_F(RoutesTest, LvscaresOwnRouteIsAdoptedAndCleaned) {
  // What Go LVScare leaves behind: same shape, protocol boot.
  ASSERT_EQ(run("ip route add 10.77.1.1/32 via 10.77.0.2 metric 50").status, 0);
  EXPECT_FALSE(hasRoute(*rtnl_, spec_).value());
  EXPECT_EQ(ensureRoute(*rtnl_, spec_).value(), Change::Replaced);
  EXPECT_NE(routes("10.77.1.1/32").find(kOurs), std::string::npos) << routes("10.77.1.1/32");
  EXPECT_EQ(vipRoutes(*rtnl_, spec_.vip).value().size(), 1u);

  // -C right after LVScare (never adopted) removes it too, when the node IP is known.
  ASSERT_EQ(run("ip route replace 10.77.1.1/32 via 10.77.0.2 metric 50 proto boot").status, 0);
  EXPECT_EQ(removeRoute(*rtnl_, spec_.vip, std::nullopt).value(), Change::Unchanged) << "no node IP: not provably ours";
  EXPECT_EQ(removeRoute(*rtnl_, spec_.vip, spec_.nodeIp).value(), Change::Removed);
  EXPECT_EQ(routes("10.77.1.1/32"), "[]\n");
}

TEST_F(RoutesTest, RemoveWithoutNodeIpFindsOursByItsTag) {
  ASSERT_TRUE(ensureRoute(*rtnl_, spec_));
  EXPECT_EQ(removeRoute(*rtnl_, spec_.vip, std::nullopt).value(), Change::Removed);
  EXPECT_EQ(removeRoute(*rtnl_, spec_.vip, std::nullopt).value(), Change::Unchanged);
  EXPECT_EQ(routes("10.77.1.1/32"), "[]\n");
}

TEST_F(RoutesTest, PlainSocketWithoutKernelFilteringGivesTheSameAnswers) {
  // Kernels before 4.20 ignore the dump filters: the client-side filter alone must suffice.
  ASSERT_EQ(run("ip route add 10.77.1.1/32 via 10.77.0.3 metric 100 proto static && "
                "ip route add 10.77.1.1/32 via 10.77.0.3 metric 50 table 100 && "
                "ip route add 10.77.1.0/24 via 10.77.0.3 proto 76")
                .status,
            0);
  auto plain = netlink::Socket::open(NETLINK_ROUTE);
  ASSERT_TRUE(plain);
  ASSERT_EQ(ensureRoute(*plain, spec_).value(), Change::Created);
  EXPECT_TRUE(hasRoute(*plain, spec_).value());
  EXPECT_TRUE(hasRoute(*rtnl_, spec_).value());
  EXPECT_EQ(vipRoutes(*plain, spec_.vip).value().size(), 2u);
  EXPECT_EQ(vipRoutes(*rtnl_, spec_.vip).value().size(), 2u);
  EXPECT_EQ(removeRoute(*plain, spec_.vip, spec_.nodeIp).value(), Change::Removed);
  EXPECT_FALSE(hasRoute(*rtnl_, spec_).value());
  EXPECT_NE(routes("10.77.1.0/24").find(R"("protocol":"76")"), std::string::npos)
      << "another prefix: not ours to touch";
  EXPECT_NE(run("ip -j route show table 100").output.find(R"("dst":"10.77.1.1")"), std::string::npos);
}

TEST_F(RoutesTest, StrictSocketLetsTheKernelFilterDumps) {
  ASSERT_EQ(run("ip route add 10.77.2.0/24 via 10.77.0.3 && ip route add 10.77.3.0/24 via 10.77.0.3 table 100").status,
            0);
  ASSERT_TRUE(ensureRoute(*rtnl_, spec_));
  auto ours = rtnl_->dump(buildRouteDump(Family::V4, kRouteProtocol));
  ASSERT_TRUE(ours) << ours.error().describe();
  EXPECT_EQ(ours->messages.size(), 1u) << "only our route, not the connected, foreign or table-100 ones";
  auto main = rtnl_->dump(buildRouteDump(Family::V4));
  ASSERT_TRUE(main);
  for (const auto& message : main->messages) EXPECT_EQ(parseRoute(message).value().table, RT_TABLE_MAIN);
}

TEST_F(RoutesTest, UnreachableGatewayIsAClearKernelError) {
  auto result = ensureRoute(*rtnl_, RouteSpec{spec_.vip, ip("192.0.2.1")});  // no connected route to it
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("add route 10.77.1.1/32 via 192.0.2.1 metric 50: "), std::string::npos)
      << result.error().message;
}

// IPv6: `<VIP>/128 dev <interface of the node IP> src <node IP> metric 50 proto 76`. The IPv4 shape
// (`via <node IP>`) is what the kernel refuses here: "Gateway can not be a local address".
class Routes6Test : public RoutesTest {
 protected:
  const RouteSpec spec6_{ip("fd77:1::1"), ip("fd77::1")};
};

constexpr const char* kOurs6 = R"("dst":"fd77:1::1","dev":"v0","protocol":"76","prefsrc":"fd77::1","metric":50)";

TEST_F(Routes6Test, TheKernelRefusesTheNodeIpAsAnIpv6Gateway) {
  // Why IPv6 differs: checked on this kernel with a client we did not write.
  const auto refused = run("ip -6 route add fd77:1::1/128 via fd77::1 metric 50 proto 76");
  EXPECT_NE(refused.status, 0);
  EXPECT_NE(refused.output.find("Gateway can not be a local address"), std::string::npos) << refused.output;
}

TEST_F(Routes6Test, EnsureCreatesOnceThenLeavesItAlone) {
  auto created = ensureRoute(*rtnl_, spec6_);
  ASSERT_TRUE(created) << created.error().describe();
  EXPECT_EQ(*created, Change::Created);
  const auto shown = routes6("fd77:1::1/128");
  EXPECT_NE(shown.find(kOurs6), std::string::npos) << shown;
  EXPECT_EQ(shown.find("gateway"), std::string::npos) << shown;
  EXPECT_TRUE(hasRoute(*rtnl_, spec6_).value());
  auto again = ensureRoute(*rtnl_, spec6_);
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(*again, Change::Unchanged);
  auto all = vipRoutes(*rtnl_, spec6_.vip).value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(isExactRoute(all[0], spec6_));
  EXPECT_EQ(all[0].preferredSource, spec6_.nodeIp);
  EXPECT_EQ(all[0].gateway, std::nullopt);
}

TEST_F(Routes6Test, RepairsAfterIpRouteDel) {
  ASSERT_TRUE(ensureRoute(*rtnl_, spec6_));
  ASSERT_EQ(run("ip -6 route del fd77:1::1/128").status, 0);
  EXPECT_FALSE(hasRoute(*rtnl_, spec6_).value());
  EXPECT_EQ(ensureRoute(*rtnl_, spec6_).value(), Change::Created);
  EXPECT_TRUE(hasRoute(*rtnl_, spec6_).value());
  EXPECT_NE(routes6("fd77:1::1/128").find(kOurs6), std::string::npos);
}

TEST_F(Routes6Test, RemoveTakesOursAndNeverAForeignRoute) {
  ASSERT_EQ(run("ip -6 route add fd77:1::1/128 via fd77::3 dev v0 metric 100 proto static && "
                "ip -6 route add fd77:1::1/128 dev v0 metric 60 && "
                "ip -6 route add fd77:1::/64 dev v0 metric 50 proto 76")
                .status,
            0);
  ASSERT_EQ(ensureRoute(*rtnl_, spec6_).value(), Change::Created);
  EXPECT_EQ(vipRoutes(*rtnl_, spec6_.vip).value().size(), 3u);
  EXPECT_EQ(removeRoute(*rtnl_, spec6_.vip, spec6_.nodeIp).value(), Change::Removed);
  EXPECT_EQ(removeRoute(*rtnl_, spec6_.vip, spec6_.nodeIp).value(), Change::Unchanged);
  const auto left = routes6("fd77:1::1/128");
  EXPECT_EQ(left.find(R"("protocol":"76")"), std::string::npos) << left;
  EXPECT_NE(left.find(R"("gateway":"fd77::3","dev":"v0","protocol":"static","metric":100)"), std::string::npos) << left;
  EXPECT_NE(left.find(R"("dev":"v0","metric":60)"), std::string::npos) << left;
  EXPECT_NE(routes6("fd77:1::/64").find(R"("protocol":"76")"), std::string::npos)
      << "another prefix: not ours to touch";
}

TEST_F(Routes6Test, RemoveWithoutNodeIpFindsOursByItsTag) {
  ASSERT_TRUE(ensureRoute(*rtnl_, spec6_));
  EXPECT_EQ(removeRoute(*rtnl_, spec6_.vip, std::nullopt).value(), Change::Removed);
  EXPECT_EQ(routes6("fd77:1::1/128"), "[]\n");
}

TEST_F(Routes6Test, ForeignRouteAtOurMetricIsRefusedNotReplaced) {
  ASSERT_EQ(run("ip -6 route add fd77:1::1/128 dev v0 metric 50 proto static").status, 0);
  auto result = ensureRoute(*rtnl_, spec6_);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::Exists);
  EXPECT_NE(result.error().message.find("a route that is not ours holds that metric (fd77:1::1/128 dev #"),
            std::string::npos)
      << result.error().message;
  EXPECT_NE(routes6("fd77:1::1/128").find(R"("dev":"v0","protocol":"static","metric":50)"), std::string::npos);
  EXPECT_FALSE(hasRoute(*rtnl_, spec6_).value());
  EXPECT_EQ(removeRoute(*rtnl_, spec6_.vip, spec6_.nodeIp).value(), Change::Unchanged);
}

TEST_F(Routes6Test, NodeIpOnNoInterfaceIsOneClearErrorAndChangesNothing) {
  const RouteSpec missing{spec6_.vip, ip("fd77::9")};
  auto result = ensureRoute(*rtnl_, missing);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::NotFound);
  EXPECT_EQ(result.error().message,
            "node IP fd77::9 is on no interface: IPv6 route mode sends the VIP's traffic out of the interface "
            "holding it, with it as source; no route set");
  EXPECT_EQ(routes6("fd77:1::1/128"), "[]\n");
  EXPECT_FALSE(hasRoute(*rtnl_, missing).value());
}

TEST_F(Routes6Test, FollowsTheNodeIpToAnotherInterface) {
  ASSERT_EQ(ensureRoute(*rtnl_, spec6_).value(), Change::Created);
  // The kernel clears a route's source when the address goes: the route is stale, not gone.
  ASSERT_EQ(run("ip -6 addr del fd77::1/64 dev v0").status, 0);
  EXPECT_FALSE(hasRoute(*rtnl_, spec6_).value());
  auto missing = ensureRoute(*rtnl_, spec6_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::NotFound);
  EXPECT_NE(routes6("fd77:1::1/128").find(R"("dev":"v0","protocol":"76","metric":50)"), std::string::npos)
      << "nothing changed while the node IP is nowhere";
  ASSERT_EQ(run("ip link add v2 type veth peer name v3 && ip link set v2 up && ip link set v3 up && "
                "ip -6 addr add fd77::1/64 dev v2 nodad")
                .status,
            0);
  const auto v2 = run("ip -o link show v2").output;  // "7: v2@v3: <...": the index first
  EXPECT_EQ(std::to_string(interfaceHolding(*rtnl_, spec6_.nodeIp).value()) + ": v2@", v2.substr(0, v2.find('@') + 1));
  EXPECT_EQ(ensureRoute(*rtnl_, spec6_).value(), Change::Replaced);
  EXPECT_TRUE(hasRoute(*rtnl_, spec6_).value());
  const auto shown = routes6("fd77:1::1/128");
  EXPECT_NE(shown.find(R"("dst":"fd77:1::1","dev":"v2","protocol":"76","prefsrc":"fd77::1","metric":50)"),
            std::string::npos)
      << shown;
  EXPECT_EQ(vipRoutes(*rtnl_, spec6_.vip).value().size(), 1u);
}

TEST_F(Routes6Test, Ipv4UnchangedBesideIt) {
  // Both families at once for one node: each its own shape, neither disturbs the other.
  ASSERT_EQ(ensureRoute(*rtnl_, spec6_).value(), Change::Created);
  const RouteSpec local4{ip("10.77.1.1"), ip("10.77.0.1")};  // LVScare's case: the node IP itself
  ASSERT_EQ(ensureRoute(*rtnl_, local4).value(), Change::Created);
  EXPECT_NE(
      routes("10.77.1.1/32").find(R"("dst":"10.77.1.1","gateway":"10.77.0.1","dev":"v0","protocol":"76","metric":50)"),
      std::string::npos)
      << routes("10.77.1.1/32");
  EXPECT_TRUE(hasRoute(*rtnl_, spec6_).value());
  EXPECT_TRUE(hasRoute(*rtnl_, local4).value());
  EXPECT_EQ(removeRoute(*rtnl_, local4.vip, local4.nodeIp).value(), Change::Removed);
  EXPECT_TRUE(hasRoute(*rtnl_, spec6_).value());
}

// The local form (IPVS with real servers on loopback): the VIP is delivered on lo, connections to
// it keep the node IP as source, and it is ours to repair, switch and remove like the `via` form.
TEST_F(RoutesTest, LocalRouteDeliversTheVipWithTheNodeIpAsSource) {
  RouteSpec local{spec_.vip, ip("10.77.0.1")};  // the node IP: this namespace's own address
  local.local = true;
  ASSERT_EQ(ensureRoute(*rtnl_, local).value(), Change::Created);
  const auto shown = routes("10.77.1.1/32");
  for (const char* part :
       {R"("type":"local")", R"("dev":"lo")", R"("protocol":"76")", R"("prefsrc":"10.77.0.1")", R"("metric":50)"}) {
    EXPECT_NE(shown.find(part), std::string::npos) << part << " in " << shown;
  }
  const auto got = run("ip route get 10.77.1.1").output;
  EXPECT_EQ(got.rfind("local 10.77.1.1 dev lo src 10.77.0.1", 0), 0u) << got;
  EXPECT_TRUE(hasRoute(*rtnl_, local).value());
  EXPECT_EQ(ensureRoute(*rtnl_, local).value(), Change::Unchanged);

  // Switching forms (the real servers changed) is a replace, never two routes.
  RouteSpec via{spec_.vip, ip("10.77.0.2")};
  EXPECT_EQ(ensureRoute(*rtnl_, via).value(), Change::Replaced);
  EXPECT_FALSE(hasRoute(*rtnl_, local).value());
  EXPECT_EQ(ensureRoute(*rtnl_, local).value(), Change::Replaced);
  EXPECT_EQ(vipRoutes(*rtnl_, spec_.vip).value().size(), 1u);

  ASSERT_EQ(run("ip route del local 10.77.1.1/32 table main").status, 0);
  EXPECT_FALSE(hasRoute(*rtnl_, local).value());
  EXPECT_EQ(ensureRoute(*rtnl_, local).value(), Change::Created);
  EXPECT_EQ(removeRoute(*rtnl_, local.vip, std::nullopt).value(), Change::Removed);
  EXPECT_EQ(routes("10.77.1.1/32"), "[]\n");
}

TEST_F(RoutesTest, LocalRouteIpv6) {
  ASSERT_EQ(run("ip link set lo up").status, 0);  // IPv6 refuses a route over a device that is down
  RouteSpec local{ip("fd77:1::1"), ip("fd77::1")};
  local.local = true;
  auto created = ensureRoute(*rtnl_, local);
  ASSERT_TRUE(created) << created.error().describe();
  EXPECT_EQ(*created, Change::Created);
  // `ip -6 route show` leaves local routes out unless asked for every table; no "table" = main.
  const auto all = [] { return run("ip -6 route show table all").output; };
  EXPECT_NE(all().find("local fd77:1::1 dev lo proto 76 src fd77::1 metric 50"), std::string::npos) << all();
  EXPECT_TRUE(hasRoute(*rtnl_, local).value());
  EXPECT_EQ(ensureRoute(*rtnl_, local).value(), Change::Unchanged);
  EXPECT_EQ(removeRoute(*rtnl_, local.vip, local.nodeIp).value(), Change::Removed);
  EXPECT_EQ(all().find("fd77:1::1"), std::string::npos) << all();
}

}  // namespace
}  // namespace lvscare::host
