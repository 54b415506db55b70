// The sysctl parsing and the choice of source ports for lvscare's own connections (no sockets).
#include "health/source_ports.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace lvscare::health {
namespace {

using Ranges = std::vector<PortRange>;

TEST(SourcePortsTest, ParsesTheEphemeralRangeAsTheKernelWritesIt) {
  EXPECT_EQ(parsePortRange("32768\t60999\n"), (PortRange{32768, 60999}));
  EXPECT_EQ(parsePortRange("1024 65535"), (PortRange{1024, 65535}));
  EXPECT_EQ(parsePortRange("40000\t40000\n"), (PortRange{40000, 40000}));
}

TEST(SourcePortsTest, RejectsAMalformedEphemeralRange) {
  for (const char* text : {"", "32768", "32768\t", "a\t60999", "60999\t32768", "1\t65536", "1\t2\t3", "-1\t5"}) {
    EXPECT_EQ(parsePortRange(text), std::nullopt) << text;
  }
}

TEST(SourcePortsTest, ParsesTheReservedPortList) {
  EXPECT_EQ(parsePortList("\n"), Ranges{});
  EXPECT_EQ(parsePortList("8080\n"), (Ranges{{8080, 8080}}));
  EXPECT_EQ(parsePortList("8080,61000-61009,65535\n"), (Ranges{{8080, 8080}, {61000, 61009}, {65535, 65535}}));
}

TEST(SourcePortsTest, RejectsAMalformedReservedPortList) {
  for (const char* text : {",", "8080,", "8080-", "9000-8000", "70000", "80 81", "x"}) {
    EXPECT_EQ(parsePortList(text), std::nullopt) << text;
  }
}

TEST(SourcePortsTest, TakesThePortsAboveTheRange) {
  EXPECT_EQ(portsAbove({32768, 60999}, {}), (Ranges{{61000, 65535}}));
  EXPECT_EQ(portsAbove({1024, 65534}, {}), (Ranges{{65535, 65535}}));
}

TEST(SourcePortsTest, NothingAboveARangeThatEndsAt65535) { EXPECT_EQ(portsAbove({1024, 65535}, {}), Ranges{}); }

TEST(SourcePortsTest, LeavesOutReservedPortsInAnyOrderAndOverlapping) {
  EXPECT_EQ(portsAbove({32768, 60999}, {{8080, 8080}, {64000, 64999}, {61000, 61009}, {61005, 61100}, {65535, 65535}}),
            (Ranges{{61101, 63999}, {65000, 65534}}));
  EXPECT_EQ(portsAbove({32768, 60999}, {{60000, 65535}}), Ranges{});
}

TEST(SourcePortsTest, CountsAndIndexesAcrossRangesAndWrapsRound) {
  const SourcePorts ports({{61000, 61001}, {65535, 65535}});
  EXPECT_EQ(ports.count(), 3u);
  EXPECT_EQ(ports.at(0), 61000);
  EXPECT_EQ(ports.at(1), 61001);
  EXPECT_EQ(ports.at(2), 65535);
  EXPECT_EQ(ports.at(3), 61000);
  EXPECT_EQ(SourcePorts().count(), 0u);
}

TEST(SourcePortsTest, ThisNamespaceHasPortsAboveItsEphemeralRange) {
  // Whatever this machine's range is, every port chosen lies above it.
  std::ifstream file("/proc/sys/net/ipv4/ip_local_port_range");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const auto range = parsePortRange(text);
  ASSERT_TRUE(range) << text;  // the kernel's own format parses
  if (range->last == 65535) GTEST_SKIP() << "ip_local_port_range reaches 65535 here";
  const auto ports = SourcePorts::ofThisNamespace();
  ASSERT_NE(ports, nullptr);
  ASSERT_GT(ports->count(), 0u);
  for (std::size_t i = 0; i < ports->count(); i += 97) EXPECT_GT(ports->at(i), range->last) << i;
  EXPECT_GT(ports->at(ports->count() - 1), range->last);
}

}  // namespace
}  // namespace lvscare::health
