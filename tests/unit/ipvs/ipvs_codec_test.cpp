// The IPVS codec against the UAPI layout (linux/ip_vs.h), byte for byte, and its validation.
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>

#include <cstring>

#include <gtest/gtest.h>

#include "ipvs_codec_test_helpers.hpp"

namespace lvscare::ipvs {
namespace {

using namespace codec_test;

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

TEST(IpvsEncodeTest, ReadQueriesAskForTheServiceThenDumpItsDests) {
  const ServiceKey v4 = key(Protocol::Tcp, "10.0.0.1:80");
  const ServiceKey v6 = key(Protocol::Udp, "[fd00::1]:53");
  for (const ServiceKey& k : {v4, v6}) {
    const auto queries = readServiceQueries(kFamily, k);
    // The same bytes as the single requests: the GET by its key, then the dump of its dests.
    EXPECT_EQ(queries[kReadService].message.bytes, getServiceRequest(kFamily, k).bytes) << k.toString();
    EXPECT_FALSE(queries[kReadService].dump);
    EXPECT_EQ(queries[kReadDests].message.bytes, dumpDestsRequest(kFamily, k).bytes) << k.toString();
    EXPECT_TRUE(queries[kReadDests].dump);
    for (const auto& query : queries) {
      EXPECT_EQ(query.message.type(), kFamily);
      EXPECT_EQ(query.message.flags(), 0) << "the socket sets the flags (no ACK for a query)";
    }
  }
  EXPECT_NE(readServiceQueries(kFamily, v4)[kReadService].message.bytes,
            readServiceQueries(kFamily, key(Protocol::Tcp, "10.0.0.1:81"))[kReadService].message.bytes);
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

}  // namespace
}  // namespace lvscare::ipvs
