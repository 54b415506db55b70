// The watch's decisions (kernel_notice.hpp): announcements built as the kernel sends them (with the
// project's message builder, and one NEWGEN as golden bytes), fed to the decoder and the filter.
#include "care/kernel_notice.hpp"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cstring>

#include "netlink/message.hpp"

namespace lvscare::care {
namespace {

using netlink::Message;
using netlink::MessageBuilder;

constexpr std::uint32_t kOurPort = 4242;
constexpr std::uint32_t kOurThread = 777;
constexpr std::uint32_t kNftPort = 99;  // an `nft` process
const char* const kOurTable = "lvscare_tcp_169.254.0.1_80";

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

WatchTargets targets() {
  WatchTargets t;
  t.nftTables.emplace(NFPROTO_IPV4, kOurTable);
  t.nftTables.emplace(NFPROTO_IPV4, "lvscare_masq_169.254.0.1");
  t.vip = ip("169.254.0.1");
  t.nodeIp = ip("10.79.1.1");
  t.linkName = "lvscare";
  t.ownPortIds = {kOurPort};
  t.ownThreadId = kOurThread;
  return t;
}

// The message as received: one buffer, split by the product's own splitter, sender's port stamped.
struct Received {
  std::vector<std::uint8_t> bytes;
  netlink::MessageView view() const {
    auto messages = netlink::splitMessages(netlink::Bytes(bytes.data(), bytes.size()));
    EXPECT_TRUE(messages && messages->size() == 1);
    return messages->front();
  }
};
Received received(Message message, std::uint32_t portId) {
  std::memcpy(message.bytes.data() + offsetof(nlmsghdr, nlmsg_pid), &portId, sizeof portId);
  return Received{std::move(message.bytes)};
}

std::uint16_t nft(std::uint16_t command) { return static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | command); }

Received nftObject(std::uint16_t command, const char* table, std::uint8_t family = NFPROTO_IPV4) {
  MessageBuilder builder(nft(command), 0);
  builder.nfgenHeader(family, 0).putString(1, table);
  if (command == NFT_MSG_DELRULE) builder.putString(NFTA_RULE_CHAIN, "lb").putBe64(NFTA_RULE_HANDLE, 7);
  return received(builder.finish(), kNftPort);
}
Received newGeneration(std::uint32_t processId, std::uint32_t portId = kNftPort) {
  return received(MessageBuilder(nft(NFT_MSG_NEWGEN), 0)
                      .nfgenHeader(NFPROTO_UNSPEC, 0)
                      .putBe32(NFTA_GEN_ID, 12)
                      .putBe32(NFTA_GEN_PROC_PID, processId)
                      .putString(NFTA_GEN_PROC_NAME, "nft")
                      .finish(),
                  portId);
}

Received route(std::uint16_t type, const char* destination, std::uint8_t prefix, std::uint32_t portId,
               std::uint8_t protocol = 76) {
  const IpAddress dst = ip(destination);
  rtmsg header{};
  header.rtm_family = static_cast<std::uint8_t>(dst.af());
  header.rtm_dst_len = prefix;
  header.rtm_table = RT_TABLE_MAIN;
  header.rtm_protocol = protocol;
  return received(MessageBuilder(type, 0)
                      .header(header)
                      .putU32(RTA_TABLE, RT_TABLE_MAIN)
                      .putBytes(RTA_DST, std::span<const std::uint8_t>(dst.bytes.data(), dst.size()))
                      .finish(),
                  portId);
}

Received link(std::uint16_t type, const char* name, unsigned flags, std::uint32_t portId = 0) {
  ifinfomsg header{};
  header.ifi_family = AF_UNSPEC;
  header.ifi_index = 9;
  header.ifi_flags = flags;
  return received(MessageBuilder(type, 0).header(header).putString(IFLA_IFNAME, name).finish(), portId);
}

Received address(std::uint16_t type, const char* text, std::uint32_t portId = 0) {
  const IpAddress a = ip(text);
  ifaddrmsg header{};
  header.ifa_family = static_cast<std::uint8_t>(a.af());
  header.ifa_prefixlen = static_cast<std::uint8_t>(a.prefixBits());
  header.ifa_index = 9;
  return received(MessageBuilder(type, 0)
                      .header(header)
                      .putBytes(IFA_LOCAL, std::span<const std::uint8_t>(a.bytes.data(), a.size()))
                      .finish(),
                  portId);
}

// ---- decoding ----

TEST(KernelNoticeTest, DecodesATableDeletion) {
  auto notice = decodeNftNotice(nftObject(NFT_MSG_DELTABLE, kOurTable).view());
  ASSERT_TRUE(notice) << notice.error().describe();
  const auto* object = std::get_if<NftObjectNotice>(&*notice);
  ASSERT_NE(object, nullptr);
  EXPECT_EQ(object->command, NFT_MSG_DELTABLE);
  EXPECT_EQ(object->family, NFPROTO_IPV4);
  EXPECT_EQ(object->table, kOurTable);
}

TEST(KernelNoticeTest, DecodesTheTableOfARuleDeletion) {
  auto notice = decodeNftNotice(nftObject(NFT_MSG_DELRULE, kOurTable).view());
  ASSERT_TRUE(notice);
  ASSERT_NE(std::get_if<NftObjectNotice>(&*notice), nullptr);
  EXPECT_EQ(std::get<NftObjectNotice>(*notice).table, kOurTable);
}

TEST(KernelNoticeTest, DecodesNewGenerationFromGoldenBytes) {
  // NFT_MSG_NEWGEN as Linux 6.1 sends it after `nft delete table ip x` (nft's pid 0x1234, port
  // 0x63): nlmsghdr, nfgenmsg (family 0, version 0, res_id = generation 12 in network order),
  // NFTA_GEN_ID 12, NFTA_GEN_PROC_PID 0x1234, NFTA_GEN_PROC_NAME "nft".
  const std::vector<std::uint8_t> bytes{
      0x2c, 0x00, 0x00, 0x00,                          // nlmsg_len 44
      0x0f, 0x0a, 0x00, 0x00,                          // type NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWGEN, flags 0
      0x00, 0x00, 0x00, 0x00,                          // seq
      0x63, 0x00, 0x00, 0x00,                          // pid (port id) 0x63
      0x00, 0x00, 0x00, 0x0c,                          // nfgenmsg
      0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x0c,  // NFTA_GEN_ID
      0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x12, 0x34,  // NFTA_GEN_PROC_PID
      0x08, 0x00, 0x03, 0x00, 'n',  'f',  't',  0x00,  // NFTA_GEN_PROC_NAME
  };
  auto messages = netlink::splitMessages(netlink::Bytes(bytes.data(), bytes.size()));
  ASSERT_TRUE(messages);
  ASSERT_EQ(messages->size(), 1u);
  auto notice = decodeNftNotice(messages->front());
  ASSERT_TRUE(notice) << notice.error().describe();
  const auto* generation = std::get_if<NftGenerationNotice>(&*notice);
  ASSERT_NE(generation, nullptr);
  EXPECT_EQ(generation->portId, 0x63u);
  EXPECT_EQ(generation->processId, 0x1234u);
}

TEST(KernelNoticeTest, OtherSubsystemsAndTracesAreOfNoInterest) {
  auto conntrack = received(
      MessageBuilder(static_cast<std::uint16_t>(NFNL_SUBSYS_CTNETLINK << 8), 0).nfgenHeader(NFPROTO_IPV4, 0).finish(),
      0);
  auto notice = decodeNftNotice(conntrack.view());
  ASSERT_TRUE(notice);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(*notice));
}

