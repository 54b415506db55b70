// Taking over from Go LVScare (issue 11, item 4): the ipset codec byte for byte against the UAPI
// (linux/netfilter/ipset/ip_set.h), and the recognition of LVScare's iptables-nft objects in
// table contents: its rules by jump target and comment (xt comment match or userdata), foreign
// rules never, and no removal while a foreign rule jumps to one of its chains.
#include <linux/netfilter.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <gtest/gtest.h>

#include "nftables/go_lvscare.hpp"
#include "nftables/ipset_codec.hpp"

namespace lvscare::nftables {
namespace {

using netlink::MessageBuilder;

MessageView view(const Message& message) {
  auto views = netlink::splitMessages(message.bytes);
  EXPECT_TRUE(views && views->size() == 1);
  return views->front();
}

TEST(IpsetCodecTest, ProtocolRequestLayout) {
  // clang-format off
  const ByteVector expected{
      // nlmsghdr: length 28, type NFNL_SUBSYS_IPSET << 8 | IPSET_CMD_PROTOCOL, no flags yet
      28, 0, 0, 0, IPSET_CMD_PROTOCOL, NFNL_SUBSYS_IPSET, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      // nfgenmsg: AF_INET, NFNETLINK_V0, res_id 0
      NFPROTO_IPV4, NFNETLINK_V0, 0, 0,
      // IPSET_ATTR_PROTOCOL u8 7, padded
      5, 0, IPSET_ATTR_PROTOCOL, 0, IPSET_PROTOCOL, 0, 0, 0};
  // clang-format on
  EXPECT_EQ(ipset::protocolRequest().bytes, expected);
}

TEST(IpsetCodecTest, ListHeaderRequestLayout) {
  auto message = ipset::listHeaderRequest("VIRTUAL-IP");
  ASSERT_TRUE(message);
  // clang-format off
  const ByteVector expected{
      52, 0, 0, 0, IPSET_CMD_LIST, NFNL_SUBSYS_IPSET, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      NFPROTO_IPV4, NFNETLINK_V0, 0, 0,
      5, 0, IPSET_ATTR_PROTOCOL, 0, IPSET_PROTOCOL, 0, 0, 0,
      // IPSET_ATTR_SETNAME "VIRTUAL-IP\0", padded to 16
      15, 0, IPSET_ATTR_SETNAME, 0, 'V', 'I', 'R', 'T', 'U', 'A', 'L', '-', 'I', 'P', 0, 0,
      // IPSET_ATTR_FLAGS: IPSET_FLAG_LIST_HEADER, big-endian
      8, 0, IPSET_ATTR_FLAGS, 0, 0, 0, 0, IPSET_FLAG_LIST_HEADER};
  // clang-format on
  EXPECT_EQ(message->bytes, expected);
}

TEST(IpsetCodecTest, DestroyRequestLayout) {
  auto message = ipset::destroyRequest("VIRTUAL-IP");
  ASSERT_TRUE(message);
  const ByteVector expected{44,
                            0,
                            0,
                            0,
                            IPSET_CMD_DESTROY,
                            NFNL_SUBSYS_IPSET,
                            0,
                            0,
                            0,
                            0,
                            0,
                            0,
                            0,
                            0,
                            0,
                            0,
                            NFPROTO_IPV4,
                            NFNETLINK_V0,
                            0,
                            0,
                            5,
                            0,
                            IPSET_ATTR_PROTOCOL,
                            0,
                            IPSET_PROTOCOL,
                            0,
                            0,
                            0,
                            15,
                            0,
                            IPSET_ATTR_SETNAME,
                            0,
                            'V',
                            'I',
                            'R',
                            'T',
                            'U',
                            'A',
                            'L',
                            '-',
                            'I',
                            'P',
                            0,
                            0};
  EXPECT_EQ(message->bytes, expected);
}

TEST(IpsetCodecTest, BadNamesAreRefusedBeforeAnythingIsSent) {
  EXPECT_FALSE(ipset::destroyRequest(""));
  EXPECT_FALSE(ipset::destroyRequest(std::string(32, 'x')));
  EXPECT_TRUE(ipset::destroyRequest(std::string(31, 'x')));
  EXPECT_FALSE(ipset::listHeaderRequest(std::string_view("a\0b", 3)));
}

TEST(IpsetCodecTest, ProtocolReplyAndCompatibility) {
  MessageBuilder reply(ipset::ipsetType(IPSET_CMD_PROTOCOL), 0);
  reply.nfgenHeader(NFPROTO_IPV4, 0);
  reply.putU8(IPSET_ATTR_PROTOCOL, 7).putU8(IPSET_ATTR_PROTOCOL_MIN, 6);
  const Message message = reply.finish();
  auto info = ipset::parseProtocolReply(view(message));
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->protocol, 7);
  EXPECT_EQ(info->minimum, 6);
  EXPECT_TRUE(ipset::speaksOurProtocol(*info));
  EXPECT_FALSE(ipset::speaksOurProtocol({5, std::nullopt}));  // too old
  EXPECT_FALSE(ipset::speaksOurProtocol({9, 8}));             // a future kernel that dropped 7
  EXPECT_TRUE(ipset::speaksOurProtocol({6, std::nullopt}));
}

TEST(IpsetCodecTest, ListReplyHeader) {
  MessageBuilder reply(ipset::ipsetType(IPSET_CMD_LIST), NLM_F_MULTI);
  reply.nfgenHeader(NFPROTO_IPV4, 0);
  reply.putU8(IPSET_ATTR_PROTOCOL, 7)
      .putString(IPSET_ATTR_SETNAME, "VIRTUAL-IP")
      .putString(IPSET_ATTR_TYPENAME, "hash:ip,port")
      .putU8(IPSET_ATTR_REVISION, 7)
      .putU8(IPSET_ATTR_FAMILY, NFPROTO_IPV4);
  const auto data = reply.beginNested(IPSET_ATTR_DATA);
  reply.putBe32(IPSET_ATTR_HASHSIZE, 1024).putBe32(IPSET_ATTR_REFERENCES, 1).putBe32(IPSET_ATTR_ELEMENTS, 1);
  reply.endNested(data);
  const Message message = reply.finish();
  auto header = ipset::parseListReply(view(message));
  ASSERT_TRUE(header) << header.error().message;
  EXPECT_EQ(header->name, "VIRTUAL-IP");
  EXPECT_EQ(header->type, "hash:ip,port");
  EXPECT_EQ(header->family, NFPROTO_IPV4);
  EXPECT_EQ(header->references, 1u);
  EXPECT_EQ(header->elements, 1u);
  // Another reply type, or a truncated one, is refused.
  EXPECT_FALSE(ipset::parseProtocolReply(view(message)));
  MessageBuilder bare(ipset::ipsetType(IPSET_CMD_LIST), 0);
  bare.nfgenHeader(NFPROTO_IPV4, 0);
  bare.putU8(IPSET_ATTR_PROTOCOL, 7);
  const Message bareMessage = bare.finish();
  EXPECT_FALSE(ipset::parseListReply(view(bareMessage)));
}

// ---- iptables-nft rules as the kernel reports them ------------------------------------------

struct Rule {
  std::string chain;
  std::uint64_t handle = 0;
  std::string comment;           // as an xt comment match (iptables-nft 1.8.9); empty: none
  bool userdataComment = false;  // as rule userdata instead
  Verdict verdict;
};

// A GETRULE reply for `rule`: [ match comment ] [ counter ] [ immediate verdict ].
Message ruleMessage(const std::string& table, const Rule& rule) {
  MessageBuilder builder(nftType(NFT_MSG_NEWRULE), 0);
  builder.nfgenHeader(NFPROTO_IPV4, 0);
  builder.putString(NFTA_RULE_TABLE, table)
      .putString(NFTA_RULE_CHAIN, rule.chain)
      .putBe64(NFTA_RULE_HANDLE, rule.handle);
  const auto list = builder.beginNested(NFTA_RULE_EXPRESSIONS);
  if (!rule.comment.empty() && !rule.userdataComment) {
    const auto element = builder.beginNested(NFTA_LIST_ELEM);
    builder.putString(NFTA_EXPR_NAME, "match");
    const auto data = builder.beginNested(NFTA_EXPR_DATA);
    builder.putString(NFTA_MATCH_NAME, "comment").putBe32(NFTA_MATCH_REV, 0);
    ByteVector info(256, 0);  // struct xt_comment_info
    std::copy(rule.comment.begin(), rule.comment.end(), info.begin());
    builder.putBytes(NFTA_MATCH_INFO, info);
    builder.endNested(data);
    builder.endNested(element);
  }
  const auto element = builder.beginNested(NFTA_LIST_ELEM);
  builder.putString(NFTA_EXPR_NAME, "immediate");
  const auto data = builder.beginNested(NFTA_EXPR_DATA);
  builder.putBe32(NFTA_IMMEDIATE_DREG, kRegVerdict);
  putDataVerdict(builder, NFTA_IMMEDIATE_DATA, rule.verdict);
  builder.endNested(data);
  builder.endNested(element);
  builder.endNested(list);
  if (rule.userdataComment) builder.putBytes(NFTA_RULE_USERDATA, commentUserdata(rule.comment));
  return builder.finish();
}

class TablesTest : public ::testing::Test {
 protected:
  void add(IptablesTable& table, const Rule& rule) {
    messages.push_back(std::make_unique<Message>(ruleMessage(table.name, rule)));
    auto parsed = parseRule(view(*messages.back()));
    ASSERT_TRUE(parsed) << parsed.error().message;
    table.rules.push_back(std::move(*parsed));
  }
  // Exactly what LVScare's link mode makes, plus the canaries.
  void goLvscare() {
    nat.chains = {
        "PREROUTING",        "INPUT",         "OUTPUT", "POSTROUTING", "VIRTUAL-SERVICES", "VIRTUAL-POSTROUTING",
        "VIRTUAL-MARK-MASQ", "VIRTUAL-CANARY"};
    filter.chains = {"INPUT", "FORWARD", "OUTPUT", "VIRTUAL-CANARY"};
    add(nat, {"OUTPUT", 5, "virtual service portals", false, {kVerdictJump, "VIRTUAL-SERVICES"}});
    add(nat, {"PREROUTING", 7, "virtual service portals", false, {kVerdictJump, "VIRTUAL-SERVICES"}});
    add(nat, {"POSTROUTING", 9, "virtual service postrouting rules", false, {kVerdictJump, "VIRTUAL-POSTROUTING"}});
    add(nat, {"VIRTUAL-SERVICES",
              10,
              "virtual service ip + port for masquerade purpose",
              false,
              {kVerdictJump, "VIRTUAL-MARK-MASQ"}});
    add(filter, {"OUTPUT", 2, "accept for all marked by lvscare", false, {kVerdictAccept, ""}});
  }
  IptablesTable nat{"nat", {}, {}, {}};
  IptablesTable filter{"filter", {}, {}, {}};
  std::vector<std::unique_ptr<Message>> messages;
};

TEST_F(TablesTest, FindsEveryObjectOfLvscaresLinkMode) {
  goLvscare();
  const auto found = findGoLvscareObjects(&nat, &filter);
  ASSERT_EQ(found.rules.size(), 4u);
  EXPECT_EQ(found.rules[0].chain, "OUTPUT");
  EXPECT_EQ(found.rules[0].handle, 5u);
  EXPECT_EQ(found.rules[3].table, "filter");
  EXPECT_EQ(found.rules[3].handle, 2u);
  ASSERT_EQ(found.chains.size(), 5u);
  EXPECT_TRUE(found.foreignReferences.empty());
  EXPECT_EQ(found.summary(),
            "nat chains VIRTUAL-SERVICES VIRTUAL-POSTROUTING VIRTUAL-MARK-MASQ; 3 jump rules; filter OUTPUT mark rule; "
            "VIRTUAL-CANARY in filter nat");
  // Rules by handle, then the chains flushed, then deleted: 4 + 5 + 5 messages.
  const auto messagesOut = removeGoLvscareMessages(found);
  ASSERT_EQ(messagesOut.size(), 14u);
  EXPECT_EQ(messagesOut[0].type(), nftType(NFT_MSG_DELRULE));
  EXPECT_EQ(messagesOut[4].type(), nftType(NFT_MSG_DELRULE));   // flush
  EXPECT_EQ(messagesOut[9].type(), nftType(NFT_MSG_DELCHAIN));  // delete
}

TEST_F(TablesTest, CommentAsUserdataIsRecognisedToo) {
  nat.chains = {"OUTPUT", "VIRTUAL-SERVICES"};
  add(nat, {"OUTPUT", 3, "virtual service portals", true, {kVerdictJump, "VIRTUAL-SERVICES"}});
  const auto found = findGoLvscareObjects(&nat, nullptr);
  ASSERT_EQ(found.rules.size(), 1u);
  EXPECT_EQ(ruleComment(nat.rules[0]), "virtual service portals");
}

TEST_F(TablesTest, ForeignRulesAreNeverTaken) {
  nat.chains = {"OUTPUT", "KUBE-SERVICES"};
  filter.chains = {"OUTPUT"};
  // Same comment, other target; same target name in another table; no comment; an accept with
  // another comment.
  add(nat, {"OUTPUT", 3, "virtual service portals", false, {kVerdictJump, "KUBE-SERVICES"}});
  add(nat, {"OUTPUT", 4, "", false, {kVerdictAccept, ""}});
  add(filter, {"OUTPUT", 5, "accept for all marked by kube-proxy", false, {kVerdictAccept, ""}});
  add(filter, {"OUTPUT", 6, "accept for all marked by lvscare", false, {kVerdictDrop, ""}});
  const auto found = findGoLvscareObjects(&nat, &filter);
  EXPECT_TRUE(found.empty());
  EXPECT_EQ(found.summary(), "");
  EXPECT_TRUE(removeGoLvscareMessages(found).empty());
}

TEST_F(TablesTest, AForeignJumpToItsChainsBlocksRemoval) {
  goLvscare();
  add(nat, {"OUTPUT", 20, "mine", false, {kVerdictJump, "VIRTUAL-SERVICES"}});
  const auto found = findGoLvscareObjects(&nat, &filter);
  ASSERT_EQ(found.foreignReferences.size(), 1u);
  EXPECT_EQ(found.foreignReferences[0], "ip nat OUTPUT handle 20");
  EXPECT_TRUE(removeGoLvscareMessages(found).empty());
}

TEST_F(TablesTest, OnlyTheCanariesLeft) {
  nat.chains = {"OUTPUT", "VIRTUAL-CANARY"};
  filter.chains = {"VIRTUAL-CANARY"};
  const auto found = findGoLvscareObjects(&nat, &filter);
  EXPECT_EQ(found.summary(), "VIRTUAL-CANARY in filter nat");
  EXPECT_EQ(removeGoLvscareMessages(found).size(), 4u);
}

}  // namespace
}  // namespace lvscare::nftables
