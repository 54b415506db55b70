// Route messages for route mode: what goes on the wire and how dump entries are classified.
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include <gtest/gtest.h>

#include "host/route_codec.hpp"
#include "netlink/attributes.hpp"

namespace lvscare::host {
namespace {

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

// The request seen as the kernel would: header fields plus attributes.
struct Decoded {
  nlmsghdr header{};
  rtmsg route{};
  netlink::AttributeTable attributes;
};

Decoded decode(const netlink::Message& message) {
  Decoded out;
  std::memcpy(&out.header, message.bytes.data(), sizeof out.header);
  std::memcpy(&out.route, message.bytes.data() + NLMSG_HDRLEN, sizeof out.route);
  const std::size_t offset = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(rtmsg));
  out.attributes = netlink::AttributeTable::parse(
                       netlink::Bytes(message.bytes.data() + offset, message.bytes.size() - offset), RTA_MAX)
                       .value();
  return out;
}

std::vector<std::uint8_t> bytesOf(const netlink::Attribute* attribute) {
  return {attribute->payload.begin(), attribute->payload.end()};
}

TEST(RouteCodecTest, AddCarriesOurProtocolMetricTableAndExclusiveCreate) {
  const RouteSpec spec{ip("10.103.97.12"), ip("192.168.0.2")};
  const auto d = decode(buildRouteAdd(spec, false));
  EXPECT_EQ(d.header.nlmsg_type, RTM_NEWROUTE);
  EXPECT_EQ(d.header.nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_REPLACE), NLM_F_CREATE | NLM_F_EXCL);
  EXPECT_EQ(d.route.rtm_family, AF_INET);
  EXPECT_EQ(d.route.rtm_dst_len, 32);
  EXPECT_EQ(d.route.rtm_protocol, kRouteProtocol);
  EXPECT_EQ(d.route.rtm_table, RT_TABLE_MAIN);
  EXPECT_EQ(d.route.rtm_type, RTN_UNICAST);
  EXPECT_EQ(bytesOf(d.attributes.find(RTA_DST)), (std::vector<std::uint8_t>{10, 103, 97, 12}));
  EXPECT_EQ(bytesOf(d.attributes.find(RTA_GATEWAY)), (std::vector<std::uint8_t>{192, 168, 0, 2}));
  EXPECT_EQ(d.attributes.requireU32(RTA_PRIORITY, "metric").value(), 50u);
  EXPECT_EQ(d.attributes.requireU32(RTA_TABLE, "table").value(), static_cast<std::uint32_t>(RT_TABLE_MAIN));
}

TEST(RouteCodecTest, ReplaceSwapsExclForReplace) {
  const auto d = decode(buildRouteAdd(RouteSpec{ip("10.0.0.1"), ip("10.0.0.2")}, true));
  EXPECT_EQ(d.header.nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_REPLACE), NLM_F_CREATE | NLM_F_REPLACE);
}

TEST(RouteCodecTest, Ipv4NamesTheNodeIpAsGatewayOnly) {
  const auto d = decode(buildRouteAdd(RouteSpec{ip("10.0.0.1"), ip("10.0.0.2")}, false));
  EXPECT_EQ(d.attributes.find(RTA_PREFSRC), nullptr);
  EXPECT_EQ(d.attributes.find(RTA_OIF), nullptr) << "LVScare's route: the kernel picks the interface";
}

// IPv6 refuses a local gateway, so the node IP is the preferred source on its own interface.
const RouteSpec kSpec6{ip("fd00::12"), ip("fd00:1::2"), kRouteMetric, 3};