TEST(KernelNoticeTest, ATruncatedAnnouncementIsMalformed) {
  auto message = nftObject(NFT_MSG_DELTABLE, kOurTable);
  auto view = message.view();
  view.payload = view.payload.first(2);  // shorter than nfgenmsg
  auto notice = decodeNftNotice(view);
  ASSERT_FALSE(notice);
  EXPECT_EQ(notice.error().code, Errc::Malformed);
}

TEST(KernelNoticeTest, DecodesRouteLinkAndAddress) {
  auto r = decodeRtnlNotice(route(RTM_DELROUTE, "169.254.0.1", 32, 5).view());
  ASSERT_TRUE(r);
  const auto& routeNotice = std::get<RouteNotice>(*r);
  EXPECT_TRUE(routeNotice.deleted);
  EXPECT_EQ(routeNotice.destination, ip("169.254.0.1"));
  EXPECT_EQ(routeNotice.prefixLength, 32);
  EXPECT_EQ(routeNotice.protocol, 76);
  EXPECT_EQ(routeNotice.portId, 5u);

  auto l = decodeRtnlNotice(link(RTM_NEWLINK, "lvscare", IFF_UP).view());
  ASSERT_TRUE(l);
  EXPECT_EQ(std::get<LinkNotice>(*l).name, "lvscare");
  EXPECT_FALSE(std::get<LinkNotice>(*l).deleted);

  auto a = decodeRtnlNotice(address(RTM_DELADDR, "fd00::1").view());
  ASSERT_TRUE(a);
  EXPECT_EQ(std::get<AddressNotice>(*a).address, ip("fd00::1"));
  EXPECT_TRUE(std::get<AddressNotice>(*a).deleted);
}

