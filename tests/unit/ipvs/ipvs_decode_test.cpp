// The IPVS decoders against well-formed and malformed kernel replies.
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>

#include <cstring>

#include <gtest/gtest.h>

#include "ipvs_codec_test_helpers.hpp"

namespace lvscare::ipvs {
namespace {

using namespace codec_test;

// ---- decoding ----------------------------------------------------------------------------------

// Builds replies the way the kernel's ip_vs_genl_fill_service / fill_dest do.
struct Reply {
  ByteVector bytes;
  MessageView view() const {
    auto messages = netlink::splitMessages(bytes);
    EXPECT_TRUE(messages && messages->size() == 1);
    return messages->front();
  }
  // The same message with its payload cut to `size` bytes (a truncated reply).
  MessageView truncated(std::size_t size) const {
    MessageView v = view();
    v.payload = v.payload.first(std::min(size, v.payload.size()));
    return v;
  }
};

void putAddress(MessageBuilder& b, std::uint16_t type, const IpAddress& address, std::size_t size = 16) {
  b.putBytes(type, std::span<const std::uint8_t>(address.bytes.data(), size));
}

void putStats(MessageBuilder& b, std::uint16_t type, bool wide, std::uint64_t base) {
  const auto nest = b.beginNested(type, false);
  if (wide) {
    b.putU64(IPVS_STATS_ATTR_CONNS, base)
        .putU64(IPVS_STATS_ATTR_INPKTS, base + 1)
        .putU64(IPVS_STATS_ATTR_OUTPKTS, base + 2);
  } else {
    b.putU32(IPVS_STATS_ATTR_CONNS, static_cast<std::uint32_t>(base));
    b.putU32(IPVS_STATS_ATTR_INPKTS, static_cast<std::uint32_t>(base + 1));
    b.putU32(IPVS_STATS_ATTR_OUTPKTS, static_cast<std::uint32_t>(base + 2));
  }
  b.putU64(IPVS_STATS_ATTR_INBYTES, base + 3).putU64(IPVS_STATS_ATTR_OUTBYTES, base + 4);
  b.putU32(IPVS_STATS_ATTR_CPS, 0);
  b.endNested(b.beginNested(IPVS_STATS_ATTR_PAD, false));
  b.endNested(nest);
}

struct ServiceReplyOptions {
  std::uint16_t af = 2;
  std::uint16_t protocol = 6;
  std::string address = "10.0.0.1";
  std::size_t addressSize = 16;
  std::uint16_t port = 6443;
  std::uint32_t fwmark = 0;
  std::string scheduler = "wlc";
  std::uint32_t flags = IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_HASHED;
  std::size_t flagsSize = 8;
  std::uint32_t timeout = 300;
  std::uint32_t netmask = 0x00ffffff;  // 255.255.255.0 as the kernel holds it (network order, read as LE u32)
  bool withNetmask = true;
  bool withScheduler = true;
  bool withStats64 = true;
  std::uint8_t command = IPVS_CMD_NEW_SERVICE;
};

Reply serviceReply(const ServiceReplyOptions& o) {
  MessageBuilder b(kFamily, NLM_F_MULTI);
  b.genlHeader(o.command, 1);
  const auto nest = b.beginNested(IPVS_CMD_ATTR_SERVICE, false);
  b.putU16(IPVS_SVC_ATTR_AF, o.af);
  if (o.fwmark != 0) {
    b.putU32(IPVS_SVC_ATTR_FWMARK, o.fwmark);
  } else {
    b.putU16(IPVS_SVC_ATTR_PROTOCOL, o.protocol);
    putAddress(b, IPVS_SVC_ATTR_ADDR, IpAddress::parse(o.address).value(), o.addressSize);
    b.putBe16(IPVS_SVC_ATTR_PORT, o.port);
  }
  if (o.withScheduler) b.putString(IPVS_SVC_ATTR_SCHED_NAME, o.scheduler);
  const std::uint32_t flags[2] = {o.flags, 0xffffffffu};
  b.putBytes(IPVS_SVC_ATTR_FLAGS,
             std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(flags), o.flagsSize));
  b.putU32(IPVS_SVC_ATTR_TIMEOUT, o.timeout);
  if (o.withNetmask) b.putU32(IPVS_SVC_ATTR_NETMASK, o.netmask);
  putStats(b, IPVS_SVC_ATTR_STATS, false, 1000);
  if (o.withStats64) putStats(b, IPVS_SVC_ATTR_STATS64, true, 5000000000ull);
  b.endNested(nest);
  return Reply{b.finish().bytes};
}

TEST(IpvsDecodeTest, ServiceIpv4WithHashedFlagStrippedAndStats64Preferred) {
  auto entry = decodeService(serviceReply({}).view());
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->server.key, key(Protocol::Tcp, "10.0.0.1:6443"));
  EXPECT_EQ(entry->server.scheduler, "wlc");
  EXPECT_EQ(entry->server.flags, svcflags::kPersistent);  // HASHED (0x2) is the kernel's
  EXPECT_EQ(entry->server.persistenceTimeout, 300u);
  EXPECT_EQ(entry->server.netmaskBits, 24u);
  EXPECT_EQ(entry->fwmark, 0u);
  EXPECT_EQ(entry->counters, (Counters{5000000000ull, 5000000001ull, 5000000002ull, 5000000003ull, 5000000004ull}));
}

