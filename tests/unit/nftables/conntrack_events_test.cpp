// The ctnetlink event codec behind passive detection: NEW / UPDATE / DESTROY, the connection id,
// status and TCP state, and refusal of what is not a conntrack event.
#include "nftables/conntrack_events.hpp"
#include "unit/nftables/conntrack_test_helpers.hpp"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

namespace lvscare::nftables {
namespace {

using netlink::MessageBuilder;

Endpoint ep(const char* text) { return Endpoint::parse(text).value(); }

using testing::putTuple;

// Client 10.0.0.5:40000 -> VIP 169.254.0.1:80, DNATed to 10.78.1.2:80, as the kernel sends it.
netlink::Message eventMessage(std::uint16_t command, std::uint16_t flags, std::optional<std::uint8_t> tcpState) {
  MessageBuilder builder(static_cast<std::uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | command), flags);
  builder.nfgenHeader(AF_INET, 0);
  putTuple(builder, CTA_TUPLE_ORIG, ep("10.0.0.5:40000"), ep("169.254.0.1:80"));
  putTuple(builder, CTA_TUPLE_REPLY, ep("10.78.1.2:80"), ep("10.0.0.5:40000"));
  builder.putBe32(CTA_STATUS, 0x188);  // CONFIRMED | DST_NAT | DST_NAT_DONE
  if (tcpState) {
    const auto info = builder.beginNested(CTA_PROTOINFO);
    const auto tcp = builder.beginNested(CTA_PROTOINFO_TCP);
    builder.putU8(CTA_PROTOINFO_TCP_STATE, *tcpState);
    builder.endNested(tcp);
    builder.endNested(info);
  }
  builder.putBe32(CTA_ID, 0xdeadbeef);
  return builder.finish();
}

Result<ConntrackEvent> parse(const netlink::Message& message) {
  auto views = netlink::splitMessages(message.bytes);
  if (!views) return passOn(views);
  return parseConntrackEvent(views->front());
}

TEST(ConntrackEventCodecTest, TellsNewFromUpdateFromDestroy) {
  auto created = parse(eventMessage(IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL, 1));
  ASSERT_TRUE(created) << created.error().describe();
  EXPECT_EQ(created->type, ConntrackEventType::New);
  EXPECT_EQ(created->tcpState, TcpState::SynSent);
  EXPECT_EQ(created->id, 0xdeadbeefu);
  EXPECT_EQ(created->status, 0x188u);
  EXPECT_EQ(created->original.destination, ep("169.254.0.1:80"));
  EXPECT_EQ(created->reply.source, ep("10.78.1.2:80"));

  auto updated = parse(eventMessage(IPCTNL_MSG_CT_NEW, 0, 8));
  ASSERT_TRUE(updated) << updated.error().describe();
  EXPECT_EQ(updated->type, ConntrackEventType::Update);
  EXPECT_EQ(updated->tcpState, TcpState::Close);

  auto destroyed = parse(eventMessage(IPCTNL_MSG_CT_DELETE, 0, std::nullopt));
  ASSERT_TRUE(destroyed) << destroyed.error().describe();
  EXPECT_EQ(destroyed->type, ConntrackEventType::Destroy);
  EXPECT_FALSE(destroyed->tcpState);
}

TEST(ConntrackEventCodecTest, ThePreFilterKeepsEventsThatCarryTheAddress) {
  const netlink::Message message = eventMessage(IPCTNL_MSG_CT_NEW, NLM_F_CREATE, 1);
  const auto views = netlink::splitMessages(message.bytes);
  ASSERT_TRUE(views);
  const netlink::Bytes payload = views->front().payload;
  EXPECT_TRUE(mayConcern(payload, IpAddress::v4(169, 254, 0, 1)));  // the VIP
  EXPECT_TRUE(mayConcern(payload, IpAddress::v4(10, 78, 1, 2)));    // the real server: a superset is fine
  EXPECT_FALSE(mayConcern(payload, IpAddress::v4(169, 254, 0, 2)));
  EXPECT_FALSE(mayConcern(payload, IpAddress::parse("fd00::1").value()));
}

TEST(ConntrackEventCodecTest, RefusesWhatIsNotAConntrackEvent) {
  // An expectation message, another subsystem, an unknown TCP state, a missing id.
  EXPECT_FALSE(parse(eventMessage(IPCTNL_MSG_CT_GET, 0, 1)));
  MessageBuilder other(static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | 0), 0);
  other.nfgenHeader(AF_INET, 0);
  EXPECT_FALSE(parse(other.finish()));
  auto unknown = parse(eventMessage(IPCTNL_MSG_CT_NEW, 0, 42));
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("tcp state 42"), std::string::npos) << unknown.error().message;
  MessageBuilder noId(static_cast<std::uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW), 0);
  noId.nfgenHeader(AF_INET, 0);
  putTuple(noId, CTA_TUPLE_ORIG, ep("10.0.0.5:40000"), ep("169.254.0.1:80"));
  putTuple(noId, CTA_TUPLE_REPLY, ep("10.78.1.2:80"), ep("10.0.0.5:40000"));
  EXPECT_FALSE(parse(noId.finish()));
}

}  // namespace
}  // namespace lvscare::nftables
