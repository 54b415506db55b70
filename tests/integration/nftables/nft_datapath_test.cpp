// NftDatapath against this machine's kernel, always inside a private network namespace the test
// creates. Cross-checked with the nft and conntrack binaries (run in the same namespace: a child
// inherits the calling thread's namespace), and with real TCP traffic to loopback backends.
#include <netinet/in.h>  // before the linux/ headers, which defer to it
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <fstream>

#include "nft_fixture.hpp"
#include "netlink/socket.hpp"
#include "nftables/lb_ruleset.hpp"

namespace lvscare::nftables {
namespace {

using testing::run;

TEST_F(NftDatapathTest, AddListUpdateDeleteRoundTrip) {
  const auto service = vs("169.254.0.1:80");
  const std::vector<DatapathOp> ops{DatapathOp::addVirtualServer(service),
                                    DatapathOp::addRealServer(service.key, rs("127.0.0.1:8082")),
                                    DatapathOp::addRealServer(service.key, rs("127.0.0.1:8081", 3))};
  expectAllOk(datapath_->apply(ops));

  auto listed = datapath_->listVirtualServers();
  ASSERT_TRUE(listed) << listed.error().describe();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front(), service);
  EXPECT_EQ(datapath_->getVirtualServer(service.key).value(), service);
  EXPECT_EQ(reals(service.key), (std::vector<RealServer>{rs("127.0.0.1:8081", 3), rs("127.0.0.1:8082")}));

  ASSERT_TRUE(datapath_->updateRealServer(service.key, rs("127.0.0.1:8082", 0)));
  ASSERT_TRUE(datapath_->updateVirtualServer(vs("169.254.0.1:80", "wrr")));
  EXPECT_EQ(reals(service.key), (std::vector<RealServer>{rs("127.0.0.1:8081", 3), rs("127.0.0.1:8082", 0)}));
  EXPECT_EQ(datapath_->getVirtualServer(service.key)->scheduler, "wrr");

