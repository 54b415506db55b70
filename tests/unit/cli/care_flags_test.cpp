#include "cli/care_flags.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "cli/flag_values.hpp"
#include "unit/cli/care_parse.hpp"

namespace lvscare::cli {
namespace {

using namespace std::chrono_literals;

Parsed parse(std::vector<std::string> args, std::map<std::string, std::string> env = {},
             std::optional<IpAddress> hostsIp = std::nullopt, std::string prefix = "CARE") {
  return parseCare(std::move(args), std::move(env), hostsIp, std::move(prefix));
}

std::string errorOf(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  auto parsed = parse(std::move(args), std::move(env));
  if (!parsed.parseError.empty()) return parsed.parseError;
  return parsed.result ? std::string() : parsed.result.error().message;
}

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

TEST(CareFlagsTest, TheIssuesCommandLinesParseUnchanged) {
  auto a = parse({"--vs", "10.103.97.12:6443", "--rs", "192.168.0.2:6443", "--rs", "192.168.0.3:6443", "--rs",
                  "192.168.0.4:6443", "--interval", "5", "--mode", "route"});
  ASSERT_TRUE(a.result) << a.parseError << a.result.error().message;
  EXPECT_EQ(a.result->config.virtualServer, ep("10.103.97.12:6443"));
  EXPECT_EQ(a.result->config.realServers.size(), 3u);
  EXPECT_EQ(a.result->config.policy.interval, 5s);
  EXPECT_EQ(a.result->config.mode, care::Mode::Route);

  auto b = parse({"--vs", "169.254.0.1:80", "--rs", "127.0.0.1:8081", "--rs", "127.0.0.1:8082", "--rs",
                  "127.0.0.1:8083", "--logger", "DEBG", "--health-schem", "http", "--health-path", "/"});
  ASSERT_TRUE(b.result) << b.parseError;
  EXPECT_EQ(b.result->logLevel, LogLevel::Debug);
  EXPECT_EQ(b.result->config.probe.scheme, health::Scheme::Http);
  EXPECT_EQ(b.result->config.probe.path, "/");

  auto c = parse({"--vs", "169.254.0.1:80", "--logger", "DEBG", "-C"});
  ASSERT_TRUE(c.result) << c.parseError;
  EXPECT_TRUE(c.result->config.clean);
  EXPECT_TRUE(c.result->config.realServers.empty());

  auto d = parse({"--run-once", "--vs", "10.103.97.12:6443", "--rs", "192.168.0.2:6443", "--rs", "192.168.0.3:6443"});
  ASSERT_TRUE(d.result) << d.parseError;
  EXPECT_TRUE(d.result->config.runOnce);
  EXPECT_FALSE(d.result->config.clean);
}

TEST(CareFlagsTest, DefaultsAreLvscares) {
  auto p = parse({"--vs", "10.0.0.1:6443", "--rs", "10.0.0.2:6443"});
  ASSERT_TRUE(p.result) << p.parseError;
  const auto& c = p.result->config;
  EXPECT_EQ(p.result->logLevel, LogLevel::Info);
  EXPECT_EQ(c.scheduler, "rr");
  EXPECT_EQ(c.interfaceName, "lvscare");
  EXPECT_EQ(c.mode, care::Mode::Route);
  EXPECT_FALSE(c.runOnce);
  EXPECT_FALSE(c.clean);
  EXPECT_EQ(c.policy.interval, 5s);
  EXPECT_EQ(c.masqueradeBit, 0);
  EXPECT_EQ(c.probe.path, "/healthz");
  EXPECT_EQ(c.probe.scheme, health::Scheme::Https);
  EXPECT_EQ(c.probe.method, "GET");
  EXPECT_EQ(c.probe.body, "");
  EXPECT_TRUE(c.probe.headers.empty());
  EXPECT_TRUE(c.probe.extraHealthyStatuses.empty());
  EXPECT_TRUE(c.probe.insecureSkipVerify);
  EXPECT_EQ(c.probe.timeout, 10s);
  EXPECT_EQ(c.policy.rise, 1);
  EXPECT_EQ(c.policy.fall, 1);
  EXPECT_EQ(c.policy.jitter, 0.0);
  EXPECT_EQ(c.datapath, care::DatapathChoice::Auto);
  EXPECT_FALSE(c.nodeIp);
}

TEST(CareFlagsTest, MetricsBindAddressDefaultsToLoopbackAndEmptyTurnsItOff) {
  const std::vector<std::string> base = {"--vs", "10.103.97.12:6443", "--rs", "192.168.0.2:6443", "--mode", ""};
  auto parsed = parse(base);
  ASSERT_TRUE(parsed.result) << parsed.parseError;
  EXPECT_EQ(parsed.result->config.metricsBindAddress, ep("127.0.0.1:10264"));
  auto args = base;
  args.insert(args.end(), {"--metrics-bind-address", "0.0.0.0:9100"});
  parsed = parse(args);
  ASSERT_TRUE(parsed.result);
  EXPECT_EQ(parsed.result->config.metricsBindAddress, ep("0.0.0.0:9100"));
  args = base;
  args.push_back("--metrics-bind-address=");
  parsed = parse(args);
  ASSERT_TRUE(parsed.result) << parsed.parseError;
  EXPECT_FALSE(parsed.result->config.metricsBindAddress);
  parsed = parse(base, {{"CARE_METRICS_BIND_ADDRESS", ""}});
  ASSERT_TRUE(parsed.result);
  EXPECT_FALSE(parsed.result->config.metricsBindAddress);
  args = base;
  args.insert(args.end(), {"--metrics-bind-address", "localhost:10264"});
  EXPECT_NE(errorOf(args).find("--metrics-bind-address"), std::string::npos) << errorOf(args);
  EXPECT_NE(errorOf(base, {{"CARE_METRICS_BIND_ADDRESS", "10264"}}).find("CARE_METRICS_BIND_ADDRESS"),
            std::string::npos);
}

TEST(CareFlagsTest, RealServersRepeatableOrCommaSeparatedDuplicatesOnce) {
  auto p =
      parse({"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80,10.0.0.3:80", "--rs", "10.0.0.4:80", "--rs", "10.0.0.2:80"});
  ASSERT_TRUE(p.result) << p.parseError;
  EXPECT_EQ(p.result->config.realServers,
            (std::vector<Endpoint>{ep("10.0.0.2:80"), ep("10.0.0.3:80"), ep("10.0.0.4:80")}));
}

TEST(CareFlagsTest, Ipv6EndpointsInBrackets) {
  auto p = parse({"--vs", "[fd00::10]:6443", "--rs", "[fd00::2]:6443,[fd00::3]:6443", "--ip", "fd00::1"});
  ASSERT_TRUE(p.result) << p.parseError << p.result.error().message;
  EXPECT_TRUE(p.result->config.virtualServer.address.isV6());
  EXPECT_EQ(p.result->config.realServers.size(), 2u);
  EXPECT_EQ(p.result->config.nodeIp->toString(), "fd00::1");
}

TEST(CareFlagsTest, IntervalIsSecondsOrADuration) {
  const auto interval = [](const char* text) {
    auto p = parse({"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80", "--interval", text});
    EXPECT_TRUE(p.result) << text;
    return p.result ? p.result->config.policy.interval : health::Duration{};
  };
  EXPECT_EQ(interval("5"), 5s);
  EXPECT_EQ(interval("500ms"), 500ms);
  EXPECT_EQ(interval("1m"), 60s);
  EXPECT_EQ(interval("1m30s"), 90s);
  EXPECT_EQ(interval("1.5s"), 1500ms);
  EXPECT_EQ(interval("0"), 5s);  // LVScare: 0 means the default
}

TEST(CareFlagsTest, HealthFlags) {
  // The TLS files must be readable (they are checked before anything else is done).
  const std::string dir = ::testing::TempDir();
  for (const char* name : {"ca.pem", "c.pem", "k.pem"}) std::ofstream(dir + name) << "x\n";
  auto p = parse({"--vs",
                  "10.0.0.1:80",
                  "--rs",
                  "10.0.0.2:80",
                  "--health-path",
                  "livez",
                  "--health-req-method",
                  "POST",
                  "--health-req-body",
                  "{}",
                  "--health-req-headers",
                  "Host=api,X-A=1",
                  "--health-req-headers",
                  "X-B=a=b",
                  "--health-status",
                  "401,403",
                  "--health-insecure-skip-verify=false",
                  "--health-timeout",
                  "2s",
                  "--health-rise",
                  "2",
                  "--health-fall",
                  "3",
                  "--health-fast-interval",
                  "1s",
                  "--health-jitter",
                  "0.1",
                  "--health-ca-file",
                  dir + "ca.pem",
                  "--health-cert-file",
                  dir + "c.pem",
                  "--health-key-file",
                  dir + "k.pem",
                  "--health-server-name",
                  "kubernetes",
                  "--datapath",
                  "nftables"});
  ASSERT_TRUE(p.result) << p.parseError << p.result.error().message;
  const auto& c = p.result->config;
  EXPECT_EQ(c.probe.path, "/livez");
  EXPECT_EQ(c.probe.method, "POST");
  EXPECT_EQ(c.probe.body, "{}");
  const std::vector<std::pair<std::string, std::string>> headers = {{"Host", "api"}, {"X-A", "1"}, {"X-B", "a=b"}};
  EXPECT_EQ(c.probe.headers, headers);
  EXPECT_EQ(c.probe.extraHealthyStatuses, (std::vector<int>{401, 403}));
  EXPECT_FALSE(c.probe.insecureSkipVerify);
  EXPECT_EQ(c.probe.timeout, 2s);
  EXPECT_EQ(c.policy.rise, 2);
  EXPECT_EQ(c.policy.fall, 3);
  EXPECT_EQ(c.policy.fastInterval, 1s);
  EXPECT_DOUBLE_EQ(c.policy.jitter, 0.1);
  EXPECT_EQ(c.probe.caFile, dir + "ca.pem");
  EXPECT_EQ(c.probe.certFile, dir + "c.pem");
  EXPECT_EQ(c.probe.keyFile, dir + "k.pem");
  EXPECT_EQ(c.probe.serverName, "kubernetes");
  EXPECT_EQ(c.datapath, care::DatapathChoice::Nftables);
}

TEST(CareFlagsTest, ModeEmptyMeansRulesOnlyInEitherSpelling) {
  for (auto args : {std::vector<std::string>{"--mode", ""}, std::vector<std::string>{"--mode="}}) {
    args.insert(args.end(), {"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80"});
    auto p = parse(args);
    ASSERT_TRUE(p.result) << p.parseError;
    EXPECT_EQ(p.result->config.mode, care::Mode::None);
  }
  auto link = parse(
      {"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80", "--mode", "link", "-i", "kube-vip0", "--masqueradebit", "14"});
  ASSERT_TRUE(link.result) << link.parseError;
  EXPECT_EQ(link.result->config.mode, care::Mode::Link);
  EXPECT_EQ(link.result->config.interfaceName, "kube-vip0");
  EXPECT_EQ(link.result->config.masqueradeBit, 14);
}

TEST(CareFlagsTest, BoolFlagsTakePflagSpellings) {
  auto p = parse({"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80", "--run-once=true", "--clean=F"});
  ASSERT_TRUE(p.result) << p.parseError;
  EXPECT_TRUE(p.result->config.runOnce);
  EXPECT_FALSE(p.result->config.clean);
}

TEST(CareFlagsTest, EnvironmentFillsFlagsNotGiven) {
  auto p = parse({"--interval", "7"}, {{"CARE_VS", "10.0.0.1:6443"},
                                       {"CARE_RS", "10.0.0.2:6443,10.0.0.3:6443"},
                                       {"CARE_INTERVAL", "9"},  // the command line wins
                                       {"CARE_HEALTH_PATH", "readyz"},
                                       {"CARE_RUN_ONCE", "true"},
                                       {"CARE_CLEAN", "false"},
                                       {"CARE_MODE", "link"},
                                       {"CARE_IFACE", "vip0"},
                                       {"CARE_HEALTH_STATUS", "401"},
                                       {"CARE_HEALTH_INSECURE_SKIP_VERIFY", "false"},
                                       {"CARE_LOGGER", "DEBG"}});
  ASSERT_TRUE(p.result) << p.parseError << p.result.error().message;
  const auto& c = p.result->config;
  EXPECT_EQ(c.virtualServer, ep("10.0.0.1:6443"));
  EXPECT_EQ(c.realServers, (std::vector<Endpoint>{ep("10.0.0.2:6443"), ep("10.0.0.3:6443")}));
  EXPECT_EQ(c.policy.interval, 7s);
  EXPECT_EQ(c.probe.path, "/readyz");
  EXPECT_TRUE(c.runOnce);
  EXPECT_EQ(c.mode, care::Mode::Link);
  EXPECT_EQ(c.interfaceName, "vip0");
  EXPECT_EQ(c.probe.extraHealthyStatuses, std::vector<int>{401});
  EXPECT_FALSE(c.probe.insecureSkipVerify);
  EXPECT_EQ(p.result->logLevel, LogLevel::Debug);
}

TEST(CareFlagsTest, CommandLineRealServersReplaceTheEnvironments) {
  auto p = parse({"--vs", "10.0.0.1:80", "--rs", "10.0.0.9:80"}, {{"CARE_RS", "10.0.0.2:80,10.0.0.3:80"}});
  ASSERT_TRUE(p.result);
  EXPECT_EQ(p.result->config.realServers, std::vector<Endpoint>{ep("10.0.0.9:80")});
}

TEST(CareFlagsTest, SealctlUsesTheIpvsPrefix) {
  auto p = parse({"-C"}, {{"IPVS_VS", "10.0.0.1:80"}, {"CARE_VS", "10.0.0.2:80"}}, std::nullopt, "IPVS");
  ASSERT_TRUE(p.result) << p.parseError << p.result.error().message;
  EXPECT_EQ(p.result->config.virtualServer, ep("10.0.0.1:80"));
}

TEST(CareFlagsTest, BadEnvironmentValuesNameTheVariable) {
  EXPECT_EQ(errorOf({"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80"}, {{"CARE_INTERVAL", "-5"}}),
            "CARE_INTERVAL \"-5\": must not be negative");
  EXPECT_EQ(errorOf({"--vs", "10.0.0.1:80"}, {{"CARE_RS", "10.0.0.2"}}),
            "CARE_RS: '10.0.0.2': missing port, want host:port");
}

TEST(CareFlagsTest, NodeIpFromFlagThenHostsFileThenEnvironment) {
  const std::vector<std::string> base = {"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80"};
  auto hosts = IpAddress::parse("192.168.0.7").value();
  auto withFlag = base;
  withFlag.insert(withFlag.end(), {"--ip", "192.168.0.9"});
  auto p = parse(withFlag, {{"LVSCARE_NODE_IP", "192.168.0.8"}}, hosts);
  ASSERT_TRUE(p.result);
  EXPECT_EQ(p.result->config.nodeIp->toString(), "192.168.0.9");
  p = parse(base, {{"LVSCARE_NODE_IP", "192.168.0.8"}}, hosts);
  ASSERT_TRUE(p.result);
  EXPECT_EQ(p.result->config.nodeIp->toString(), "192.168.0.7");
  p = parse(base, {{"LVSCARE_NODE_IP", "192.168.0.8"}});
  ASSERT_TRUE(p.result);
  EXPECT_EQ(p.result->config.nodeIp->toString(), "192.168.0.8");
  p = parse(base);
  ASSERT_TRUE(p.result);
  EXPECT_FALSE(p.result->config.nodeIp);
  EXPECT_EQ(errorOf(base, {{"LVSCARE_NODE_IP", "node-1"}}).rfind("node IP from LVSCARE_NODE_IP: 'node-1'", 0), 0u);
  // Only route mode consults the hosts file and the environment.
  auto link = base;
  link.insert(link.end(), {"--mode", "link"});
  p = parse(link, {{"LVSCARE_NODE_IP", "192.168.0.8"}}, hosts);
  ASSERT_TRUE(p.result);
  EXPECT_FALSE(p.result->config.nodeIp);
}

// Every malformed value: one line naming the flag and the value.
TEST(CareFlagsTest, EveryMalformedValueNamesTheFlagAndTheValue) {
  const std::vector<std::string> base = {"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80"};
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--interval", "abc"}, "--interval \"abc\""},
      {{"--interval", "-5"}, "--interval \"-5\""},
      {{"--interval", "5x"}, "--interval \"5x\""},
      {{"--vs", "10.0.0.1"}, "--vs: '10.0.0.1'"},
      {{"--vs", "10.0.0.1:0"}, "--vs: '10.0.0.1:0'"},
      {{"--rs", "host:80"}, "--rs: 'host:80'"},
      {{"--rs", "10.0.0.3:99999"}, "--rs: '10.0.0.3:99999'"},
      {{"--rs", "[fd00::1]:80"}, "--rs \"[fd00::1]:80\""},
      {{"--scheduler", "sed"}, "--scheduler \"sed\""},
      {{"--mode", "link", "--iface", "this-name-is-too-long"}, "--iface \"this-name-is-too-long\""},
      {{"--mode", "bridge"}, "--mode \"bridge\""},
      {{"--run-once=maybe"}, "--run-once \"maybe\""},
      {{"--clean=2"}, "--clean \"2\""},
      {{"--ip", "300.1.1.1"}, "node IP from --ip: '300.1.1.1'"},
      {{"--ip", "fd00::1"}, "node IP from --ip is IPv6"},
      {{"--mode", "link", "--masqueradebit", "32"}, "--masqueradebit \"32\""},
      {{"--masqueradebit", "x"}, "--masqueradebit \"x\""},
      {{"--health-schem", "ftp"}, "--health-schem \"ftp\""},
      {{"--health-req-headers", "novalue"}, "--health-req-headers \"novalue\""},
      {{"--health-req-headers", "=v"}, "--health-req-headers \"=v\""},
      {{"--health-status", "abc"}, "--health-status \"abc\""},
      {{"--health-insecure-skip-verify=yes"}, "--health-insecure-skip-verify \"yes\""},
      {{"--health-timeout", "0"}, "--health-timeout \"0\""},
      {{"--health-timeout", "ten"}, "--health-timeout \"ten\""},
      {{"--health-rise", "0"}, "--health-rise \"0\""},
      {{"--health-fall", "-1"}, "--health-fall \"-1\""},
      {{"--health-fast-interval", "fast"}, "--health-fast-interval \"fast\""},
      {{"--health-jitter", "0.7"}, "--health-jitter \"0.7\""},
      {{"--datapath", "xdp"}, "--datapath \"xdp\""},
      {{"--health-req-method", "G T"}, "--health-req-method \"G T\": health request method 'G T'"},
      {{"--health-path", "/a b"}, "--health-path \"/a b\": health path '/a b'"},
      // Control characters are printed as escapes, so the message stays one line.
      {{"--health-path", "/a\nb"}, "--health-path \"/a\\nb\": health path '/a\\nb'"},
      {{"--health-req-headers", "X-A=a\r\nb"}, "--health-req-headers \"X-A=a\\r\\nb\": health request header 'X-A'"},
      {{"--health-req-headers", "X-A=1,Host=h,X\x01=2"}, "--health-req-headers \"X\\x01=2\": "},
      // TLS files are named with their flag before anything is loaded.
      {{"--health-ca-file", "/nonexistent/ca.pem"}, "--health-ca-file \"/nonexistent/ca.pem\": cannot read it"},
      {{"--health-cert-file", "/nonexistent/c.pem"}, "--health-cert-file \"/nonexistent/c.pem\": cannot read it"},
      {{"--health-key-file", "/nonexistent/k.pem"}, "--health-key-file \"/nonexistent/k.pem\": cannot read it"},
  };
  for (const auto& [extra, expected] : cases) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    const std::string message = errorOf(args);
    EXPECT_EQ(message.rfind(expected, 0), 0u) << "args: " << extra[0] << " message: " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  // A TLS file is not read for a plain HTTP probe, so it is not checked there either.
  auto http = base;
  http.insert(http.end(), {"--health-schem", "http", "--health-ca-file", "/nonexistent/ca.pem"});
  EXPECT_EQ(errorOf(http), "");
  EXPECT_EQ(errorOf({"--rs", "10.0.0.2:80"}), "--vs: required (host:port, e.g. 10.103.97.12:6443)");
  EXPECT_EQ(errorOf({"--vs", "10.0.0.1:80"}), "--rs: required unless -C is given");
}

