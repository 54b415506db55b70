#include <gtest/gtest.h>

#include <map>

#include "lvscare/care.hpp"

namespace lvscare::care {
namespace {

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

CareConfig valid() {
  CareConfig config;
  config.virtualServer = ep("10.103.97.12:6443");
  config.realServers = {ep("192.168.0.2:6443"), ep("192.168.0.3:6443")};
  return config;
}

// The library names no flag: a front end names each field the way its user gave it. This one
// names them as lvscare's flags do.
std::string flagOf(ConfigField field) {
  const std::map<ConfigField, std::string> flags = {
      {ConfigField::VirtualServer, "--vs"},
      {ConfigField::RealServers, "--rs"},
      {ConfigField::Clean, "-C"},
      {ConfigField::Scheduler, "--scheduler"},
      {ConfigField::InterfaceName, "--iface"},
      {ConfigField::MasqueradeBit, "--masqueradebit"},
      {ConfigField::NodeIp, "--ip"},
      {ConfigField::Rise, "--health-rise"},
      {ConfigField::Jitter, "--health-jitter"},
  };
  return flags.at(field);
}

std::string errorOf(const CareConfig& config) {
  auto result = validateConfig(config);
  return result ? std::string() : lvscare::describe<ConfigField>(result.error(), flagOf);
}

std::optional<ConfigField> fieldOf(const CareConfig& config) {
  auto result = validateConfig(config);
  return result ? std::nullopt : std::optional<ConfigField>(result.error().field);
}

TEST(CareConfigTest, DefaultsAreLvscares) {
  const CareConfig config;
  EXPECT_EQ(config.scheduler, "rr");
  EXPECT_EQ(config.interfaceName, "lvscare");
  EXPECT_EQ(config.mode, Mode::Route);
  EXPECT_FALSE(config.runOnce);
  EXPECT_FALSE(config.clean);
  EXPECT_EQ(config.masqueradeBit, 0);
  EXPECT_EQ(config.policy.interval, std::chrono::seconds(5));
  EXPECT_EQ(config.policy.rise, 1);
  EXPECT_EQ(config.policy.fall, 1);
  EXPECT_EQ(config.probe.scheme, health::Scheme::Https);
  EXPECT_EQ(config.probe.path, "/healthz");
  EXPECT_EQ(config.probe.timeout, std::chrono::seconds(10));
  EXPECT_TRUE(config.probe.insecureSkipVerify);
  EXPECT_EQ(config.datapath, DatapathChoice::Auto);
  EXPECT_TRUE(validateConfig(valid()));
}

TEST(CareConfigTest, EachInvalidFieldNamesItsFlagAndValue) {
  CareConfig c = valid();
  c.realServers.clear();
  EXPECT_EQ(errorOf(c), "--rs: required unless -C is given");
  EXPECT_EQ(fieldOf(c), ConfigField::RealServers);
  EXPECT_EQ(describe(validateConfig(c).error()), "realServers: required unless clean is given");
  c.clean = true;
  EXPECT_EQ(errorOf(c), "");

  c = valid();
  c.realServers.push_back(ep("[fd00::2]:6443"));
  EXPECT_EQ(errorOf(c), "--rs \"[fd00::2]:6443\": an IPv6 real server for the IPv4 --vs 10.103.97.12:6443");
  c = valid();
  c.realServers.push_back(ep("192.168.0.2:6443"));
  EXPECT_EQ(errorOf(c), "--rs \"192.168.0.2:6443\": given twice");
  EXPECT_EQ(validateConfig(c).error().item, 2u);
  c = valid();
  c.scheduler = "sed";
  EXPECT_EQ(errorOf(c), "--scheduler \"sed\": want one of rr, lc, dh, sh, wrr, wlc");
  c = valid();
  c.interfaceName = "a-very-long-interface-name";
  EXPECT_NE(errorOf(c).find("--iface \"a-very-long-interface-name\""), std::string::npos);
  c.interfaceName = "eth0:1";
  EXPECT_NE(errorOf(c).find("--iface \"eth0:1\""), std::string::npos);
  c = valid();
  c.masqueradeBit = 32;
  EXPECT_EQ(errorOf(c), "--masqueradebit 32: want 0 to 31");
  c = valid();
  c.nodeIp = IpAddress::parse("fd00::1").value();
  EXPECT_EQ(errorOf(c), "--ip fd00::1: an IPv6 node IP for the IPv4 --vs 10.103.97.12:6443");
  c = valid();
  c.policy.rise = 0;
  EXPECT_EQ(errorOf(c), "--health-rise 0: want 1 to 1000");
  EXPECT_EQ(fieldOf(c), ConfigField::Rise);
  c = valid();
  c.policy.jitter = 0.9;
  EXPECT_EQ(errorOf(c), "--health-jitter 0.9: want a fraction from 0 to 0.5");
  // The probe's rules are the health layer's, reported as this config's fields.
  c = valid();
  c.probe.timeout = health::Duration::zero();
  EXPECT_EQ(fieldOf(c), ConfigField::ProbeTimeout);
  c = valid();
  c.probe.headers = {{"X", "1"}, {"Bad Name", "2"}};
  EXPECT_EQ(fieldOf(c), ConfigField::ProbeHeaders);
  EXPECT_EQ(validateConfig(c).error().item, 1u);
  c = valid();
  c.virtualServer = Endpoint{};
  EXPECT_EQ(fieldOf(c), ConfigField::VirtualServer);
}

TEST(CareConfigTest, ModesAndDatapathsParse) {
  EXPECT_EQ(parseMode("").value(), Mode::None);
  EXPECT_EQ(parseMode("route").value(), Mode::Route);
  EXPECT_EQ(parseMode("link").value(), Mode::Link);
  EXPECT_EQ(parseMode("bridge").error().message, "want route, link or \"\"");
  EXPECT_EQ(parseDatapathChoice("ipvs").value(), DatapathChoice::Ipvs);
  EXPECT_EQ(parseDatapathChoice("nftables").value(), DatapathChoice::Nftables);
  EXPECT_EQ(parseDatapathChoice("auto").value(), DatapathChoice::Auto);
  EXPECT_FALSE(parseDatapathChoice("xdp"));
  for (Mode m : {Mode::None, Mode::Route, Mode::Link}) EXPECT_EQ(parseMode(toString(m)).value(), m);
}

TEST(CareConfigTest, VirtualServerOfUsesTcpAndTheScheduler) {
  CareConfig c = valid();
  c.scheduler = "wlc";
  const VirtualServer vs = virtualServerOf(c);
  EXPECT_EQ(vs.key.protocol, Protocol::Tcp);
  EXPECT_EQ(vs.key.endpoint, c.virtualServer);
  EXPECT_EQ(vs.scheduler, "wlc");
  EXPECT_EQ(vs.flags, 0u);
}

// Issue 14, item 7: VIPs that cannot be meant are refused with one line saying why; a doubtful
// one (loopback) is a warning.
TEST(CareConfigTest, VipsThatCannotBeMeantAreRefused) {
  const std::map<std::string, std::string> refused = {
      {"0.0.0.0:80", "--vs 0.0.0.0:80: the unspecified address is no VIP (it means every address of this node)"},
      {"[::]:80", "--vs [::]:80: the unspecified address is no VIP (it means every address of this node)"},
      {"224.0.0.1:80", "--vs 224.0.0.1:80: a multicast address is no VIP (one connection cannot go to a group)"},
      {"[ff02::1]:80", "--vs [ff02::1]:80: a multicast address is no VIP (one connection cannot go to a group)"},
      {"255.255.255.255:80", "--vs 255.255.255.255:80: the broadcast address is no VIP"},
      {"[::ffff:10.0.0.1]:80", "--vs [::ffff:10.0.0.1]:80: an IPv4-mapped IPv6 address: write the IPv4 address itself"},
  };
  for (const auto& [vip, message] : refused) {
    CareConfig c = valid();
    c.virtualServer = ep(vip.c_str());
    c.realServers = {c.virtualServer.address.isV4() ? ep("192.168.0.2:6443") : ep("[fd00::2]:6443")};
    EXPECT_EQ(errorOf(c), message) << vip;
    EXPECT_EQ(fieldOf(c), ConfigField::VirtualServer) << vip;
  }
}

TEST(CareConfigTest, TheVipAsItsOwnRealServerOrAsTheNodeIpIsRefused) {
  CareConfig c = valid();
  c.realServers.push_back(c.virtualServer);
  EXPECT_EQ(errorOf(c), "--rs \"10.103.97.12:6443\": is the virtual server itself: its connections would loop");
  EXPECT_EQ(validateConfig(c).error().item, 2u);

  c = valid();
  c.nodeIp = c.virtualServer.address;
  EXPECT_EQ(errorOf(c), "--ip 10.103.97.12: is the VIP itself: the node's own address would be taken over");

  c = valid();
  c.realServers.push_back(ep("10.103.97.12:8443"));  // the VIP's address on another port: allowed
  EXPECT_TRUE(validateConfig(c));
}

TEST(CareConfigTest, ALoopbackVipIsAcceptedWithAWarning) {
  CareConfig c = valid();
  EXPECT_TRUE(configWarnings(c).empty());
  c.virtualServer = ep("127.0.0.1:80");
  EXPECT_TRUE(validateConfig(c));
  const auto warnings = configWarnings(c);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("vs=127.0.0.1:80 is a loopback address"), std::string::npos) << warnings[0];
}

}  // namespace
}  // namespace lvscare::care