TEST(IpvsDecodeTest, ServiceFallsBackTo32BitStatsAndHostNetmaskIsZero) {
  ServiceReplyOptions o;
  o.withStats64 = false;
  o.netmask = 0xffffffff;
  o.flags = IP_VS_SVC_F_HASHED;
  o.timeout = 0;
  auto entry = decodeService(serviceReply(o).view());
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->server.netmaskBits, 0u);
  EXPECT_EQ(entry->server.flags, 0u);
  EXPECT_EQ(entry->counters, (Counters{1000, 1001, 1002, 1003, 1004}));
}

TEST(IpvsDecodeTest, ServiceIpv6AndFwmark) {
  ServiceReplyOptions o;
  o.af = 10;
  o.protocol = 132;
  o.address = "2001:db8::7";
  o.netmask = 64;
  auto entry = decodeService(serviceReply(o).view());
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->server.key, key(Protocol::Sctp, "[2001:db8::7]:6443"));
  EXPECT_EQ(entry->server.netmaskBits, 64u);
  o.netmask = 128;
  EXPECT_EQ(decodeService(serviceReply(o).view())->server.netmaskBits, 0u);

  ServiceReplyOptions mark;
  mark.fwmark = 42;
  entry = decodeService(serviceReply(mark).view());
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->fwmark, 42u);
}

TEST(IpvsDecodeTest, EncodedServiceDecodesBackToItself) {
  for (const char* text : {"10.1.2.3:80", "[fd00::5]:8443"}) {
    VirtualServer vs;
    vs.key = key(Protocol::Udp, text);
    vs.scheduler = "mh";
    vs.flags = svcflags::kPersistent | svcflags::kOnePacket | svcflags::kSchedFlag1;
    vs.persistenceTimeout = 1800;
    vs.netmaskBits = 16;
    auto request = addServiceRequest(kFamily, vs);
    ASSERT_TRUE(request) << request.error().message;
    // A request has the same attributes as a reply: re-label it as the kernel's reply command.
    request->bytes[16] = IPVS_CMD_NEW_SERVICE;
    auto entry = decodeService(Reply{request->bytes}.view());
    ASSERT_TRUE(entry) << entry.error().message;
    EXPECT_EQ(entry->server, vs) << text;
  }
}

