// NftHostRules (link-mode masquerade) against this machine's kernel in private namespaces, and the
// two host modes end to end with the nftables datapath and a backend in a second namespace over
// veth (a "remote master" that, like every master, holds the VIP itself):
//   link mode: VIP as a local route, DNAT in output; needs our masquerade, else the backend
//              answers the VIP locally and the client never hears back;
//   route mode: VIP/32 via the node's own address; the source is the node address, no masquerade.
#include <netinet/in.h>

#include <fstream>

#include "http_backends.hpp"
#include "nft_fixture.hpp"
#include "nftables/host_rules.hpp"
#include "peer_netns.hpp"

namespace lvscare::nftables {
namespace {

using testing::run;

MasqueradeSpec masq(const char* vip, unsigned bit) { return MasqueradeSpec{IpAddress::parse(vip).value(), bit}; }

class NftHostRulesTest : public NftDatapathTest {
 protected:
  void SetUp() override {
    NftDatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto opened = NftHostRules::open();
    ASSERT_TRUE(opened) << opened.error().describe();
    rules_.emplace(std::move(*opened));
  }
  std::optional<NftHostRules> rules_;
};

TEST_F(NftHostRulesTest, InstallCheckRemove) {
  const auto spec = masq("169.254.0.1", 14);
  ASSERT_EQ(run("nft add table inet filter && nft add table ip lvscare_masq_10.0.0.9").status, 0);
  EXPECT_FALSE(rules_->installed(spec).value());
  ASSERT_TRUE(rules_->install(spec));
  EXPECT_TRUE(rules_->installed(spec).value());
  EXPECT_FALSE(rules_->installed(masq("169.254.0.1", 15)).value());  // another bit: needs a re-install
  ASSERT_TRUE(rules_->install(spec));                                // idempotent
  ASSERT_TRUE(rules_->install(masq("fd00::1", 0)));
  EXPECT_TRUE(rules_->installed(masq("fd00::1", 0)).value());

  const auto json = run("nft -j list table ip lvscare_masq_169.254.0.1");
  ASSERT_EQ(json.status, 0) << json.output;
  for (
      const char* expected :
      {R"({"mangle": {"key": {"meta": {"key": "mark"}}, "value": {"|": [{"meta": {"key": "mark"}}, 16384]}}})",
       R"({"match": {"op": "==", "left": {"&": [{"meta": {"key": "mark"}}, 16384]}, "right": 16384}}, {"masquerade": null})",
       R"("type": "nat", "hook": "postrouting", "prio": 100)", R"("type": "nat", "hook": "output", "prio": -110)"}) {
    EXPECT_NE(json.output.find(expected), std::string::npos) << "missing " << expected << "\nin " << json.output;
  }

  // Damage: flushing one chain makes it read as not installed; install repairs it.
  ASSERT_EQ(run("nft flush chain ip lvscare_masq_169.254.0.1 masq_postrouting").status, 0);
  EXPECT_FALSE(rules_->installed(spec).value());
  ASSERT_TRUE(rules_->install(spec));
  EXPECT_TRUE(rules_->installed(spec).value());

  ASSERT_TRUE(rules_->remove(spec.vip));
  EXPECT_EQ(rules_->remove(spec.vip).error().code, Errc::NotFound);
  ASSERT_TRUE(rules_->remove(IpAddress::parse("fd00::1").value()));
  EXPECT_EQ(run("nft list tables").output, "table inet filter\ntable ip lvscare_masq_10.0.0.9\n");
}

// Issue 14, item 3: an admin's table with our masquerade table's name is never replaced or deleted.
TEST_F(NftHostRulesTest, AForeignTableWithOurNameIsLeftUntouched) {
  ASSERT_EQ(run("nft add table ip lvscare_masq_169.254.0.1 && "
                "nft add chain ip lvscare_masq_169.254.0.1 admin '{ type nat hook postrouting priority 100; }' && "
                "nft add rule ip lvscare_masq_169.254.0.1 admin counter")
                .status,
            0);
  const std::string before = run("nft list ruleset").output;
  const auto spec = masq("169.254.0.1", 14);
  EXPECT_EQ(rules_->installed(spec).error().code, Errc::Foreign);
  EXPECT_EQ(rules_->install(spec).error().code, Errc::Foreign);
  EXPECT_EQ(rules_->remove(spec.vip).error().code, Errc::Foreign);
  EXPECT_EQ(run("nft list ruleset").output, before);
}

TEST_F(NftHostRulesTest, NatHookInstallCheckRemove) {
  const auto vip = IpAddress::parse("10.103.97.2").value();
  const auto v6 = IpAddress::parse("fd00::2").value();
  ASSERT_EQ(run("nft add table inet filter").status, 0);
  EXPECT_FALSE(rules_->natHookInstalled(vip).value());
  ASSERT_TRUE(rules_->installNatHook(vip));
  EXPECT_TRUE(rules_->natHookInstalled(vip).value());
  ASSERT_TRUE(rules_->installNatHook(vip));  // idempotent
  ASSERT_TRUE(rules_->installNatHook(v6));
  EXPECT_TRUE(rules_->natHookInstalled(v6).value());
  EXPECT_FALSE(rules_->installed(MasqueradeSpec{vip, 0}).value());  // a hook is no masquerade

  const auto text = run("nft list table ip lvscare_nathook_10.103.97.2");
  ASSERT_EQ(text.status, 0) << text.output;
  EXPECT_NE(text.output.find("type nat hook postrouting priority srcnat; policy accept;"), std::string::npos)
      << text.output;

  // Damage (a rule added, the chain deleted) reads as not installed; install repairs it.
  ASSERT_EQ(run("nft add rule ip lvscare_nathook_10.103.97.2 postrouting counter").status, 0);
  EXPECT_FALSE(rules_->natHookInstalled(vip).value());
  ASSERT_TRUE(rules_->installNatHook(vip));
  EXPECT_TRUE(rules_->natHookInstalled(vip).value());
  ASSERT_EQ(run("nft delete chain ip lvscare_nathook_10.103.97.2 postrouting").status, 0);
  EXPECT_FALSE(rules_->natHookInstalled(vip).value());
  ASSERT_TRUE(rules_->installNatHook(vip));
  EXPECT_TRUE(rules_->natHookInstalled(vip).value());

  ASSERT_TRUE(rules_->removeNatHook(vip));
  EXPECT_EQ(rules_->removeNatHook(vip).error().code, Errc::NotFound);
  ASSERT_TRUE(rules_->removeNatHook(v6));
  EXPECT_EQ(run("nft list tables").output, "table inet filter\n");
}

TEST_F(NftHostRulesTest, AForeignTableWithTheNatHookNameIsLeftUntouched) {
  ASSERT_EQ(
      run("nft add table ip lvscare_nathook_10.103.97.2 && "
          "nft add chain ip lvscare_nathook_10.103.97.2 postrouting '{ type nat hook postrouting priority 100; }'")
          .status,
      0);
  const std::string before = run("nft list ruleset").output;
  const auto vip = IpAddress::parse("10.103.97.2").value();
  EXPECT_EQ(rules_->natHookInstalled(vip).error().code, Errc::Foreign);
  EXPECT_EQ(rules_->installNatHook(vip).error().code, Errc::Foreign);
  EXPECT_EQ(rules_->removeNatHook(vip).error().code, Errc::Foreign);
  EXPECT_EQ(run("nft list ruleset").output, before);
}

TEST_F(NftHostRulesTest, WhatNftWritesFromOurTextReadsAsInstalled) {
  const auto spec = masq("10.103.97.12", 3);
  const std::string path = "/tmp/lvscare-masq-test-" + std::to_string(::getpid()) + ".nft";
  std::ofstream(path) << renderMasqNft(spec);
  const auto loaded = run("nft -f " + path);
  std::remove(path.c_str());
  ASSERT_EQ(loaded.status, 0) << loaded.output;
  EXPECT_TRUE(rules_->installed(spec).value());
  ASSERT_EQ(run("nft flush ruleset").status, 0);
  EXPECT_FALSE(rules_->installed(spec).value());
}

class RemoteBackendTest : public NftHostRulesTest {
 protected:
  void SetUp() override {
    NftHostRulesTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    peer_ = std::make_unique<testing::PeerNetns>();
    ASSERT_EQ(peer_->error(), "");
    // The remote master holds the VIP too, as every master does in link mode.
    ASSERT_EQ(peer_->exec("ip route add local " + vip_.address.toString() + "/32 dev lo").status, 0);
    ASSERT_TRUE(peer_->enter(
        [&] { servers_ = std::make_unique<testing::HttpBackends>(std::vector<Endpoint>{ep("10.0.0.2:8081")}); }));
    ASSERT_EQ(servers_->error(), "");
    expectAllOk(datapath_->apply(
        std::vector<DatapathOp>{DatapathOp::addVirtualServer(vs(vip_.toString())),
                                DatapathOp::addRealServer(key(vip_.toString()), rs("10.0.0.2:8081"))}));
  }
  void TearDown() override {
    servers_.reset();
    peer_.reset();
    NftHostRulesTest::TearDown();
  }