TEST(KernelNoticeTest, ARouteWithAWrongSizedDestinationIsMalformed) {
  rtmsg header{};
  header.rtm_family = AF_INET;
  header.rtm_dst_len = 32;
  const std::uint8_t three[3] = {10, 0, 0};
  auto message = received(MessageBuilder(RTM_DELROUTE, 0).header(header).putBytes(RTA_DST, three).finish(), 0);
  auto notice = decodeRtnlNotice(message.view());
  ASSERT_FALSE(notice);
  EXPECT_EQ(notice.error().code, Errc::Malformed);
}

// ---- deciding: nftables ----

TEST(NoticeFilterTest, SomeoneDeletingOurTableConcernsUsWhenTheirTransactionEnds) {
  NoticeFilter filter(targets());
  EXPECT_FALSE(filter.onNftMessage(nftObject(NFT_MSG_DELTABLE, kOurTable).view()));  // held
  EXPECT_TRUE(filter.onNftMessage(newGeneration(0x1234).view()));
  // The transaction is settled: the next one starts clean.
  EXPECT_FALSE(filter.onNftMessage(newGeneration(0x1234).view()));
}

TEST(NoticeFilterTest, OurOwnTransactionDoesNotWakeAPass) {
  NoticeFilter filter(targets());
  EXPECT_FALSE(filter.onNftMessage(nftObject(NFT_MSG_NEWTABLE, kOurTable).view()));
  EXPECT_FALSE(filter.onNftMessage(nftObject(NFT_MSG_NEWRULE, kOurTable).view()));
  EXPECT_FALSE(filter.onNftMessage(newGeneration(kOurThread, kOurPort).view()));
}

TEST(NoticeFilterTest, ChangesInOtherTablesOrFamiliesDoNotConcernUs) {
  NoticeFilter filter(targets());
  EXPECT_FALSE(filter.onNftMessage(nftObject(NFT_MSG_DELTABLE, "filter").view()));
  EXPECT_FALSE(filter.onNftMessage(nftObject(NFT_MSG_DELTABLE, kOurTable, NFPROTO_INET).view()));
  EXPECT_FALSE(filter.onNftMessage(newGeneration(0x1234).view()));
}

TEST(NoticeFilterTest, AnyObjectOfOurTablesCounts) {
  for (const std::uint16_t command : {NFT_MSG_DELCHAIN, NFT_MSG_DELRULE, NFT_MSG_NEWRULE, NFT_MSG_DELSET,
                                      NFT_MSG_DELSETELEM, NFT_MSG_NEWSETELEM, NFT_MSG_DELOBJ}) {
    NoticeFilter filter(targets());
    EXPECT_FALSE(filter.onNftMessage(nftObject(command, "lvscare_masq_169.254.0.1").view()));
    EXPECT_TRUE(filter.onNftMessage(newGeneration(0x1234).view())) << "command " << command;
  }
}

TEST(NoticeFilterTest, AFlushOfEverythingIsSettledOnce) {
  // nft flush ruleset: one deletion per object of every table, then one NEWGEN.
  NoticeFilter filter(targets());
  int wakes = 0;
  for (const char* table : {"filter", kOurTable, "nat", "lvscare_masq_169.254.0.1"}) {
    wakes += filter.onNftMessage(nftObject(NFT_MSG_DELRULE, table).view());
    wakes += filter.onNftMessage(nftObject(NFT_MSG_DELCHAIN, table).view());
    wakes += filter.onNftMessage(nftObject(NFT_MSG_DELTABLE, table).view());
  }
  EXPECT_EQ(wakes, 0);
  EXPECT_TRUE(filter.onNftMessage(newGeneration(0x1234).view()));
}