TEST(RouteCodecTest, Ipv6IsAHostRouteOutOfTheNodeIpsInterfaceWithItAsSource) {
  const auto d = decode(buildRouteAdd(kSpec6, false));
  EXPECT_EQ(d.route.rtm_family, AF_INET6);
  EXPECT_EQ(d.route.rtm_dst_len, 128);
  EXPECT_EQ(d.route.rtm_protocol, kRouteProtocol);
  EXPECT_EQ(d.route.rtm_type, RTN_UNICAST);
  EXPECT_EQ(bytesOf(d.attributes.find(RTA_DST)),
            std::vector<std::uint8_t>(kSpec6.vip.bytes.begin(), kSpec6.vip.bytes.end()));
  EXPECT_EQ(d.attributes.find(RTA_GATEWAY), nullptr);
  EXPECT_EQ(bytesOf(d.attributes.find(RTA_PREFSRC)),
            std::vector<std::uint8_t>(kSpec6.nodeIp.bytes.begin(), kSpec6.nodeIp.bytes.end()));
  EXPECT_EQ(d.attributes.requireU32(RTA_OIF, "oif").value(), 3u);
  EXPECT_EQ(d.attributes.requireU32(RTA_PRIORITY, "metric").value(), 50u);
  EXPECT_EQ(d.attributes.requireU32(RTA_TABLE, "table").value(), static_cast<std::uint32_t>(RT_TABLE_MAIN));
}

TEST(RouteCodecTest, SpecSaysWhatItProgramsPerFamily) {
  EXPECT_EQ((RouteSpec{ip("10.103.97.12"), ip("192.168.0.2")}.toString()), "10.103.97.12/32 via 192.168.0.2 metric 50");
  EXPECT_EQ((RouteSpec{ip("fd00::12"), ip("fd00:1::2")}.toString()), "fd00::12/128 src fd00:1::2 metric 50");
  EXPECT_EQ(kSpec6.toString(), "fd00::12/128 dev #3 src fd00:1::2 metric 50");
}

TEST(RouteCodecTest, SpecRejectsMixedFamilies) {
  auto valid = RouteSpec{ip("fd00::12"), ip("10.0.0.2")}.validate();
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().code, Errc::InvalidArgument);
  EXPECT_EQ(valid.error().message, "node IP 10.0.0.2 and VIP fd00::12 are of different address families");
}

// A dump entry as the kernel sends it, built with our own builder (same layout).
netlink::MessageView view(const netlink::Message& message) {
  auto messages = netlink::splitMessages(netlink::Bytes(message.bytes));
  return messages.value().at(0);
}

RouteInfo roundTrip(const RouteSpec& spec) {
  auto message = buildRouteAdd(spec, false);
  std::uint16_t type = RTM_NEWROUTE;
  std::memcpy(message.bytes.data() + offsetof(nlmsghdr, nlmsg_type), &type, sizeof type);
  return parseRoute(view(message)).value();
}

TEST(RouteCodecTest, ParsesWhatItBuildsAndRecognisesItAsExact) {
  const RouteSpec spec{ip("10.103.97.12"), ip("192.168.0.2")};
  const RouteInfo route = roundTrip(spec);
  EXPECT_EQ(route.destination, spec.vip);
  EXPECT_EQ(route.gateway, spec.nodeIp);
  EXPECT_EQ(route.preferredSource, std::nullopt);
  EXPECT_EQ(route.metric, 50u);
  EXPECT_EQ(route.protocol, kRouteProtocol);
  EXPECT_TRUE(isVipRoute(route, spec.vip));
  EXPECT_TRUE(isExactRoute(route, spec));
  EXPECT_EQ(classifyRoute(route, std::nullopt), RouteOwner::Ours);
  EXPECT_FALSE(isExactRoute(route, RouteSpec{spec.vip, ip("192.168.0.3")}));
  EXPECT_FALSE(isVipRoute(route, ip("10.103.97.13")));
  EXPECT_EQ(route.toString(), "10.103.97.12/32 via 192.168.0.2 metric 50 proto 76 table 254");
}

TEST(RouteCodecTest, OwnershipRule) {
  RouteInfo route = roundTrip(RouteSpec{ip("10.0.0.1"), ip("192.168.0.2")});
  const auto node = std::optional<IpAddress>(ip("192.168.0.2"));
  route.protocol = RTPROT_BOOT;  // what Go LVScare and `ip route add` write
  EXPECT_EQ(classifyRoute(route, node), RouteOwner::Legacy);
  EXPECT_EQ(classifyRoute(route, std::nullopt), RouteOwner::Foreign) << "no node IP: cannot tell it is LVScare's";
  EXPECT_EQ(classifyRoute(route, ip("192.168.0.3")), RouteOwner::Foreign) << "another gateway";
  route.metric = 100;
  EXPECT_EQ(classifyRoute(route, node), RouteOwner::Foreign) << "another metric";
  route.metric = 50;
  route.protocol = RTPROT_STATIC;
  EXPECT_EQ(classifyRoute(route, node), RouteOwner::Foreign) << "another protocol";
  route.protocol = kRouteProtocol;
  route.gateway = ip("192.168.0.9");
  route.metric = 7;
  EXPECT_EQ(classifyRoute(route, node), RouteOwner::Ours) << "our tag decides, whatever the gateway";
}