  std::string get() {
    testing::HttpClient client(vip_, std::chrono::milliseconds(1500));
    if (auto body = client.request()) return *body;
    return "error: " + client.error();
  }

  const Endpoint vip_ = ep("169.254.0.1:80");
  std::unique_ptr<testing::PeerNetns> peer_;
  std::unique_ptr<testing::HttpBackends> servers_;
};

TEST_F(RemoteBackendTest, LinkModeNeedsAndGetsMasquerade) {
  ASSERT_EQ(run("ip route add local 169.254.0.1/32 dev lo").status, 0);
  // Without masquerade the source is the VIP, which the backend's host answers locally: no reply.
  EXPECT_EQ(get().substr(0, 6), "error:");
  ASSERT_TRUE(rules_->install(masq("169.254.0.1", 14)));
  EXPECT_EQ(get(), "8081");
  ASSERT_TRUE(rules_->remove(vip_.address));
  EXPECT_EQ(get().substr(0, 6), "error:");
}

TEST_F(RemoteBackendTest, RouteModeWorksWithoutMasquerade) {
  ASSERT_EQ(run("ip route add 169.254.0.1/32 via 10.0.0.1 metric 50").status, 0);
  EXPECT_EQ(get(), "8081");
}

}  // namespace
}  // namespace lvscare::nftables
