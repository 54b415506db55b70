#include <gtest/gtest.h>

#include "lvscare/endpoint.hpp"

namespace lvscare {
namespace {

TEST(EndpointTest, ParsesIpv4) {
  auto ep = Endpoint::parse("10.103.97.12:6443");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_TRUE(ep->address.isV4());
  EXPECT_EQ(ep->address.bytes[0], 10);
  EXPECT_EQ(ep->address.bytes[3], 12);
  EXPECT_EQ(ep->address.bytes[4], 0);  // zero padding beyond the 4 IPv4 bytes
  EXPECT_EQ(ep->port, 6443);
  EXPECT_EQ(ep->toString(), "10.103.97.12:6443");
}

TEST(EndpointTest, ParsesBracketedIpv6) {
  auto ep = Endpoint::parse("[fd00::1]:6443");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_TRUE(ep->address.isV6());
  EXPECT_EQ(ep->address.bytes[0], 0xfd);
  EXPECT_EQ(ep->address.bytes[15], 1);
  EXPECT_EQ(ep->toString(), "[fd00::1]:6443");
}

struct BadEndpoint {
  const char* text;
  const char* expectedFragment;
};

class BadEndpointTest : public ::testing::TestWithParam<BadEndpoint> {};

TEST_P(BadEndpointTest, GivesOneClearLine) {
  const auto& param = GetParam();
  auto ep = Endpoint::parse(param.text);
  ASSERT_FALSE(ep) << param.text << " parsed as " << ep->toString();
  EXPECT_EQ(ep.error().code, Errc::InvalidArgument);
  EXPECT_NE(ep.error().message.find(param.expectedFragment), std::string::npos)
      << "message was: " << ep.error().message;
  EXPECT_EQ(ep.error().message.find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadEndpointTest,
    ::testing::Values(BadEndpoint{"", "empty"}, BadEndpoint{"10.0.0.1", "missing port"},
                      BadEndpoint{"10.0.0.1:", "missing port"}, BadEndpoint{"10.0.0.1:0", "out of range"},
                      BadEndpoint{"10.0.0.1:65536", "out of range"}, BadEndpoint{"10.0.0.1:-1", "not a number"},
                      BadEndpoint{"10.0.0.1:+80", "not a number"}, BadEndpoint{"10.0.0.1:80x", "not a number"},
                      BadEndpoint{"10.0.0.256:80", "not an IP address"},
                      BadEndpoint{"master-1:6443", "not an IP address"}, BadEndpoint{"fd00::1:6443", "needs brackets"},
                      BadEndpoint{"[fd00::1:6443", "missing ']'"}, BadEndpoint{"[fd00::1]6443", "missing port"},
                      BadEndpoint{"[10.0.0.1]:80", "only for IPv6"}, BadEndpoint{"[fd00::zz]:80", "not an IP address"},
                      BadEndpoint{" 10.0.0.1:80", "not an IP address"}));

TEST(IpAddressTest, LoopbackAndOrdering) {
  EXPECT_TRUE(IpAddress::parse("127.0.0.2")->isLoopback());
  EXPECT_TRUE(IpAddress::parse("::1")->isLoopback());
  EXPECT_FALSE(IpAddress::parse("10.0.0.1")->isLoopback());
  EXPECT_LT(*IpAddress::parse("10.0.0.1"), *IpAddress::parse("10.0.0.2"));
}

}  // namespace
}  // namespace lvscare