TEST(IpvsDecodeTest, MalformedServicesGiveClearErrors) {
  struct Case {
    const char* name;
    ServiceReplyOptions options;
    const char* fragment;
  };
  std::vector<Case> cases;
  auto add = [&](const char* name, auto change, const char* fragment) {
    ServiceReplyOptions o;
    change(o);
    cases.push_back({name, o, fragment});
  };
  // clang-format off
  add("short address", [](auto& o) { o.addressSize = 4; }, "attribute service address has 4 bytes, want 16");
  add("short flags", [](auto& o) { o.flagsSize = 4; }, "attribute service flags has 4 bytes, want 8");
  add("no scheduler", [](auto& o) { o.withScheduler = false; }, "missing attribute service scheduler");
  add("no netmask", [](auto& o) { o.withNetmask = false; }, "missing attribute service netmask");
  add("bad family", [](auto& o) { o.af = 7; }, "service address family 7 is neither AF_INET nor AF_INET6");
  add("bad protocol", [](auto& o) { o.protocol = 1; }, "service protocol 1 is not TCP, UDP or SCTP");
  add("holey mask", [](auto& o) { o.netmask = 0x00ff00ff; }, "IPv4 netmask 255.0.255.0 is not a prefix");
  add("v6 mask 0", [](auto& o) { o.af = 10; o.address = "fd00::1"; o.netmask = 0; }, "IPv6 netmask prefix 0 is not 1..128");
  add("wrong command", [](auto& o) { o.command = IPVS_CMD_NEW_DEST; }, "reply has IPVS command 5, want 1");
  // clang-format on
  for (const auto& c : cases) {
    auto entry = decodeService(serviceReply(c.options).view());
    ASSERT_FALSE(entry) << c.name;
    expectError(entry.error(), Errc::Malformed, c.fragment);
    EXPECT_EQ(entry.error().message.rfind("IPVS service", 0), 0u) << c.name << ": " << entry.error().message;
  }
}

TEST(IpvsDecodeTest, TruncatedServiceAtEveryLengthIsAnErrorNotACrash) {
  const Reply reply = serviceReply({});
  const std::size_t full = reply.view().payload.size();
  for (std::size_t size = 0; size < full; ++size) {
    auto entry = decodeService(reply.truncated(size));
    // Cutting inside an attribute is an error. Cutting exactly at an attribute boundary of the
    // service nest's padding cannot happen (the nest length then overruns): all must fail.
    ASSERT_FALSE(entry) << "decoded a reply cut to " << size << " of " << full << " bytes";
    EXPECT_EQ(entry.error().code, Errc::Malformed);
  }
  // Missing nest, empty message, no genl header.
  MessageBuilder empty(kFamily, 0);
  empty.genlHeader(IPVS_CMD_NEW_SERVICE, 1);
  expectError(decodeService(Reply{empty.finish().bytes}.view()).error(), Errc::Malformed, "missing attribute service");
  expectError(decodeService(reply.truncated(2)).error(), Errc::Malformed, "truncated generic netlink header");
}

struct DestReplyOptions {
  std::string address = "10.0.0.2";
  std::size_t addressSize = 16;
  std::uint16_t port = 8080;
  std::uint32_t forward = IP_VS_CONN_F_TUNNEL;
  std::uint32_t weight = 7;
  std::int32_t addressFamily = 2;  // -1: absent (kernel < 3.18)
  bool withActive = true;
  std::size_t weightSize = 4;
};

