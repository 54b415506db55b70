// The netlink socket against this machine's real kernel. Unprivileged parts need nothing; the
// nfnetlink batch runs as root inside a private network namespace made by the test.
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <array>

#include <gtest/gtest.h>

#include "netlink/genl.hpp"
#include "netlink/socket.hpp"
#include "support/netns.hpp"

namespace lvscare::netlink {
namespace {

Message getLink(int index) {
  ifinfomsg header{};
  header.ifi_family = AF_UNSPEC;
  header.ifi_index = index;
  return MessageBuilder(RTM_GETLINK, 0).header(header).finish();
}

TEST(NetlinkSocketTest, ResolvesTheControllerFamily) {
  auto socket = Socket::open(NETLINK_GENERIC);
  ASSERT_TRUE(socket) << socket.error().describe();
  auto family = resolveFamily(*socket, "nlctrl");
  ASSERT_TRUE(family) << family.error().describe();
  EXPECT_EQ(family->id, GENL_ID_CTRL);
}

TEST(NetlinkSocketTest, MissingFamilyIsNotFoundWithAClearMessage) {
  auto socket = Socket::open(NETLINK_GENERIC);
  ASSERT_TRUE(socket);
  auto family = resolveFamily(*socket, "NO_SUCH_FAM");
  ASSERT_FALSE(family);
  EXPECT_EQ(family.error().code, Errc::NotFound);
  EXPECT_EQ(family.error().message, "the kernel has no generic netlink family NO_SUCH_FAM");
}

TEST(NetlinkSocketTest, KernelExtendedAckTextReachesTheError) {
  auto socket = Socket::open(NETLINK_GENERIC);
  ASSERT_TRUE(socket);
  // Family names are at most 15 characters: the kernel's policy check rejects this one and says so.
  auto family = resolveFamily(*socket, "NAME_TOO_LONG_FOR_GENL");
  ASSERT_FALSE(family);
  EXPECT_EQ(family.error().code, Errc::InvalidArgument);
  EXPECT_NE(family.error().message.find("policy"), std::string::npos) << family.error().message;
}

TEST(NetlinkSocketTest, RequestDeliversReplyThenAck) {
  auto socket = Socket::open(NETLINK_ROUTE);
  ASSERT_TRUE(socket);
  int replies = 0;
  auto status =
      socket->request(getLink(static_cast<int>(if_nametoindex("lo"))), [&](const MessageView& reply) -> Result<void> {
        EXPECT_EQ(reply.type, RTM_NEWLINK);
        ++replies;
        return {};
      });
  ASSERT_TRUE(status) << status.error().describe();
  EXPECT_EQ(replies, 1);
}

TEST(NetlinkSocketTest, PipelineReturnsOneResultPerRequestInOrder) {
  auto socket = Socket::open(NETLINK_ROUTE);
  ASSERT_TRUE(socket);
  socket->setPipelineWindow(64);  // several windows, several send chunks
  const int lo = static_cast<int>(if_nametoindex("lo"));
  std::vector<Message> messages;
  for (int i = 0; i < 1000; ++i) messages.push_back(getLink(i % 7 == 3 ? 0x7ffffff0 : lo));
  auto results = socket->pipeline(messages);
  ASSERT_EQ(results.size(), messages.size());
  for (int i = 0; i < 1000; ++i) {
    if (i % 7 == 3) {
      ASSERT_FALSE(results[i]) << "request " << i;
      EXPECT_EQ(results[i].error().code, Errc::NotFound) << results[i].error().describe();
    } else {
      EXPECT_TRUE(results[i]) << "request " << i << ": " << results[i].error().describe();
    }
  }
}

TEST(NetlinkSocketTest, DumpCollectsEveryMessage) {
  auto socket = Socket::open(NETLINK_ROUTE);
  ASSERT_TRUE(socket);
  ifinfomsg header{};
  auto dump = socket->dump(MessageBuilder(RTM_GETLINK, 0).header(header).finish());
  ASSERT_TRUE(dump) << dump.error().describe();
  ASSERT_FALSE(dump->messages.empty());  // at least lo
  for (const auto& message : dump->messages) EXPECT_EQ(message.type, RTM_NEWLINK);
}

TEST(NetlinkSocketTest, QueryAnswersAGetAndADumpFromOneDatagram) {
  auto socket = Socket::open(NETLINK_ROUTE);
  ASSERT_TRUE(socket);
  const int lo = static_cast<int>(if_nametoindex("lo"));
  ifinfomsg all{};
  std::array<Query, 3> queries{Query{getLink(lo), false}, Query{getLink(0x7ffffff0), false},
                               Query{MessageBuilder(RTM_GETLINK, 0).header(all).finish(), true}};
  // Twice over the same queries: they are stamped afresh, and the first left nothing behind.
  for (int round = 0; round < 2; ++round) {
    std::array<int, 3> replies{};
    auto answers = socket->query(queries, [&](std::size_t index, const MessageView& reply) -> Result<void> {
      EXPECT_EQ(reply.type, RTM_NEWLINK);
      ++replies.at(index);
      return {};
    });
    ASSERT_TRUE(answers) << answers.error().describe();
    ASSERT_EQ(answers->results.size(), 3u);
    EXPECT_TRUE(answers->results[0]) << answers->results[0].error().describe();
    ASSERT_FALSE(answers->results[1]);  // no such link: its error, not an ACK
    EXPECT_EQ(answers->results[1].error().code, Errc::NotFound) << answers->results[1].error().describe();
    EXPECT_TRUE(answers->results[2]) << answers->results[2].error().describe();
    EXPECT_EQ(replies[0], 1);
    EXPECT_EQ(replies[1], 0);
    EXPECT_GE(replies[2], 1);  // at least lo
  }
  // Nothing stale is left: a plain request right after gets its own answer.
  int replies = 0;
  auto status = socket->request(getLink(lo), [&](const MessageView&) -> Result<void> {
    ++replies;
    return {};
  });
  ASSERT_TRUE(status) << status.error().describe();
  EXPECT_EQ(replies, 1);
}

TEST(NetlinkSocketTest, QueryReadsEveryAnswerEvenWhenTheHandlerRefusesOne) {
  auto socket = Socket::open(NETLINK_ROUTE);
  ASSERT_TRUE(socket);
  ifinfomsg all{};
  std::array<Query, 1> queries{Query{MessageBuilder(RTM_GETLINK, 0).header(all).finish(), true}};
  auto answers = socket->query(
      queries, [](std::size_t, const MessageView&) -> Result<void> { return fail(Errc::Malformed, "refused"); });
  ASSERT_FALSE(answers);
  EXPECT_EQ(answers.error().message, "refused");
  auto again = socket->dump(MessageBuilder(RTM_GETLINK, 0).header(all).finish());
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_FALSE(again->messages.empty());
  std::array<Query, Socket::kMaxQueries + 1> tooMany{};
  auto refused = socket->query(tooMany, [](std::size_t, const MessageView&) -> Result<void> { return {}; });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::InvalidArgument);
}

Message newTable(std::uint16_t type, const char* name, std::uint16_t flags = NLM_F_CREATE) {
  MessageBuilder builder(static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | type), flags);
  builder.nfgenHeader(NFPROTO_IPV4, 0).putString(NFTA_TABLE_NAME, name);
  return builder.finish();
}