  ASSERT_TRUE(datapath_->deleteRealServer(service.key, ep("127.0.0.1:8081")));
  EXPECT_EQ(reals(service.key), (std::vector<RealServer>{rs("127.0.0.1:8082", 0)}));
  ASSERT_TRUE(datapath_->deleteVirtualServer(service.key));
  EXPECT_EQ(datapath_->getVirtualServer(service.key).error().code, Errc::NotFound);
  EXPECT_TRUE(datapath_->listVirtualServers()->empty());
  EXPECT_EQ(run("nft list tables").output, "");
}

TEST_F(NftDatapathTest, ExistsAndNotFoundLikeIpvs) {
  const auto service = vs("10.96.0.1:443");
  ASSERT_TRUE(datapath_->addVirtualServer(service));
  EXPECT_EQ(datapath_->addVirtualServer(service).error().code, Errc::Exists);
  EXPECT_EQ(datapath_->deleteVirtualServer(key("10.96.0.2:443")).error().code, Errc::NotFound);
  EXPECT_EQ(datapath_->addRealServer(key("10.96.0.2:443"), rs("10.0.0.1:6443")).error().code, Errc::NotFound);
  EXPECT_EQ(datapath_->updateRealServer(service.key, rs("10.0.0.1:6443")).error().code, Errc::NotFound);
  EXPECT_EQ(datapath_->deleteRealServer(service.key, ep("10.0.0.1:6443")).error().code, Errc::NotFound);
  EXPECT_EQ(datapath_->addVirtualServer(vs("10.96.0.3:443", "lblc")).error().code, Errc::Unsupported);

  // In one apply: each op sees the ones before it; failures do not stop the rest.
  const std::vector<DatapathOp> ops{DatapathOp::addRealServer(service.key, rs("10.0.0.1:6443")),
                                    DatapathOp::addRealServer(service.key, rs("10.0.0.1:6443", 2)),
                                    DatapathOp::updateRealServer(service.key, rs("10.0.0.1:6443", 4)),
                                    DatapathOp::deleteRealServer(service.key, ep("10.0.0.9:6443"))};
  const auto results = datapath_->apply(ops);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_TRUE(results[0]);
  EXPECT_EQ(results[1].error().code, Errc::Exists);
  EXPECT_EQ(results[1].error().message, "real server 10.0.0.1:6443 on TCP 10.96.0.1:443 exists");
  EXPECT_TRUE(results[2]);
  EXPECT_EQ(results[3].error().code, Errc::NotFound);
  EXPECT_EQ(reals(service.key), (std::vector<RealServer>{rs("10.0.0.1:6443", 4)}));
}

TEST_F(NftDatapathTest, NftCliSeesWhatWeWroteAndWeReadWhatNftWrote) {
  const auto service = vs("169.254.0.1:80");
  expectAllOk(datapath_->apply(std::vector<DatapathOp>{DatapathOp::addVirtualServer(service),
                                                       DatapathOp::addRealServer(service.key, rs("127.0.0.1:8081")),
                                                       DatapathOp::addRealServer(service.key, rs("127.0.0.1:8082", 0)),
                                                       DatapathOp::addRealServer(service.key, rs("127.0.0.1:8083"))}));
  const auto json = run("nft -j list table ip lvscare_tcp_169.254.0.1_80");
  ASSERT_EQ(json.status, 0) << json.output;
  for (
      const char* expected :
      {R"("chain": {"family": "ip", "table": "lvscare_tcp_169.254.0.1_80", "name": "prerouting", "handle": 1, "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"})",
       R"("hook": "output", "prio": -100)",
       R"("name": "slots", "table": "lvscare_tcp_169.254.0.1_80", "type": "integer")",
       R"("elem": [[0, {"goto": {"target": "rs_127.0.0.1_8081"}}], [1, {"goto": {"target": "rs_127.0.0.1_8083"}}]])",
       R"({"vmap": {"key": {"numgen": {"mode": "inc", "mod": 2, "offset": 0}}, "data": "@slots"}})",
       R"({"dnat": {"addr": "127.0.0.1", "port": 8082}})", R"("comment": "rs 127.0.0.1:8082 weight 0")",
       R"({"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "169.254.0.1"}})",
       R"({"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 80}})"}) {
    EXPECT_NE(json.output.find(expected), std::string::npos) << "missing " << expected << "\nin " << json.output;
  }

  // The other way round: nft builds tables from our text rendering, and we read them as ours.
  for (const char* scheduler : {"wrr", "sh", "random"}) {
    LbService lb;
    lb.service = vs("[fd00::1]:" + std::to_string(400 + std::string(scheduler).size()), scheduler);
    lb.reals = {rs("[fd00::2]:6443", 2), rs("[fd00::3]:6443", 1), rs("[fd00::4]:6443", 0)};
    const std::string path = "/tmp/lvscare-nft-test-" + std::to_string(::getpid()) + ".nft";
    std::ofstream(path) << renderLbNft(lb);
    const auto loaded = run("nft -f " + path);
    std::remove(path.c_str());
    ASSERT_EQ(loaded.status, 0) << loaded.output;
    EXPECT_EQ(datapath_->getVirtualServer(lb.service.key).value(), lb.service);
    EXPECT_EQ(reals(lb.service.key), lb.reals);
  }
}

TEST_F(NftDatapathTest, FlushRemovesOnlyOurTables) {
  ASSERT_EQ(
      run("nft add table inet filter && nft add chain inet filter input '{ type filter hook input priority 0; }' && "
          "nft add table ip lvscare_custom && nft add table ip6 lvscare_tcp_10.0.0.1_80")
          .status,
      0);
  ASSERT_TRUE(datapath_->addVirtualServer(vs("169.254.0.1:80")));
  ASSERT_TRUE(datapath_->addVirtualServer(vs("[fd00::1]:80")));
  ASSERT_EQ(datapath_->listVirtualServers()->size(), 2u);
  ASSERT_TRUE(datapath_->flush());
  EXPECT_TRUE(datapath_->listVirtualServers()->empty());
  // Foreign tables, including ones whose names merely look like ours, are still there.
  EXPECT_EQ(run("nft list tables").output,
            "table inet filter\ntable ip lvscare_custom\ntable ip6 lvscare_tcp_10.0.0.1_80\n");
  EXPECT_TRUE(datapath_->flush());  // nothing of ours left: still fine
}

