#include <gtest/gtest.h>

#include "health/http_request.hpp"
#include "lvscare/probers.hpp"

namespace lvscare::health {
namespace {

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

TEST(HttpRequestTest, LvscareDefaults) {
  ProbeConfig config;
  EXPECT_EQ(buildHttpRequest(config, ep("192.168.0.2:6443")),
            "GET /healthz HTTP/1.1\r\nHost: 192.168.0.2:6443\r\nUser-Agent: lvscare\r\nConnection: close\r\n\r\n");
}

TEST(HttpRequestTest, KeepAliveLeavesOutConnectionClose) {
  ProbeConfig config;
  config.path = "/readyz";
  EXPECT_EQ(buildHttpRequest(config, ep("192.168.0.2:6443"), Connection::KeepAlive),
            "GET /readyz HTTP/1.1\r\nHost: 192.168.0.2:6443\r\nUser-Agent: lvscare\r\n\r\n");
}

TEST(HttpRequestTest, MethodHeadersBodyAndIpv6Host) {
  ProbeConfig config;
  config.method = "POST";
  config.path = "livez?verbose";
  config.headers = {{"Authorization", "Bearer t"}, {"X-A", "1"}};
  config.body = "{}";
  EXPECT_EQ(buildHttpRequest(config, ep("[fd00::2]:8080")),
            "POST /livez?verbose HTTP/1.1\r\nHost: [fd00::2]:8080\r\nUser-Agent: lvscare\r\nAuthorization: Bearer t\r\n"
            "X-A: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
}

TEST(HttpRequestTest, EmptyPostSaysContentLengthZero) {
  ProbeConfig config;
  config.method = "POST";
  EXPECT_NE(buildHttpRequest(config, ep("10.0.0.1:80")).find("Content-Length: 0\r\n"), std::string::npos);
}

TEST(HttpRequestTest, ServerNameAndUserHostReplaceTheAddress) {
  ProbeConfig config;
  config.serverName = "apiserver.cluster.local";
  EXPECT_NE(buildHttpRequest(config, ep("10.0.0.1:6443")).find("Host: apiserver.cluster.local:6443\r\n"),
            std::string::npos);
  config.headers = {{"host", "mine"}, {"User-Agent", "kube-probe/1.29"}};
  const std::string request = buildHttpRequest(config, ep("10.0.0.1:6443"));
  EXPECT_EQ(request.find("Host: apiserver"), std::string::npos);
  EXPECT_NE(request.find("host: mine\r\n"), std::string::npos);
  EXPECT_EQ(request.find("User-Agent: lvscare"), std::string::npos);
}

TEST(HttpRequestTest, HealthyStatuses) {
  EXPECT_TRUE(isHealthyStatus(200, {}));
  EXPECT_TRUE(isHealthyStatus(399, {}));
  EXPECT_FALSE(isHealthyStatus(400, {}));
  EXPECT_FALSE(isHealthyStatus(401, {}));
  EXPECT_TRUE(isHealthyStatus(401, {401}));
  EXPECT_FALSE(isHealthyStatus(503, {401}));
}

struct BadConfig {
  void (*mutate)(ProbeConfig&);
  const char* message;
};

class ProbeConfigBadTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ProbeConfigBadTest, IsRefusedWithAMessageNamingIt) {
  ProbeConfig config;
  config.scheme = Scheme::Http;
  GetParam().mutate(config);
  auto ok = validateProbeConfig(config);
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().message, GetParam().message);
  EXPECT_EQ(ok.error().code, Errc::InvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ProbeConfigBadTest,
    ::testing::Values(
        BadConfig{[](ProbeConfig& c) { c.method = "GE T"; }, "health request method 'GE T' is not an HTTP token"},
        BadConfig{[](ProbeConfig& c) { c.method = ""; }, "health request method: must not be empty"},
        BadConfig{[](ProbeConfig& c) { c.path = "/a b"; }, "health path '/a b' has a space or control character"},
        BadConfig{[](ProbeConfig& c) { c.path = "/a\r\nX: y"; },
                  "health path '/a\r\nX: y' has a space or control character"},
        BadConfig{[](ProbeConfig& c) {
                    c.headers = {{"X:Y", "v"}};
                  },
                  "health request header name 'X:Y' is not an HTTP token"},
        BadConfig{[](ProbeConfig& c) {
                    c.headers = {{"X", "v\r\nEvil: 1"}};
                  },
                  "health request header 'X' has a control character in its value"},
        BadConfig{[](ProbeConfig& c) {
                    c.headers = {{"Content-Length", "5"}};
                  },
                  "health request header 'Content-Length' is set by lvscare itself"},
        BadConfig{[](ProbeConfig& c) {
                    c.extraHealthyStatuses = {401, 700};
                  },
                  "health status 700: want 400 to 599"},
        BadConfig{[](ProbeConfig& c) { c.timeout = Duration::zero(); }, "health timeout 0ms: must be more than 0"}));

TEST(ProbeConfigTest, TcpIgnoresHttpFields) {
  ProbeConfig config;
  config.scheme = Scheme::Tcp;
  config.method = "not a token";
  EXPECT_TRUE(validateProbeConfig(config));
  EXPECT_TRUE(validateProbeConfig(ProbeConfig{}));
}

}  // namespace
}  // namespace lvscare::health
