// The ctnetlink codec used to delete a removed backend's connections.
#include <netinet/in.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include <gtest/gtest.h>

#include "nftables/conntrack.hpp"
#include "unit/nftables/conntrack_test_helpers.hpp"

namespace lvscare::nftables {
namespace {

using netlink::MessageBuilder;

using testing::putTuple;

// A dumped entry: client 10.0.0.5:40000 -> VIP 169.254.0.1:80, DNATed to 127.0.0.1:8081.
netlink::Message entryMessage() {
  MessageBuilder builder(static_cast<std::uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW), 0);
  builder.nfgenHeader(AF_INET, 0);
  putTuple(builder, CTA_TUPLE_ORIG, Endpoint::parse("10.0.0.5:40000").value(),
           Endpoint::parse("169.254.0.1:80").value());
  putTuple(builder, CTA_TUPLE_REPLY, Endpoint::parse("127.0.0.1:8081").value(),
           Endpoint::parse("10.0.0.5:40000").value());
  builder.putBe16(CTA_ZONE, 3);
  return builder.finish();
}

TEST(ConntrackCodecTest, ParsesTuplesAndMatchesTheServedBackend) {
  const auto message = entryMessage();
  auto views = netlink::splitMessages(message.bytes);
  ASSERT_TRUE(views);
  auto entry = parseConntrackEntry(views->front());
  ASSERT_TRUE(entry) << entry.error().describe();
  EXPECT_EQ(entry->original.destination, Endpoint::parse("169.254.0.1:80").value());
  EXPECT_EQ(entry->reply.source, Endpoint::parse("127.0.0.1:8081").value());
  EXPECT_EQ(entry->zone, 3);
  const ServiceKey vip{Protocol::Tcp, Endpoint::parse("169.254.0.1:80").value()};
  const std::vector<Endpoint> gone{Endpoint::parse("127.0.0.1:8081").value()};
  const std::vector<Endpoint> other{Endpoint::parse("127.0.0.1:8082").value()};
  EXPECT_TRUE(servedBy(*entry, vip, gone));
  EXPECT_FALSE(servedBy(*entry, vip, other));
  EXPECT_FALSE(servedBy(*entry, ServiceKey{Protocol::Udp, vip.endpoint}, gone));

  // The delete request carries the original tuple byte for byte, and the zone.
  const auto request = conntrackDeleteRequest(Family::V4, *entry);
  EXPECT_EQ(request.type(), (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE);
  auto sent = netlink::splitMessages(request.bytes);
  ASSERT_TRUE(sent);
  auto echoed = parseConntrackEntry(sent->front());
  EXPECT_FALSE(echoed);  // no reply tuple in a delete request...
  auto table = netlink::AttributeTable::parse(netlink::skipHeader(sent->front(), 4, "nfgenmsg").value(), CTA_MAX);
  ASSERT_TRUE(table);
  const auto* original = table->find(CTA_TUPLE_ORIG);
  ASSERT_NE(original, nullptr);
  EXPECT_TRUE(std::ranges::equal(original->payload, entry->originalTuple));  // ...but the original, exactly
  EXPECT_EQ(table->requireBe16(CTA_ZONE, "zone").value(), 3);
}

TEST(ConntrackCodecTest, TruncatedEntriesAreMalformed) {
  MessageBuilder builder(static_cast<std::uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW), 0);
  builder.nfgenHeader(AF_INET, 0);
  putTuple(builder, CTA_TUPLE_ORIG, Endpoint::parse("10.0.0.5:40000").value(),
           Endpoint::parse("169.254.0.1:80").value());
  const auto message = builder.finish();
  auto views = netlink::splitMessages(message.bytes);
  auto entry = parseConntrackEntry(views->front());
  ASSERT_FALSE(entry);
  EXPECT_EQ(entry.error().code, Errc::Malformed);
  EXPECT_EQ(entry.error().message, "missing attribute conntrack reply tuple");
}

}  // namespace
}  // namespace lvscare::nftables
