// Real TCP traffic through an NftDatapath VIP, inside a private network namespace: three HTTP
// backends on loopback, round robin, weight 0 (no new connections, established ones carry on),
// removal (conntrack entries deleted, so the old connection fails at once instead of hanging).
//
// How the VIP is reachable here, with no dummy link type on this kernel: a `local` route for the
// VIP (`ip route add local 169.254.0.1/32 dev lo`) makes it a local destination without any
// device holding it, which is what link mode's dummy interface achieves; DNAT in the output
// hook then sends local clients to the backends. The source address of such a connection is the
// VIP itself, which is why link mode with remote backends also needs masquerade (NftHostRules).
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "http_backends.hpp"
#include "nft_fixture.hpp"
#include "nftables/conntrack.hpp"

namespace lvscare::nftables {
namespace {

using testing::getOnce;
using testing::HttpBackends;
using testing::HttpClient;
using testing::run;

class NftTrafficTest : public NftDatapathTest {
 protected:
  void start(const std::string& vip, const std::vector<std::string>& backends) {
    const auto endpoint = ep(vip);
    const std::string route = endpoint.address.isV4()
                                  ? "ip route add local " + endpoint.address.toString() + "/32 dev lo"
                                  : "ip -6 route add local " + endpoint.address.toString() + "/128 dev lo";
    ASSERT_EQ(run(route).status, 0);
    std::vector<Endpoint> endpoints;
    std::vector<DatapathOp> ops{DatapathOp::addVirtualServer(vs(vip))};
    for (const auto& backend : backends) {
      endpoints.push_back(ep(backend));
      ops.push_back(DatapathOp::addRealServer(key(vip), rs(backend)));
    }
    servers_ = std::make_unique<HttpBackends>(endpoints);
    ASSERT_EQ(servers_->error(), "");
    expectAllOk(datapath_->apply(ops));
  }

  std::vector<std::string> requests(const std::string& vip, int count) {
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) out.push_back(getOnce(ep(vip)));
    return out;
  }

  // conntrack's own view of the connections DNATed to `port`, as a cross-check of ours.
  std::string conntrackTo(std::uint16_t port) {
    return run("conntrack -L -p tcp --reply-port-src " + std::to_string(port) + " 2>/dev/null").output;
  }

  void TearDown() override {
    servers_.reset();
    NftDatapathTest::TearDown();
  }

  std::unique_ptr<HttpBackends> servers_;
};

TEST_F(NftTrafficTest, RoundRobinThenWeightZeroThenRemoval) {
  const std::string vip = "169.254.0.1:80";
  start(vip, {"127.0.0.1:8081", "127.0.0.1:8082", "127.0.0.1:8083"});

  // numgen inc over the backends in order: exact round robin per new connection.
  const auto first = requests(vip, 6);
  EXPECT_EQ(first, (std::vector<std::string>{"8081", "8082", "8083", "8081", "8082", "8083"}));
  auto stats = datapath_->listRealServers(key(vip));
  ASSERT_TRUE(stats);
  for (const auto& status : *stats) EXPECT_EQ(status.stats.connections, 2u) << status.server.endpoint.toString();

  // An established connection to 8081, then 8081 goes to weight 0.
  HttpClient held(ep(vip));
  ASSERT_EQ(held.request().value_or(held.error()), "8081");
  ASSERT_TRUE(datapath_->updateRealServer(key(vip), rs("127.0.0.1:8081", 0)));
  const auto drained = requests(vip, 4);
  EXPECT_EQ(drained, (std::vector<std::string>{"8082", "8083", "8082", "8083"}));
  EXPECT_EQ(held.request().value_or(held.error()), "8081") << "an established connection must survive weight 0";
  // Counters survive the in-place update: 8081's rule was rewritten carrying its count on.
  stats = datapath_->listRealServers(key(vip));
  ASSERT_TRUE(stats);
  std::vector<std::uint64_t> connections;
  for (const auto& status : *stats) connections.push_back(status.stats.connections);
  EXPECT_EQ(connections, (std::vector<std::uint64_t>{3, 4, 4}));
  EXPECT_EQ(datapath_->lastConntrackDeleted(), 0u);

  // Removal deletes its conntrack entries: the held connection fails at once (reset by the backend
  // its next packet is now sent to) instead of hanging.
  ASSERT_NE(conntrackTo(8081).find("ESTABLISHED"), std::string::npos) << conntrackTo(8081);
  ASSERT_TRUE(datapath_->deleteRealServer(key(vip), ep("127.0.0.1:8081")));
  EXPECT_FALSE(datapath_->lastConntrackError()) << datapath_->lastConntrackError()->describe();
  EXPECT_GE(datapath_->lastConntrackDeleted(), 1u);
  EXPECT_EQ(conntrackTo(8081).find("ESTABLISHED"), std::string::npos) << conntrackTo(8081);
  const auto started = std::chrono::steady_clock::now();
  const auto after = held.request();
  EXPECT_FALSE(after.has_value()) << "answered by " << *after;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2)) << held.error();
  // The held connection's last packet took a slot of the new round (it was DNATed to a backend that
  // reset it), so the next two connections start wherever the counter stands: one each.
  auto rest = requests(vip, 2);
  std::sort(rest.begin(), rest.end());
  EXPECT_EQ(rest, (std::vector<std::string>{"8082", "8083"}));
}

TEST_F(NftTrafficTest, NoActiveBackendRefusesNewConnections) {
  const std::string vip = "169.254.0.1:80";
  start(vip, {"127.0.0.1:8081"});
  ASSERT_EQ(getOnce(ep(vip)), "8081");
  ASSERT_TRUE(datapath_->updateRealServer(key(vip), rs("127.0.0.1:8081", 0)));
  // Refused at once (ICMP port unreachable, as IPVS answers), not a timeout.
  HttpClient refused(ep(vip));
  EXPECT_FALSE(refused.connected());
  EXPECT_EQ(refused.error(), "connect: Connection refused");
}

TEST_F(NftTrafficTest, Ipv6RoundRobin) {
  const std::string vip = "[fd00::1]:80";
  start(vip, {"[::1]:8081", "[::1]:8082"});
  EXPECT_EQ(requests(vip, 4), (std::vector<std::string>{"8081", "8082", "8081", "8082"}));
}

TEST_F(NftTrafficTest, ConntrackCleanupOnlyTouchesTheRemovedBackend) {
  const std::string vip = "169.254.0.1:80";
  start(vip, {"127.0.0.1:8081", "127.0.0.1:8082"});
  HttpClient one(ep(vip));
  HttpClient two(ep(vip));
  ASSERT_EQ(one.request().value_or(one.error()), "8081");
  ASSERT_EQ(two.request().value_or(two.error()), "8082");
  ASSERT_TRUE(datapath_->deleteRealServer(key(vip), ep("127.0.0.1:8081")));
  EXPECT_EQ(datapath_->lastConntrackDeleted(), 1u);
  EXPECT_EQ(two.request().value_or(two.error()), "8082");
  EXPECT_NE(conntrackTo(8082).find("ESTABLISHED"), std::string::npos);
}

}  // namespace
}  // namespace lvscare::nftables