Reply destReply(const DestReplyOptions& o) {
  MessageBuilder b(kFamily, NLM_F_MULTI);
  b.genlHeader(IPVS_CMD_NEW_DEST, 1);
  const auto nest = b.beginNested(IPVS_CMD_ATTR_DEST, false);
  putAddress(b, IPVS_DEST_ATTR_ADDR, IpAddress::parse(o.address).value(), o.addressSize);
  b.putBe16(IPVS_DEST_ATTR_PORT, o.port);
  b.putU32(IPVS_DEST_ATTR_FWD_METHOD, o.forward);
  if (o.weightSize == 4) {
    b.putU32(IPVS_DEST_ATTR_WEIGHT, o.weight);
  } else {
    b.putU16(IPVS_DEST_ATTR_WEIGHT, static_cast<std::uint16_t>(o.weight));
  }
  b.putU32(IPVS_DEST_ATTR_U_THRESH, 50).putU32(IPVS_DEST_ATTR_L_THRESH, 5);
  if (o.withActive) b.putU32(IPVS_DEST_ATTR_ACTIVE_CONNS, 3);
  b.putU32(IPVS_DEST_ATTR_INACT_CONNS, 4).putU32(IPVS_DEST_ATTR_PERSIST_CONNS, 1);
  putStats(b, IPVS_DEST_ATTR_STATS, false, 10);
  if (o.addressFamily >= 0) b.putU16(IPVS_DEST_ATTR_ADDR_FAMILY, static_cast<std::uint16_t>(o.addressFamily));
  putStats(b, IPVS_DEST_ATTR_STATS64, true, 20);
  b.putU8(IPVS_DEST_ATTR_TUN_TYPE, 0).putU16(IPVS_DEST_ATTR_TUN_PORT, 0).putU16(IPVS_DEST_ATTR_TUN_FLAGS, 0);
  b.endNested(nest);
  return Reply{b.finish().bytes};
}

TEST(IpvsDecodeTest, DestWithEveryField) {
  auto status = decodeDest(destReply({}).view(), Family::V4);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->server.endpoint, endpoint("10.0.0.2:8080"));
  EXPECT_EQ(status->server.forward, ForwardMethod::Tunnel);
  EXPECT_EQ(status->server.weight, 7u);
  EXPECT_EQ(status->server.upperThreshold, 50u);
  EXPECT_EQ(status->server.lowerThreshold, 5u);
  EXPECT_EQ(status->stats.activeConnections, 3u);
  EXPECT_EQ(status->stats.inactiveConnections, 4u);
  EXPECT_EQ(status->stats.persistentConnections, 1u);
  EXPECT_EQ(status->stats.connections, 20u);  // STATS64 wins over STATS
  EXPECT_EQ(status->stats.inPackets, 21u);
  EXPECT_EQ(status->stats.outPackets, 22u);
  EXPECT_EQ(status->stats.inBytes, 23u);
  EXPECT_EQ(status->stats.outBytes, 24u);
}

TEST(IpvsDecodeTest, DestFamilyFromAttributeOrFromTheService) {
  DestReplyOptions o;
  o.address = "fd00::9";
  o.addressFamily = 10;
  auto status = decodeDest(destReply(o).view(), Family::V4);  // a tunnelled IPv6 dest of an IPv4 service
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->server.endpoint, endpoint("[fd00::9]:8080"));
  o.addressFamily = -1;  // an old kernel: the service's family
  status = decodeDest(destReply(o).view(), Family::V6);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->server.endpoint, endpoint("[fd00::9]:8080"));
  // IPv4 takes the first 4 bytes only, whatever follows.
  o = DestReplyOptions{};
  o.addressFamily = -1;
  status = decodeDest(destReply(o).view(), Family::V4);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->server.endpoint, endpoint("10.0.0.2:8080"));
}

TEST(IpvsDecodeTest, EncodedDestDecodesBackToItself) {
  const RealServer rs = realServer("[fd00::2]:6443", 100, ForwardMethod::Masquerade, 9, 3);
  auto request = addDestRequest(kFamily, key(Protocol::Tcp, "[fd00::1]:6443"), rs);
  ASSERT_TRUE(request) << request.error().message;
  // Reuse the dest nest in a reply that also has the counters the kernel always sends.
  MessageBuilder b(kFamily, 0);
  b.genlHeader(IPVS_CMD_NEW_DEST, 1);
  auto parsed =
      netlink::AttributeTable::parse(Reply{request->bytes}.view().payload.subspan(GENL_HDRLEN), IPVS_CMD_ATTR_MAX);
  ASSERT_TRUE(parsed);
  const auto nest = b.beginNested(IPVS_CMD_ATTR_DEST, false);
  const auto& inner = parsed->find(IPVS_CMD_ATTR_DEST)->payload;
  b.rawHeader(inner);  // the dest attributes as encoded
  b.putU32(IPVS_DEST_ATTR_ACTIVE_CONNS, 0)
      .putU32(IPVS_DEST_ATTR_INACT_CONNS, 0)
      .putU32(IPVS_DEST_ATTR_PERSIST_CONNS, 0);
  b.endNested(nest);
  auto status = decodeDest(Reply{b.finish().bytes}.view(), Family::V6);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->server, rs);
}