TEST(RouteCodecTest, OnlyMainTableHostRoutesCount) {
  RouteInfo route = roundTrip(RouteSpec{ip("10.0.0.1"), ip("192.168.0.2")});
  route.table = 100;
  EXPECT_FALSE(isVipRoute(route, ip("10.0.0.1")));
  route.table = RT_TABLE_MAIN;
  route.prefixLength = 24;
  EXPECT_FALSE(isVipRoute(route, ip("10.0.0.1")));
}

TEST(RouteCodecTest, DeleteNamesTheRouteExactly) {
  RouteInfo route = roundTrip(RouteSpec{ip("10.0.0.1"), ip("192.168.0.2")});
  route.outputInterface = 3;
  const auto d = decode(buildRouteDelete(route));
  EXPECT_EQ(d.header.nlmsg_type, RTM_DELROUTE);
  EXPECT_EQ(d.route.rtm_protocol, kRouteProtocol);
  EXPECT_EQ(bytesOf(d.attributes.find(RTA_GATEWAY)), (std::vector<std::uint8_t>{192, 168, 0, 2}));
  EXPECT_EQ(d.attributes.requireU32(RTA_PRIORITY, "metric").value(), 50u);
  EXPECT_EQ(d.attributes.requireU32(RTA_OIF, "oif").value(), 3u);
}

TEST(RouteCodecTest, Ipv6RouteParsesBackAndIsRecognisedAsExact) {
  const RouteInfo route = roundTrip(kSpec6);
  EXPECT_EQ(route.family, Family::V6);
  EXPECT_EQ(route.destination, kSpec6.vip);
  EXPECT_EQ(route.prefixLength, 128);
  EXPECT_EQ(route.gateway, std::nullopt);
  EXPECT_EQ(route.preferredSource, kSpec6.nodeIp);
  EXPECT_EQ(route.outputInterface, 3);
  EXPECT_EQ(route.toString(), "fd00::12/128 dev #3 src fd00:1::2 metric 50 proto 76 table 254");
  EXPECT_EQ(classifyRoute(route, kSpec6.nodeIp), RouteOwner::Ours);
  EXPECT_EQ(classifyRoute(route, std::nullopt), RouteOwner::Ours);
  EXPECT_TRUE(isExactRoute(route, kSpec6));
  EXPECT_TRUE(isExactRoute(route, RouteSpec{kSpec6.vip, kSpec6.nodeIp})) << "interface not looked up: any will do";
  EXPECT_FALSE(isExactRoute(route, RouteSpec{kSpec6.vip, kSpec6.nodeIp, kRouteMetric, 4})) << "another interface";
  EXPECT_FALSE(isExactRoute(route, RouteSpec{kSpec6.vip, ip("fd00:1::3")})) << "another node IP";
  EXPECT_FALSE(isExactRoute(route, RouteSpec{kSpec6.vip, kSpec6.nodeIp, 60})) << "another metric";
}

TEST(RouteCodecTest, Ipv6RouteWithoutItsSourceOrWithAGatewayIsStale) {
  RouteInfo route = roundTrip(kSpec6);
  route.preferredSource.reset();  // what the kernel leaves when the node IP is deleted
  EXPECT_FALSE(isExactRoute(route, kSpec6));
  EXPECT_EQ(classifyRoute(route, kSpec6.nodeIp), RouteOwner::Ours) << "still ours to replace or remove";
  route = roundTrip(kSpec6);
  route.gateway = ip("fd00:1::9");  // a gateway route of ours (an older form): replaced
  EXPECT_FALSE(isExactRoute(route, kSpec6));
  route = roundTrip(kSpec6);
  route.outputInterface = 0;
  EXPECT_FALSE(isExactRoute(route, RouteSpec{kSpec6.vip, kSpec6.nodeIp}));
}