TEST_F(NftDatapathTest, FailedTransactionLeavesThePreviousRulesetIntact) {
  const auto a = vs("169.254.0.1:80");
  expectAllOk(datapath_->apply(std::vector<DatapathOp>{DatapathOp::addVirtualServer(a),
                                                       DatapathOp::addRealServer(a.key, rs("127.0.0.1:8081"))}));
  const std::string before = run("nft list ruleset").output;

  // Another process owns a table with the name (and our mark: a table without it is never even
  // tried, see ForeignTablesNamedLikeOursAreNeverTouched) our next virtual server needs
  // (NFT_TABLE_F_OWNER): the kernel refuses to let us replace it, so the whole transaction must
  // roll back.
  auto owner = netlink::Socket::open(NETLINK_NETFILTER);
  ASSERT_TRUE(owner);
  const auto b = vs("169.254.0.2:80");
  std::vector<netlink::Message> owned{
      newTable(TableSpec{NFPROTO_IPV4, lbTableName(b.key), serviceComment(b), NFT_TABLE_F_OWNER})};
  ASSERT_TRUE(owner->batch(owned, NFNL_SUBSYS_NFTABLES).front());

  const auto results = datapath_->apply(
      std::vector<DatapathOp>{DatapathOp::updateRealServer(a.key, rs("127.0.0.1:8081", 7)),
                              DatapathOp::addRealServer(a.key, rs("127.0.0.1:8082")), DatapathOp::addVirtualServer(b)});
  ASSERT_EQ(results.size(), 3u);
  for (const auto& result : results) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::Permission) << result.error().describe();
  }
  const std::string after = run("nft list ruleset").output;
  EXPECT_EQ(after.substr(0, before.size()), before);
  EXPECT_NE(after.find("table ip lvscare_tcp_169.254.0.2_80 { # progname"), std::string::npos) << after;
  EXPECT_EQ(reals(a.key), (std::vector<RealServer>{rs("127.0.0.1:8081")}));

  // The owner goes away and takes its table along; the same ops now succeed.
  owner = netlink::Socket::open(NETLINK_NETFILTER);
  expectAllOk(datapath_->apply(std::vector<DatapathOp>{DatapathOp::updateRealServer(a.key, rs("127.0.0.1:8081", 7)),
                                                       DatapathOp::addVirtualServer(b)}));
  EXPECT_EQ(reals(a.key), (std::vector<RealServer>{rs("127.0.0.1:8081", 7)}));
}

// Issue 14, item 3: a table with our name but without our mark (its comment) is an admin's.
TEST_F(NftDatapathTest, ForeignTablesNamedLikeOursAreNeverTouched) {
  ASSERT_EQ(run("nft add table ip lvscare_tcp_169.254.0.1_80 && "
                "nft add chain ip lvscare_tcp_169.254.0.1_80 admin '{ type filter hook output priority 0; }' && "
                "nft add rule ip lvscare_tcp_169.254.0.1_80 admin counter")
                .status,
            0);
  const std::string before = run("nft list ruleset").output;
  const auto service = vs("169.254.0.1:80");
  const auto results = datapath_->apply(std::vector<DatapathOp>{
      DatapathOp::addVirtualServer(service), DatapathOp::addRealServer(service.key, rs("127.0.0.1:8081"))});
  ASSERT_EQ(results.size(), 2u);
  for (const auto& result : results) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::Foreign);
    EXPECT_EQ(result.error().message,
              "nftables table ip lvscare_tcp_169.254.0.1_80 has lvscare's name but not its mark (a comment starting "
              "'lvscare '): not ours, left untouched; remove or rename it, or use another VIP");
  }
  EXPECT_EQ(datapath_->getVirtualServer(service.key).error().code, Errc::Foreign);
  EXPECT_EQ(datapath_->listRealServers(service.key).error().code, Errc::Foreign);
  EXPECT_FALSE(datapath_->deleteVirtualServer(service.key));
  EXPECT_TRUE(datapath_->listVirtualServers()->empty());
  EXPECT_TRUE(datapath_->flush());
  EXPECT_EQ(run("nft list ruleset").output, before);

  // Other virtual servers are not held up by it.
  const auto other = vs("169.254.0.2:80");
  expectAllOk(datapath_->apply(std::vector<DatapathOp>{DatapathOp::addVirtualServer(other)}));
  EXPECT_EQ(datapath_->getVirtualServer(other.key).value(), other);
}