// The library checks the rules and reports the field; the whole line, as the user sees it for a
// flag, is the same as when the CLI checked them itself.
TEST(CareFlagsTest, RuleViolationsReadInFull) {
  const std::vector<std::string> base = {"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80"};
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--mode", "link", "--masqueradebit", "32"}, "--masqueradebit \"32\": want 0 to 31"},
      {{"--mode", "link", "--masqueradebit", "99999999999999999999"},
       "--masqueradebit \"99999999999999999999\": want 0 to 31"},
      {{"--health-rise", "0"}, "--health-rise \"0\": want 1 to 1000"},
      {{"--health-fall", "-1"}, "--health-fall \"-1\": want 1 to 1000"},
      {{"--health-fall", "x"}, "--health-fall \"x\": not an integer"},
      {{"--health-timeout", "0"}, "--health-timeout \"0\": must be more than 0"},
      {{"--health-jitter", "0.7"}, "--health-jitter \"0.7\": want a fraction from 0 to 0.5"},
      {{"--health-jitter", "abc"}, "--health-jitter \"abc\": want a fraction from 0 to 0.5"},
      {{"--health-req-method", "G T"}, "--health-req-method \"G T\": health request method 'G T' is not an HTTP token"},
      {{"--health-path", "/a b"}, "--health-path \"/a b\": health path '/a b' has a space or control character"},
      {{"--health-req-headers", "X-A=1,X\x01=2"},
       "--health-req-headers \"X\\x01=2\": health request header name 'X\\x01' is not an HTTP token"},
      {{"--scheduler", "sed"}, "--scheduler \"sed\": want one of rr, lc, dh, sh, wrr, wlc"},
      {{"--mode", "link", "--iface", "a/b"},
       "--iface \"a/b\": not a valid interface name (1-15 characters, no '/', ':' or spaces)"},
      {{"--rs", "[fd00::1]:80"}, "--rs \"[fd00::1]:80\": an IPv6 real server for the IPv4 --vs 10.0.0.1:80"},
      {{"--mode", "bridge"}, "--mode \"bridge\": want route, link or \"\""},
      {{"--datapath", "xdp"}, "--datapath \"xdp\": want ipvs, nftables or auto"},
      {{"--drain-timeout", "-1s"}, "--drain-timeout \"-1s\": must not be negative"},
      {{"--flap-damping-base", "10s", "--flap-damping-max", "5s"},
       "--flap-damping-max \"5s\": must be at least the base (10s)"},
  };
  for (const auto& [extra, expected] : cases) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    EXPECT_EQ(errorOf(args), expected) << extra[0];
  }
}

