// Shared by the nftables kernel tests: a private network namespace with lo up and an NftDatapath
// opened inside it, plus small builders for services and real servers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nftables/nft_datapath.hpp"
#include "support/netns.hpp"
#include "support/run_command.hpp"

namespace lvscare::nftables {

inline Endpoint ep(const std::string& text) { return Endpoint::parse(text).value(); }

inline ServiceKey key(const std::string& vip) { return ServiceKey{Protocol::Tcp, ep(vip)}; }

inline VirtualServer vs(const std::string& vip, std::string scheduler = "rr") {
  VirtualServer out;
  out.key = key(vip);
  out.scheduler = std::move(scheduler);
  return out;
}

inline RealServer rs(const std::string& endpoint, std::uint32_t weight = 1) {
  RealServer out;
  out.endpoint = ep(endpoint);
  out.weight = weight;
  return out;
}

inline void expectAllOk(const std::vector<Result<void>>& results) {
  for (std::size_t i = 0; i < results.size(); ++i)
    EXPECT_TRUE(results[i]) << "op " << i << ": " << results[i].error().describe();
}

class NftDatapathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::isRoot()) GTEST_SKIP() << "needs root: nftables changes need CAP_NET_ADMIN";
    netns_ = std::make_unique<testing::PrivateNetns>();
    ASSERT_TRUE(netns_->ok()) << netns_->error();
    ASSERT_EQ(testing::run("ip link set lo up").status, 0);
    auto opened = NftDatapath::open();
    ASSERT_TRUE(opened) << opened.error().describe();
    datapath_ = std::move(*opened);
  }
  void TearDown() override {
    datapath_.reset();
    netns_.reset();
  }

  std::vector<RealServer> reals(const ServiceKey& k) {
    auto listed = datapath_->listRealServers(k);
    EXPECT_TRUE(listed) << listed.error().describe();
    std::vector<RealServer> out;
    if (listed) {
      for (const auto& status : *listed) out.push_back(status.server);
    }
    return out;
  }

  std::unique_ptr<testing::PrivateNetns> netns_;
  std::unique_ptr<NftDatapath> datapath_;
};

}  // namespace lvscare::nftables