TEST(RouteCodecTest, Ipv6ForeignRouteStaysForeign) {
  RouteInfo route = roundTrip(kSpec6);
  route.protocol = RTPROT_STATIC;
  EXPECT_EQ(classifyRoute(route, kSpec6.nodeIp), RouteOwner::Foreign);
  EXPECT_FALSE(isExactRoute(route, kSpec6));
  route.protocol = RTPROT_BOOT;  // `ip -6 route add ... dev X src <node IP> metric 50`: not LVScare's shape
  EXPECT_EQ(classifyRoute(route, kSpec6.nodeIp), RouteOwner::Foreign);
}

TEST(RouteCodecTest, Ipv6DeleteNamesInterfaceAndSourceNotAGateway) {
  const auto d = decode(buildRouteDelete(roundTrip(kSpec6)));
  EXPECT_EQ(d.header.nlmsg_type, RTM_DELROUTE);
  EXPECT_EQ(d.route.rtm_family, AF_INET6);
  EXPECT_EQ(d.route.rtm_dst_len, 128);
  EXPECT_EQ(d.route.rtm_protocol, kRouteProtocol);
  EXPECT_EQ(d.attributes.find(RTA_GATEWAY), nullptr);
  EXPECT_EQ(d.attributes.requireU32(RTA_OIF, "oif").value(), 3u);
  EXPECT_EQ(d.attributes.find(RTA_PREFSRC)->payload.size(), 16u);
  EXPECT_EQ(d.attributes.requireU32(RTA_PRIORITY, "metric").value(), 50u);
}

TEST(RouteCodecTest, TruncatedSourceIsMalformed) {
  auto message = netlink::MessageBuilder(RTM_NEWROUTE, 0)
                     .header(rtmsg{AF_INET6, 128, 0, 0, RT_TABLE_MAIN, 0, 0, RTN_UNICAST, 0})
                     .putBytes(RTA_PREFSRC, std::vector<std::uint8_t>{1, 2, 3, 4})
                     .finish();
  auto route = parseRoute(view(message));
  ASSERT_FALSE(route);
  EXPECT_EQ(route.error().message, "route attribute RTA_PREFSRC has 4 bytes, expected 16");
}

TEST(RouteCodecTest, TruncatedGatewayIsMalformed) {
  auto message = netlink::MessageBuilder(RTM_NEWROUTE, 0)
                     .header(rtmsg{AF_INET, 32, 0, 0, RT_TABLE_MAIN, 0, 0, RTN_UNICAST, 0})
                     .putBytes(RTA_GATEWAY, std::vector<std::uint8_t>{1, 2, 3})
                     .finish();
  auto route = parseRoute(view(message));
  ASSERT_FALSE(route);
  EXPECT_EQ(route.error().code, Errc::Malformed);
  EXPECT_EQ(route.error().message, "route attribute RTA_GATEWAY has 3 bytes, expected 4");
}