// A value from the environment is named by its variable, in the rules' messages as well.
TEST(CareFlagsTest, RuleViolationsNameTheVariableTheValueCameFrom) {
  const std::vector<std::string> base = {"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80"};
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{{"CARE_SCHEDULER", "sed"}}, "CARE_SCHEDULER \"sed\": want one of rr, lc, dh, sh, wrr, wlc"},
      {{{"CARE_IFACE", "a/b"}, {"CARE_MODE", "link"}},
       "CARE_IFACE \"a/b\": not a valid interface name (1-15 characters, no '/', ':' or spaces)"},
      {{{"CARE_MASQUERADEBIT", "32"}, {"CARE_MODE", "link"}}, "CARE_MASQUERADEBIT \"32\": want 0 to 31"},
      {{{"CARE_HEALTH_RISE", "0"}}, "CARE_HEALTH_RISE \"0\": want 1 to 1000"},
      {{{"CARE_HEALTH_FALL", "1001"}}, "CARE_HEALTH_FALL \"1001\": want 1 to 1000"},
      {{{"CARE_HEALTH_TIMEOUT", "0"}}, "CARE_HEALTH_TIMEOUT \"0\": must be more than 0"},
      {{{"CARE_HEALTH_JITTER", "0.7"}}, "CARE_HEALTH_JITTER \"0.7\": want a fraction from 0 to 0.5"},
      {{{"CARE_HEALTH_PATH", "/a b"}},
       "CARE_HEALTH_PATH \"/a b\": health path '/a b' has a space or control character"},
      {{{"CARE_HEALTH_REQ_HEADERS", "Connection=close"}},
       "CARE_HEALTH_REQ_HEADERS \"Connection=close\": health request header 'Connection' is set by lvscare itself"},
      {{{"CARE_MODE", "bridge"}}, "CARE_MODE \"bridge\": want route, link or \"\""},
      {{{"CARE_DATAPATH", "xdp"}}, "CARE_DATAPATH \"xdp\": want ipvs, nftables or auto"},
  };
  for (const auto& [env, expected] : cases) EXPECT_EQ(errorOf(base, env), expected) << env.begin()->first;
  // The other field a message points at is named the same way.
  EXPECT_EQ(errorOf({"--vs", "10.0.0.1:80"}, {{"CARE_RS", "10.0.0.2:80,[fd00::1]:80"}}),
            "CARE_RS \"[fd00::1]:80\": an IPv6 real server for the IPv4 --vs 10.0.0.1:80");
  EXPECT_EQ(errorOf({"--rs", "[fd00::1]:80"}, {{"CARE_VS", "10.0.0.1:80"}}),
            "--rs \"[fd00::1]:80\": an IPv6 real server for the IPv4 CARE_VS 10.0.0.1:80");
  // An empty variable is not set, as in LVScare: the flag is missing.
  EXPECT_EQ(errorOf({"--rs", "10.0.0.2:80"}, {{"CARE_VS", ""}}), "--vs: required (host:port, e.g. 10.103.97.12:6443)");
  EXPECT_EQ(errorOf({"--vs", "10.0.0.1:80"}, {{"CARE_RS", ""}}), "--rs: required unless -C is given");
  EXPECT_EQ(errorOf({"--vs", "10.0.0.1:80"}, {{"CARE_CLEAN", "false"}}), "--rs: required unless CARE_CLEAN is given");
  EXPECT_EQ(errorOf(base, {{"CARE_IP", "fd00::1"}}).rfind("node IP from CARE_IP is IPv6", 0), 0u);
  // sealctl ipvs: the IPVS_ prefix.
  auto p = parse(base, {{"IPVS_SCHEDULER", "sed"}, {"CARE_SCHEDULER", "wrr"}}, std::nullopt, "IPVS");
  ASSERT_FALSE(p.result);
  EXPECT_EQ(p.result.error().message, "IPVS_SCHEDULER \"sed\": want one of rr, lc, dh, sh, wrr, wlc");
}