TEST(NoticeFilterTest, AnUndecodableAnnouncementCountsAsAChange) {
  NoticeFilter filter(targets());
  auto message = nftObject(NFT_MSG_DELTABLE, kOurTable);
  auto view = message.view();
  view.payload = view.payload.first(2);
  EXPECT_FALSE(filter.onNftMessage(view));
  EXPECT_TRUE(filter.onNftMessage(newGeneration(0x1234).view()));
}

TEST(NoticeFilterTest, AnOverrunDropsWhatWasHeld) {
  NoticeFilter filter(targets());
  EXPECT_FALSE(filter.onNftMessage(nftObject(NFT_MSG_DELTABLE, kOurTable).view()));
  filter.resetNft();  // the caller runs a full pass for the overrun itself
  EXPECT_FALSE(filter.onNftMessage(newGeneration(0x1234).view()));
}

TEST(NoticeFilterTest, WithoutKnowingOurThreadEveryChangeOfOursCounts) {
  // lvscare in a PID namespace of its own: the kernel names the global thread id, which we do not
  // know. Our own write then costs one spare pass (which writes nothing), never a loop.
  WatchTargets t = targets();
  t.ownThreadId.reset();
  NoticeFilter filter(t);
  EXPECT_FALSE(filter.onNftMessage(nftObject(NFT_MSG_NEWTABLE, kOurTable).view()));
  EXPECT_TRUE(filter.onNftMessage(newGeneration(kOurThread, kOurPort).view()));
}

// ---- deciding: rtnetlink ----

TEST(NoticeFilterTest, OurRouteDeletedBySomeoneElseConcernsUs) {
  NoticeFilter filter(targets());
  EXPECT_TRUE(filter.onRtnlMessage(route(RTM_DELROUTE, "169.254.0.1", 32, 77).view()));
  EXPECT_TRUE(filter.onRtnlMessage(route(RTM_DELROUTE, "169.254.0.1", 32, 0).view()));  // the kernel's
  EXPECT_TRUE(filter.onRtnlMessage(route(RTM_NEWROUTE, "169.254.0.1", 32, 77, 4).view()));
}

TEST(NoticeFilterTest, OtherRoutesAndOurOwnWritesDoNot) {
  NoticeFilter filter(targets());
  EXPECT_FALSE(filter.onRtnlMessage(route(RTM_DELROUTE, "10.0.0.0", 8, 77).view()));
  EXPECT_FALSE(filter.onRtnlMessage(route(RTM_DELROUTE, "169.254.0.0", 16, 77).view()));
  EXPECT_FALSE(filter.onRtnlMessage(route(RTM_NEWROUTE, "169.254.0.1", 32, kOurPort).view()));
}

TEST(NoticeFilterTest, LinksThatCanTakeRoutesAlongConcernUs) {
  NoticeFilter filter(targets());
  EXPECT_TRUE(filter.onRtnlMessage(link(RTM_DELLINK, "lvscare", 0).view()));
  EXPECT_TRUE(filter.onRtnlMessage(link(RTM_NEWLINK, "lvscare", IFF_UP).view()));  // ours, any change
  EXPECT_TRUE(filter.onRtnlMessage(link(RTM_DELLINK, "eth0", IFF_UP).view()));     // routes go with it
  EXPECT_TRUE(filter.onRtnlMessage(link(RTM_NEWLINK, "eth0", 0).view()));          // down: likewise
  EXPECT_FALSE(filter.onRtnlMessage(link(RTM_NEWLINK, "eth0", IFF_UP).view()));
  EXPECT_FALSE(filter.onRtnlMessage(link(RTM_NEWLINK, "lvscare", IFF_UP, kOurPort).view()));
}

TEST(NoticeFilterTest, AddressesOfOursOrRemovedConcernUs) {
  NoticeFilter filter(targets());
  EXPECT_TRUE(filter.onRtnlMessage(address(RTM_DELADDR, "169.254.0.1").view()));
  EXPECT_TRUE(filter.onRtnlMessage(address(RTM_NEWADDR, "10.79.1.1").view()));  // the node IP came
  EXPECT_TRUE(filter.onRtnlMessage(address(RTM_DELADDR, "192.168.9.9").view()));
  EXPECT_FALSE(filter.onRtnlMessage(address(RTM_NEWADDR, "192.168.9.9").view()));
  EXPECT_FALSE(filter.onRtnlMessage(address(RTM_NEWADDR, "169.254.0.1", kOurPort).view()));
}

}  // namespace
}  // namespace lvscare::care