TEST(NetlinkSocketTest, NfnetlinkBatchIsAllOrNothing) {
  if (!testing::isRoot()) GTEST_SKIP() << "needs root: nftables changes need CAP_NET_ADMIN";
  testing::PrivateNetns netns;
  ASSERT_TRUE(netns.ok()) << netns.error();
  auto socket = Socket::open(NETLINK_NETFILTER);
  ASSERT_TRUE(socket) << socket.error().describe();

  std::vector<Message> good{newTable(NFT_MSG_NEWTABLE, "lvscare_t1"), newTable(NFT_MSG_NEWTABLE, "lvscare_t2")};
  auto ok = socket->batch(good, NFNL_SUBSYS_NFTABLES);
  ASSERT_EQ(ok.size(), 2u);
  ASSERT_TRUE(ok[0]) << ok[0].error().describe();
  ASSERT_TRUE(ok[1]);

  // Third op fails (no such table): the first two must not take effect either.
  std::vector<Message> bad{newTable(NFT_MSG_NEWTABLE, "lvscare_t3"), newTable(NFT_MSG_DELTABLE, "lvscare_t1", 0),
                           newTable(NFT_MSG_DELTABLE, "lvscare_absent", 0)};
  auto failed = socket->batch(bad, NFNL_SUBSYS_NFTABLES);
  ASSERT_EQ(failed.size(), 3u);
  for (const auto& result : failed) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::NotFound);
    EXPECT_NE(result.error().message.find("message 3 of 3"), std::string::npos) << result.error().message;
  }
  // t1 is still there (its delete was rolled back) and t3 was never created.
  std::vector<Message> check{newTable(NFT_MSG_DELTABLE, "lvscare_t1", 0), newTable(NFT_MSG_DELTABLE, "lvscare_t2", 0)};
  auto cleaned = socket->batch(check, NFNL_SUBSYS_NFTABLES);
  EXPECT_TRUE(cleaned[0]) << cleaned[0].error().describe();
  std::vector<Message> t3{newTable(NFT_MSG_DELTABLE, "lvscare_t3", 0)};
  EXPECT_FALSE(socket->batch(t3, NFNL_SUBSYS_NFTABLES)[0]);
}

}  // namespace
}  // namespace lvscare::netlink