TEST(FlagValuesTest, GoDurations) {
  EXPECT_EQ(parseGoDuration("--x", "300ms").value(), 300ms);
  EXPECT_EQ(parseGoDuration("--x", "2h45m").value(), 2h + 45min);
  EXPECT_EQ(parseGoDuration("--x", "1.5h").value(), 90min);
  EXPECT_EQ(parseGoDuration("--x", "250us").value(), 250us);
  EXPECT_EQ(parseGoDuration("--x", "0").value(), 0s);
  EXPECT_EQ(parseGoDuration("--x", "+1s").value(), 1s);
  for (const char* bad : {"", "s", "1", "1.s.", "1q", "-1s", "1e3s", ".s"})
    EXPECT_FALSE(parseGoDuration("--x", bad)) << bad;
}

TEST(FlagValuesTest, ListsReadLikePflagStringSlice) {
  EXPECT_EQ(splitList("--x", "a,b").value(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(splitList("--x", "\"a,b\",c").value(), (std::vector<std::string>{"a,b", "c"}));
  EXPECT_EQ(splitList("--x", "a,").value(), (std::vector<std::string>{"a", ""}));
  EXPECT_TRUE(splitList("--x", "").value().empty());
  EXPECT_FALSE(splitList("--x", "\"a"));
  EXPECT_FALSE(splitList("--x", "a\"b"));
}

TEST(FlagValuesTest, SplitEmptyAssignments) {
  EXPECT_EQ(splitEmptyAssignments({"--mode=", "--vs", "a", "--", "--x="}),
            (std::vector<std::string>{"--mode", "", "--vs", "a", "--", "--x="}));
}

// Issue 11: --fail-open (default true) and whether --health-insecure-skip-verify was given at all.
TEST(CareFlagsTest, FailOpenAndExplicitSkipVerify) {
  const std::vector<std::string> base{"--vs", "10.103.97.2:6443", "--rs", "192.168.0.2:6443"};
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  auto plain = parse(base);
  ASSERT_TRUE(plain.result) << plain.parseError;
  EXPECT_TRUE(plain.result->config.failOpen);
  EXPECT_TRUE(plain.result->config.probe.insecureSkipVerify);
  EXPECT_FALSE(plain.result->config.probe.insecureSkipVerifyGiven.has_value());

  auto strict = parse(with({"--fail-open=false"}));
  ASSERT_TRUE(strict.result) << strict.parseError;
  EXPECT_FALSE(strict.result->config.failOpen);
  auto strictEnv = parse(base, {{"CARE_FAIL_OPEN", "false"}});
  ASSERT_TRUE(strictEnv.result);
  EXPECT_FALSE(strictEnv.result->config.failOpen);

  auto skip = parse(with({"--health-insecure-skip-verify=true"}));
  ASSERT_TRUE(skip.result) << skip.parseError;
  EXPECT_EQ(skip.result->config.probe.insecureSkipVerifyGiven, std::optional<bool>(true));
  auto verifyEnv = parse(base, {{"CARE_HEALTH_INSECURE_SKIP_VERIFY", "false"}});
  ASSERT_TRUE(verifyEnv.result);
  EXPECT_EQ(verifyEnv.result->config.probe.insecureSkipVerifyGiven, std::optional<bool>(false));
}


// Issue 13: down versus drain, flap damping and passive detection; defaults and both sources.
TEST(CareFlagsTest, FailoverFlags) {
  const std::vector<std::string> base{"--vs", "10.103.97.2:6443", "--rs", "192.168.0.2:6443"};
  auto plain = parse(base);
  ASSERT_TRUE(plain.result) << plain.parseError;
  EXPECT_EQ(plain.result->config.drainTimeout, std::chrono::seconds(10));
  EXPECT_EQ(plain.result->config.flapDampingBase, health::Duration::zero());
  EXPECT_EQ(plain.result->config.flapDampingMax, std::chrono::seconds(60));
  EXPECT_TRUE(plain.result->config.passiveDetection);

  std::vector<std::string> args = base;
  for (const char* extra : {"--drain-timeout", "0", "--flap-damping-base", "2s", "--flap-damping-max", "1m",
                            "--passive-detection=false"}) {
    args.emplace_back(extra);
  }
  auto set = parse(args);
  ASSERT_TRUE(set.result) << set.parseError;
  EXPECT_EQ(set.result->config.drainTimeout, health::Duration::zero());
  EXPECT_EQ(set.result->config.flapDampingBase, std::chrono::seconds(2));
  EXPECT_EQ(set.result->config.flapDampingMax, std::chrono::minutes(1));
  EXPECT_FALSE(set.result->config.passiveDetection);

  auto env = parse(base, {{"CARE_DRAIN_TIMEOUT", "30"}, {"CARE_PASSIVE_DETECTION", "false"}});
  ASSERT_TRUE(env.result) << env.parseError;
  EXPECT_EQ(env.result->config.drainTimeout, std::chrono::seconds(30));
  EXPECT_FALSE(env.result->config.passiveDetection);
}

}  // namespace
}  // namespace lvscare::cli