TEST_F(NftDatapathTest, FlushedRulesetReadsAsAbsentAndDamageIsReplacedOnAdd) {
  const auto service = vs("169.254.0.1:80");
  expectAllOk(datapath_->apply(std::vector<DatapathOp>{DatapathOp::addVirtualServer(service),
                                                       DatapathOp::addRealServer(service.key, rs("127.0.0.1:8081"))}));
  ASSERT_EQ(run("nft flush ruleset").status, 0);
  EXPECT_TRUE(datapath_->listVirtualServers()->empty());
  EXPECT_EQ(datapath_->getVirtualServer(service.key).error().code, Errc::NotFound);
  EXPECT_EQ(datapath_->listRealServers(service.key).error().code, Errc::NotFound);

  // Repair as the care loop does it, then damage a part of the table: it reads as absent again.
  expectAllOk(datapath_->apply(std::vector<DatapathOp>{DatapathOp::addVirtualServer(service),
                                                       DatapathOp::addRealServer(service.key, rs("127.0.0.1:8081"))}));
  ASSERT_TRUE(datapath_->getVirtualServer(service.key));
  ASSERT_EQ(run("nft flush chain ip lvscare_tcp_169.254.0.1_80 lb").status, 0);
  EXPECT_EQ(datapath_->getVirtualServer(service.key).error().code, Errc::NotFound);
  expectAllOk(datapath_->apply(std::vector<DatapathOp>{DatapathOp::addVirtualServer(service),
                                                       DatapathOp::addRealServer(service.key, rs("127.0.0.1:8081"))}));
  EXPECT_EQ(reals(service.key), (std::vector<RealServer>{rs("127.0.0.1:8081")}));
  EXPECT_NE(run("nft list chain ip lvscare_tcp_169.254.0.1_80 lb").output.find("numgen inc mod 1"), std::string::npos);
}

TEST_F(NftDatapathTest, InPlaceUpdateFallsBackToARewriteWhenTheTableChangedUnderIt) {
  const auto service = vs("169.254.0.1:80");
  expectAllOk(datapath_->apply(std::vector<DatapathOp>{
      DatapathOp::addVirtualServer(service), DatapathOp::addRealServer(service.key, rs("127.0.0.1:8081", 0))}));
  // With no active backend the map is unused, so someone can delete it; our table still reads as
  // intact (rules only), the in-place update then fails in the kernel and a whole rewrite follows.
  ASSERT_EQ(run("nft delete map ip lvscare_tcp_169.254.0.1_80 slots").status, 0);
  ASSERT_TRUE(datapath_->getVirtualServer(service.key));
  ASSERT_TRUE(datapath_->updateRealServer(service.key, rs("127.0.0.1:8081", 1)));
  EXPECT_EQ(reals(service.key), (std::vector<RealServer>{rs("127.0.0.1:8081", 1)}));
  EXPECT_NE(run("nft list map ip lvscare_tcp_169.254.0.1_80 slots").output.find("0 : goto rs_127.0.0.1_8081"),
            std::string::npos);
}

}  // namespace
}  // namespace lvscare::nftables
