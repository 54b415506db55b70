// Finding the node IP: --ip, then /etc/hosts' lvscare.node.ip, then LVSCARE_NODE_IP.
#include <map>

#include <gtest/gtest.h>

#include "host/node_ip.hpp"
#include "support/temp_dir.hpp"

namespace lvscare::host {
namespace {

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

TEST(HostsFileTest, FindsEveryLineNamingTheHost) {
  constexpr const char* kHosts =
      "127.0.0.1 localhost\n"
      "# 10.0.0.9 lvscare.node.ip\n"
      "192.168.0.2\tmaster0  LVSCARE.NODE.IP # the node\n"
      "fd00::2 lvscare.node.ip\n"
      "10.0.0.3 lvscare.node.ipx notlvscare.node.ip\n"
      "lvscare.node.ip\n";
  EXPECT_EQ(findHostsEntries(kHosts, kNodeIpHostname), (std::vector<std::string>{"192.168.0.2", "fd00::2"}));
  EXPECT_TRUE(findHostsEntries("", kNodeIpHostname).empty());
  EXPECT_EQ(findHostsEntries("1.2.3.4 lvscare.node.ip", kNodeIpHostname), (std::vector<std::string>{"1.2.3.4"}));
}

class NodeIpTest : public ::testing::Test {
 protected:
  NodeIpSources sources(std::string flag = "") {
    NodeIpSources s;
    s.flag = std::move(flag);
    s.flagName = "--ip";
    s.hostsFile = (dir_.path() / "hosts").string();
    s.getenv = [this](const char* name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    return s;
  }
  void hosts(const std::string& content) { dir_.write("hosts", content); }

  testing::TempDir dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(NodeIpTest, FlagComesFirst) {
  hosts("10.0.0.2 lvscare.node.ip\n");
  env_[kNodeIpEnv] = "10.0.0.3";
  EXPECT_EQ(resolveNodeIp(sources("10.0.0.1")).value(), ip("10.0.0.1"));
}

TEST_F(NodeIpTest, HostsEntryBeforeEnvironment) {
  hosts("10.0.0.2 lvscare.node.ip\n");
  env_[kNodeIpEnv] = "10.0.0.3";
  EXPECT_EQ(resolveNodeIp(sources()).value(), ip("10.0.0.2"));
}

TEST_F(NodeIpTest, EnvironmentLast) {
  hosts("127.0.0.1 localhost\n");
  env_[kNodeIpEnv] = "10.0.0.3";
  EXPECT_EQ(resolveNodeIp(sources()).value(), ip("10.0.0.3"));
}

TEST_F(NodeIpTest, MissingHostsFileIsNoEntry) {
  env_[kNodeIpEnv] = "fd00::3";
  EXPECT_EQ(resolveNodeIp(sources()).value(), ip("fd00::3"));
}

TEST_F(NodeIpTest, NoneIsNotFoundSayingHowToGiveOne) {
  EXPECT_EQ(lookupNodeIp(sources()).value(), std::nullopt);
  auto result = resolveNodeIp(sources());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::NotFound);
  EXPECT_EQ(result.error().message, "no node IP for route mode: give --ip, an " + sources().hostsFile +
                                        " entry lvscare.node.ip, or LVSCARE_NODE_IP");
}

TEST_F(NodeIpTest, InvalidValuesNameTheirSource) {
  EXPECT_EQ(resolveNodeIp(sources("10.0.0.300")).error().message,
            "node IP from --ip: '10.0.0.300' is not an IP address");
  env_[kNodeIpEnv] = "node1";
  EXPECT_EQ(resolveNodeIp(sources()).error().message, "node IP from LVSCARE_NODE_IP: 'node1' is not an IP address");
  hosts("master0 lvscare.node.ip\n");
  EXPECT_EQ(resolveNodeIp(sources()).error().message,
            "node IP from " + sources().hostsFile + " entry lvscare.node.ip: 'master0' is not an IP address");
}

TEST_F(NodeIpTest, DualStackHostsPicksTheVipFamily) {
  hosts("10.0.0.2 lvscare.node.ip\nfd00::2 lvscare.node.ip\n");
  auto s = sources();
  s.family = Family::V6;
  EXPECT_EQ(resolveNodeIp(s).value(), ip("fd00::2"));
  s.family = Family::V4;
  EXPECT_EQ(resolveNodeIp(s).value(), ip("10.0.0.2"));
}

TEST_F(NodeIpTest, WrongFamilyIsAnError) {
  auto s = sources("10.0.0.1");
  s.family = Family::V6;
  EXPECT_EQ(resolveNodeIp(s).error().message, "node IP from --ip is IPv4 but the VIP is IPv6");
}

}  // namespace
}  // namespace lvscare::host