// The local form for IPVS with real servers on loopback: type local, scope host, dev lo, the node
// IP as preferred source, no gateway; still ours (protocol 76) in the main table at metric 50.
TEST(RouteCodecTest, LocalRouteIsDeliveredOnLoWithTheNodeIpAsSource) {
  RouteSpec spec{ip("169.254.0.1"), ip("10.255.0.1")};
  spec.local = true;
  const auto d = decode(buildRouteAdd(spec, false));
  EXPECT_EQ(d.route.rtm_type, RTN_LOCAL);
  EXPECT_EQ(d.route.rtm_scope, RT_SCOPE_HOST);
  EXPECT_EQ(d.route.rtm_protocol, kRouteProtocol);
  EXPECT_EQ(d.route.rtm_table, RT_TABLE_MAIN);
  EXPECT_EQ(d.attributes.find(RTA_GATEWAY), nullptr);
  EXPECT_EQ(bytesOf(d.attributes.find(RTA_PREFSRC)), (std::vector<std::uint8_t>{10, 255, 0, 1}));
  EXPECT_EQ(d.attributes.requireU32(RTA_OIF, "oif").value(), 1u);
  EXPECT_EQ(d.attributes.requireU32(RTA_PRIORITY, "metric").value(), 50u);
  EXPECT_EQ(spec.toString(), "local 169.254.0.1/32 dev lo src 10.255.0.1 metric 50");

  const RouteInfo route = roundTrip(spec);
  EXPECT_EQ(route.type, RTN_LOCAL);
  EXPECT_EQ(route.scope, RT_SCOPE_HOST);
  EXPECT_EQ(route.preferredSource, spec.nodeIp);
  EXPECT_FALSE(route.gateway);
  EXPECT_TRUE(isExactRoute(route, spec));
  EXPECT_EQ(classifyRoute(route, spec.nodeIp), RouteOwner::Ours);
  EXPECT_EQ(route.toString(), "local 169.254.0.1/32 dev #1 src 10.255.0.1 metric 50 proto 76 table 254");

  // The two forms never pass for each other: switching between them is a repair (a replace).
  RouteSpec via = spec;
  via.local = false;
  EXPECT_FALSE(isExactRoute(route, via));
  EXPECT_FALSE(isExactRoute(roundTrip(via), spec));
  RouteSpec otherSource = spec;
  otherSource.nodeIp = ip("10.255.0.2");
  EXPECT_FALSE(isExactRoute(route, otherSource));

  // A delete names the type and scope the kernel holds (a local route only matches scope host).
  const auto del = decode(buildRouteDelete(route));
  EXPECT_EQ(del.route.rtm_type, RTN_LOCAL);
  EXPECT_EQ(del.route.rtm_scope, RT_SCOPE_HOST);
}

TEST(RouteCodecTest, LocalRouteIpv6) {
  RouteSpec spec{ip("fd00::169"), ip("fd00:255::1")};
  spec.local = true;
  const auto d = decode(buildRouteAdd(spec, false));
  EXPECT_EQ(d.route.rtm_family, AF_INET6);
  EXPECT_EQ(d.route.rtm_dst_len, 128);
  EXPECT_EQ(d.route.rtm_type, RTN_LOCAL);
  EXPECT_EQ(d.attributes.find(RTA_PREFSRC)->payload.size(), 16u);
  EXPECT_TRUE(isExactRoute(roundTrip(spec), spec));
}

// Link mode without the dummy link type: the local form with no preferred source, so the VIP is
// its own source as with an address on a link (IPv6 would refuse the VIP as a source on lo).
TEST(RouteCodecTest, LocalVipRouteHasNoSource) {
  for (const char* vip : {"169.254.0.1", "fd00::169"}) {
    SCOPED_TRACE(vip);
    const RouteSpec spec = RouteSpec::localVip(ip(vip));
    EXPECT_TRUE(spec.local);
    EXPECT_FALSE(spec.source());
    const auto d = decode(buildRouteAdd(spec, false));
    EXPECT_EQ(d.route.rtm_type, RTN_LOCAL);
    EXPECT_EQ(d.route.rtm_scope, RT_SCOPE_HOST);
    EXPECT_EQ(d.route.rtm_protocol, kRouteProtocol);
    EXPECT_EQ(d.attributes.find(RTA_PREFSRC), nullptr);
    EXPECT_EQ(d.attributes.find(RTA_GATEWAY), nullptr);
    EXPECT_EQ(d.attributes.requireU32(RTA_OIF, "oif").value(), 1u);

    const RouteInfo route = roundTrip(spec);
    EXPECT_FALSE(route.preferredSource);
    EXPECT_TRUE(isExactRoute(route, spec));
    EXPECT_EQ(classifyRoute(route, std::nullopt), RouteOwner::Ours);
    // The route-mode local form (with the node IP as source) is another route: a repair.
    RouteSpec withSource{ip(vip), ip(std::string(vip) == "169.254.0.1" ? "10.255.0.1" : "fd00:255::1")};
    withSource.local = true;
    EXPECT_FALSE(isExactRoute(route, withSource));
    EXPECT_FALSE(isExactRoute(roundTrip(withSource), spec));
  }
  EXPECT_EQ(RouteSpec::localVip(ip("169.254.0.1")).toString(), "local 169.254.0.1/32 dev lo metric 50");
}

}  // namespace
}  // namespace lvscare::host
