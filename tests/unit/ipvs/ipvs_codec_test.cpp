// The IPVS codec against the UAPI layout (linux/ip_vs.h), byte for byte, and its decoders against
// well-formed and malformed kernel replies.
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>

#include <cstring>

#include <gtest/gtest.h>

#include "ipvs/ipvs_codec.hpp"
#include "netlink/message.hpp"
#include "netlink/reply.hpp"

namespace lvscare::ipvs {
namespace {

using ByteVector = std::vector<std::uint8_t>;
using netlink::MessageBuilder;
using netlink::MessageView;

constexpr std::uint16_t kFamily = 0x1c;

Endpoint endpoint(std::string_view text) { return Endpoint::parse(text).value(); }
ServiceKey key(Protocol protocol, std::string_view text) { return ServiceKey{protocol, endpoint(text)}; }
RealServer realServer(std::string_view text, std::uint32_t weight, ForwardMethod forward, std::uint32_t upper,
                      std::uint32_t lower) {
  return RealServer{endpoint(text), weight, forward, upper, lower};
}

void expectError(const Error& error, Errc code, std::string_view fragment) {
  EXPECT_EQ(error.code, code) << error.message;
  EXPECT_NE(error.message.find(fragment), std::string::npos) << "message: " << error.message << "\nwant: " << fragment;
}

// ---- encoding, byte for byte -------------------------------------------------------------------

TEST(IpvsEncodeTest, AddServiceIpv4MatchesUapiLayout) {
  VirtualServer vs;
  vs.key = key(Protocol::Tcp, "10.0.0.1:6443");
  vs.scheduler = "wrr";
  vs.flags = svcflags::kPersistent;
  vs.persistenceTimeout = 300;
  vs.netmaskBits = 24;
  auto message = addServiceRequest(kFamily, vs);
  ASSERT_TRUE(message) << message.error().message;
  // clang-format off
  const ByteVector expected{
      // nlmsghdr: length 104, type = IPVS family id, flags/seq/pid set later by the socket
      104, 0, 0, 0, 0x1c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      // genlmsghdr: IPVS_CMD_NEW_SERVICE (1), IPVS_GENL_VERSION (1)
      1, 1, 0, 0,
      // IPVS_CMD_ATTR_SERVICE (1), not marked NLA_F_NESTED, 84 bytes
      84, 0, 1, 0,
      // IPVS_SVC_ATTR_AF (1): u16 AF_INET (2)
      6, 0, 1, 0, 2, 0, 0, 0,
      // IPVS_SVC_ATTR_PROTOCOL (2): u16 IPPROTO_TCP (6)
      6, 0, 2, 0, 6, 0, 0, 0,
      // IPVS_SVC_ATTR_ADDR (3): 16 bytes even for IPv4
      20, 0, 3, 0, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      // IPVS_SVC_ATTR_PORT (4): be16 6443 = 0x192b
      6, 0, 4, 0, 0x19, 0x2b, 0, 0,
      // IPVS_SVC_ATTR_SCHED_NAME (6): "wrr\0"
      8, 0, 6, 0, 'w', 'r', 'r', 0,
      // IPVS_SVC_ATTR_FLAGS (7): struct ip_vs_flags {flags = PERSISTENT, mask = ~0}
      12, 0, 7, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
      // IPVS_SVC_ATTR_TIMEOUT (8): u32 300
      8, 0, 8, 0, 0x2c, 0x01, 0, 0,
      // IPVS_SVC_ATTR_NETMASK (9): 255.255.255.0 in network order
      8, 0, 9, 0, 0xff, 0xff, 0xff, 0x00};
  // clang-format on
  EXPECT_EQ(message->bytes, expected);
}

TEST(IpvsEncodeTest, AddServiceIpv6SendsPrefixLengthNetmask) {
  VirtualServer vs;
  vs.key = key(Protocol::Udp, "[fd00::1]:53");
  vs.scheduler = "rr";
  auto message = addServiceRequest(kFamily, vs);
  ASSERT_TRUE(message) << message.error().message;
  // clang-format off
  const ByteVector expected{
      104, 0, 0, 0, 0x1c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  //
      1, 1, 0, 0,                                           // NEW_SERVICE
      84, 0, 1, 0,                                          // service nest
      6, 0, 1, 0, 10, 0, 0, 0,                              // AF_INET6 (10)
      6, 0, 2, 0, 17, 0, 0, 0,                              // IPPROTO_UDP (17)
      20, 0, 3, 0, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
      6, 0, 4, 0, 0, 53, 0, 0,                              // port 53 big-endian
      7, 0, 6, 0, 'r', 'r', 0, 0,                           // "rr\0" + pad
      12, 0, 7, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,      // no flags, mask ~0
      8, 0, 8, 0, 0, 0, 0, 0,                               // timeout 0
      8, 0, 9, 0, 128, 0, 0, 0};                            // IPv6 netmask: prefix 128, host order
  // clang-format on
  EXPECT_EQ(message->bytes, expected);
}

TEST(IpvsEncodeTest, AddDestIpv4MatchesUapiLayout) {
  const RealServer rs = realServer("10.0.0.2:6443", 5, ForwardMethod::DirectRoute, 100, 10);
  auto message = addDestRequest(kFamily, key(Protocol::Tcp, "10.0.0.1:443"), rs);
  ASSERT_TRUE(message) << message.error().message;
  // clang-format off
  const ByteVector expected{
      140, 0, 0, 0, 0x1c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  //
      5, 1, 0, 0,                                           // IPVS_CMD_NEW_DEST (5)
      // the service it belongs to: AF, PROTOCOL, ADDR, PORT
      48, 0, 1, 0,                                          //
      6, 0, 1, 0, 2, 0, 0, 0,                               //
      6, 0, 2, 0, 6, 0, 0, 0,                               //
      20, 0, 3, 0, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      6, 0, 4, 0, 0x01, 0xbb, 0, 0,                         // 443
      // IPVS_CMD_ATTR_DEST (2), 72 bytes
      72, 0, 2, 0,                                          //
      20, 0, 1, 0, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // IPVS_DEST_ATTR_ADDR
      6, 0, 2, 0, 0x19, 0x2b, 0, 0,                         // IPVS_DEST_ATTR_PORT 6443
      8, 0, 3, 0, 3, 0, 0, 0,                               // FWD_METHOD = IP_VS_CONN_F_DROUTE
      8, 0, 4, 0, 5, 0, 0, 0,                               // WEIGHT 5
      8, 0, 5, 0, 100, 0, 0, 0,                             // U_THRESH
      8, 0, 6, 0, 10, 0, 0, 0,                              // L_THRESH
      6, 0, 11, 0, 2, 0, 0, 0};                             // ADDR_FAMILY AF_INET
  // clang-format on
  EXPECT_EQ(message->bytes, expected);
}

TEST(IpvsEncodeTest, DeleteDestIpv6CarriesOnlyTheIdentity) {
  const auto message =
      deleteDestRequest(kFamily, key(Protocol::Sctp, "[2001:db8::1]:80"), endpoint("[2001:db8::2]:8080"));
  // clang-format off
  const ByteVector expected{
      108, 0, 0, 0, 0x1c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  //
      7, 1, 0, 0,                                           // IPVS_CMD_DEL_DEST (7)
      48, 0, 1, 0,                                          //
      6, 0, 1, 0, 10, 0, 0, 0,                              // AF_INET6
      6, 0, 2, 0, 132, 0, 0, 0,                             // IPPROTO_SCTP (132)
      20, 0, 3, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
      6, 0, 4, 0, 0, 80, 0, 0,                              //
      40, 0, 2, 0,                                          //
      20, 0, 1, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
      6, 0, 2, 0, 0x1f, 0x90, 0, 0,                         // 8080
      6, 0, 11, 0, 10, 0, 0, 0};                            // ADDR_FAMILY AF_INET6
  // clang-format on
  EXPECT_EQ(message.bytes, expected);
}

TEST(IpvsEncodeTest, CommandsWithoutAttributesAreBareGenlHeaders) {
  const std::pair<netlink::Message, std::uint8_t> cases[] = {
      {flushRequest(kFamily), IPVS_CMD_FLUSH},
      {getConfigRequest(kFamily), IPVS_CMD_GET_CONFIG},
      {getInfoRequest(kFamily), IPVS_CMD_GET_INFO},
      {dumpServicesRequest(kFamily), IPVS_CMD_GET_SERVICE},
  };
  for (const auto& [message, command] : cases) {
    const ByteVector expected{20, 0, 0, 0, 0x1c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, command, 1, 0, 0};
    EXPECT_EQ(message.bytes, expected) << "command " << int{command};
  }
}

TEST(IpvsEncodeTest, UpdateAndGetAndDumpDestsUseTheirCommands) {
  VirtualServer vs;
  vs.key = key(Protocol::Tcp, "10.0.0.1:80");
  EXPECT_EQ(setServiceRequest(kFamily, vs)->bytes[16], IPVS_CMD_SET_SERVICE);
  EXPECT_EQ(deleteServiceRequest(kFamily, vs.key).bytes[16], IPVS_CMD_DEL_SERVICE);
  EXPECT_EQ(getServiceRequest(kFamily, vs.key).bytes[16], IPVS_CMD_GET_SERVICE);
  EXPECT_EQ(dumpDestsRequest(kFamily, vs.key).bytes[16], IPVS_CMD_GET_DEST);
  RealServer rs;
  rs.endpoint = endpoint("10.0.0.2:80");
  EXPECT_EQ(setDestRequest(kFamily, vs.key, rs)->bytes[16], IPVS_CMD_SET_DEST);
  // The identifying part of a service is the same in every request.
  const auto get = getServiceRequest(kFamily, vs.key).bytes;
  const auto del = deleteServiceRequest(kFamily, vs.key).bytes;
  EXPECT_TRUE(std::equal(get.begin() + 17, get.end(), del.begin() + 17));
}

TEST(IpvsEncodeTest, EncodeOpDispatchesEveryKind) {
  VirtualServer vs;
  vs.key = key(Protocol::Tcp, "10.0.0.1:80");
  RealServer rs;
  rs.endpoint = endpoint("10.0.0.2:80");
  const std::pair<DatapathOp, std::uint8_t> cases[] = {
      {DatapathOp::addVirtualServer(vs), IPVS_CMD_NEW_SERVICE},
      {DatapathOp::updateVirtualServer(vs), IPVS_CMD_SET_SERVICE},
      {DatapathOp::deleteVirtualServer(vs.key), IPVS_CMD_DEL_SERVICE},
      {DatapathOp::addRealServer(vs.key, rs), IPVS_CMD_NEW_DEST},
      {DatapathOp::updateRealServer(vs.key, rs), IPVS_CMD_SET_DEST},
      {DatapathOp::deleteRealServer(vs.key, rs.endpoint), IPVS_CMD_DEL_DEST},
  };
  for (const auto& [op, command] : cases) {
    auto message = encodeOp(kFamily, op);
    ASSERT_TRUE(message) << op.toString() << ": " << message.error().message;
    EXPECT_EQ(message->bytes[16], command) << op.toString();
  }
}

// ---- validation --------------------------------------------------------------------------------

TEST(IpvsValidateTest, SchedulerNames) {
  EXPECT_TRUE(validateScheduler("rr"));
  EXPECT_TRUE(validateScheduler("mh"));
  EXPECT_TRUE(validateScheduler("my_sched2"));  // out of tree, but sane
  EXPECT_TRUE(isKnownScheduler("lblcr"));
  EXPECT_FALSE(isKnownScheduler("my_sched2"));
  expectError(validateScheduler("").error(), Errc::InvalidArgument, "scheduler name is empty");
  expectError(validateScheduler("abcdefghijklmnop").error(), Errc::InvalidArgument, "longer than 15 characters");
  EXPECT_TRUE(validateScheduler("abcdefghijklmno"));  // 15 + NUL = IP_VS_SCHEDNAME_MAXLEN
  expectError(validateScheduler("../rr").error(), Errc::InvalidArgument, "lower-case letters, digits and '_'");
  expectError(validateScheduler("RR").error(), Errc::InvalidArgument, "'RR'");
}

TEST(IpvsValidateTest, VirtualServerRules) {
  VirtualServer vs;
  vs.key = key(Protocol::Tcp, "10.0.0.1:80");
  EXPECT_TRUE(validateVirtualServer(vs));

  auto bad = vs;
  bad.scheduler = "";
  expectError(validateVirtualServer(bad).error(), Errc::InvalidArgument,
              "virtual server TCP 10.0.0.1:80: scheduler name is empty");
  bad = vs;
  bad.flags = 0x2;
  expectError(validateVirtualServer(bad).error(), Errc::InvalidArgument, "flags 0x2");
  bad = vs;
  bad.flags = svcflags::kPersistent;
  expectError(validateVirtualServer(bad).error(), Errc::InvalidArgument,
              "persistence timeout must be 1..2678400 s, got 0");
  bad.persistenceTimeout = kMaxPersistenceTimeout + 1;
  expectError(validateVirtualServer(bad).error(), Errc::InvalidArgument, "persistence timeout");
  bad = vs;
  bad.persistenceTimeout = 60;
  expectError(validateVirtualServer(bad).error(), Errc::InvalidArgument, "needs the persistent flag");
  bad = vs;
  bad.netmaskBits = 24;
  expectError(validateVirtualServer(bad).error(), Errc::InvalidArgument, "netmask needs the persistent flag");
  bad.flags = svcflags::kPersistent;
  bad.persistenceTimeout = 60;
  EXPECT_TRUE(validateVirtualServer(bad));
  bad.netmaskBits = 33;
  expectError(validateVirtualServer(bad).error(), Errc::InvalidArgument, "/33 is longer than the address (/32)");
  bad = vs;
  bad.flags = svcflags::kOnePacket;
  expectError(validateVirtualServer(bad).error(), Errc::InvalidArgument, "one-packet scheduling is for UDP only");
  bad.key.protocol = Protocol::Udp;
  EXPECT_TRUE(validateVirtualServer(bad));
  bad = vs;
  bad.key.endpoint.port = 0;
  expectError(validateVirtualServer(bad).error(), Errc::InvalidArgument,
              "port 0 (all ports) needs the persistent flag");
  // Encoding refuses what validation refuses.
  bad = vs;
  bad.scheduler = "no such!";
  EXPECT_FALSE(addServiceRequest(kFamily, bad));
  EXPECT_FALSE(setServiceRequest(kFamily, bad));
  EXPECT_FALSE(encodeOp(kFamily, DatapathOp::addVirtualServer(bad)));
}

TEST(IpvsValidateTest, RealServerRules) {
  const auto vs = key(Protocol::Tcp, "10.0.0.1:80");
  RealServer rs;
  rs.endpoint = endpoint("10.0.0.2:80");
  EXPECT_TRUE(validateRealServer(vs, rs));
  auto bad = rs;
  bad.lowerThreshold = 5;
  expectError(validateRealServer(vs, bad).error(), Errc::InvalidArgument,
              "real server 10.0.0.2:80 of TCP 10.0.0.1:80: lower threshold 5 is above upper threshold 0");
  bad.upperThreshold = 5;
  EXPECT_TRUE(validateRealServer(vs, bad));
  bad = rs;
  bad.weight = 0x80000000u;
  expectError(validateRealServer(vs, bad).error(), Errc::InvalidArgument, "weight 2147483648 is above 2147483647");
  bad = rs;
  bad.endpoint = endpoint("[fd00::2]:80");
  expectError(validateRealServer(vs, bad).error(), Errc::InvalidArgument,
              "only tunnel forwarding can mix IPv4 and IPv6");
  bad.forward = ForwardMethod::Tunnel;
  EXPECT_TRUE(validateRealServer(vs, bad));
  bad = rs;
  bad.forward = static_cast<ForwardMethod>(7);
  expectError(validateRealServer(vs, bad).error(), Errc::InvalidArgument, "unknown forwarding method");
  bad = rs;
  bad.weight = 0x80000000u;
  EXPECT_FALSE(addDestRequest(kFamily, vs, bad));
  EXPECT_FALSE(setDestRequest(kFamily, vs, bad));
}

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