TEST(IpvsDecodeTest, MalformedDestsGiveClearErrors) {
  DestReplyOptions o;
  o.addressSize = 4;
  expectError(decodeDest(destReply(o).view(), Family::V4).error(), Errc::Malformed,
              "IPVS destination: attribute destination address has 4 bytes, want 16");
  o = DestReplyOptions{};
  o.weightSize = 2;
  expectError(decodeDest(destReply(o).view(), Family::V4).error(), Errc::Malformed,
              "attribute destination weight has 2 bytes, want 4");
  o = DestReplyOptions{};
  o.withActive = false;
  expectError(decodeDest(destReply(o).view(), Family::V4).error(), Errc::Malformed,
              "missing attribute destination active connections");
  o = DestReplyOptions{};
  o.forward = IP_VS_CONN_F_BYPASS;
  expectError(decodeDest(destReply(o).view(), Family::V4).error(), Errc::Malformed, "forwarding method 4 is unknown");
  o = DestReplyOptions{};
  o.addressFamily = 99;
  expectError(decodeDest(destReply(o).view(), Family::V4).error(), Errc::Malformed, "destination address family 99");
  const Reply reply = destReply({});
  for (std::size_t size = 0; size < reply.view().payload.size(); ++size) {
    auto status = decodeDest(reply.truncated(size), Family::V4);
    ASSERT_FALSE(status) << "decoded a reply cut to " << size << " bytes";
    EXPECT_EQ(status.error().code, Errc::Malformed);
  }
  expectError(decodeDest(serviceReply({}).view(), Family::V4).error(), Errc::Malformed,
              "reply has IPVS command 1, want 5");
}

TEST(IpvsDecodeTest, TimeoutsAndInfo) {
  MessageBuilder config(kFamily, 0);
  config.genlHeader(IPVS_CMD_SET_CONFIG, 1);
  config.putU32(IPVS_CMD_ATTR_TIMEOUT_TCP, 900)
      .putU32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, 120)
      .putU32(IPVS_CMD_ATTR_TIMEOUT_UDP, 300);
  const Reply configReply{config.finish().bytes};
  auto timeouts = decodeTimeouts(configReply.view());
  ASSERT_TRUE(timeouts) << timeouts.error().message;
  EXPECT_EQ(*timeouts, (Timeouts{900, 120, 300}));
  // Cut after the TCP and TCP_FIN attributes: UDP is missing.
  expectError(decodeTimeouts(configReply.truncated(GENL_HDRLEN + 16)).error(), Errc::Malformed,
              "IPVS timeouts: missing attribute udp timeout");

  MessageBuilder info(kFamily, 0);
  info.genlHeader(IPVS_CMD_SET_INFO, 1);
  info.putU32(IPVS_INFO_ATTR_VERSION, 0x010201).putU32(IPVS_INFO_ATTR_CONN_TAB_SIZE, 4096);
  const Reply infoReply{info.finish().bytes};
  auto decoded = decodeInfo(infoReply.view());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->versionString(), "1.2.1");
  EXPECT_EQ(decoded->connectionTableSize, 4096u);
  expectError(decodeInfo(infoReply.truncated(GENL_HDRLEN + 8)).error(), Errc::Malformed,
              "IPVS info: missing attribute connection table size");
  expectError(decodeInfo(configReply.view()).error(), Errc::Malformed, "reply has IPVS command 12, want 14");
}

}  // namespace
}  // namespace lvscare::ipvs
