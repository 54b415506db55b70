// Byte-level checks of the nftables codec against the UAPI layout, and checked decoding of bad input.
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <gtest/gtest.h>

#include "nftables/expressions.hpp"
#include "nftables/objects.hpp"

namespace lvscare::nftables {
namespace {

using netlink::MessageBuilder;

// The single message in `message`, as the parsers see a reply.
MessageView view(const Message& message) {
  auto views = netlink::splitMessages(message.bytes);
  EXPECT_TRUE(views && views->size() == 1);
  return views->front();
}

// The bytes after nlmsghdr + nfgenmsg.
ByteVector body(const Message& message) { return ByteVector(message.bytes.begin() + 20, message.bytes.end()); }

TEST(NftCodecTest, NewTableLayoutMatchesUapi) {
  const Message message = newTable(TableSpec{NFPROTO_IPV4, "lvs", "hi", 0}, true);
  // clang-format off
  const ByteVector expected{
      // nlmsghdr: length 40, type NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWTABLE, flags CREATE|EXCL
      40, 0, 0, 0, NFT_MSG_NEWTABLE, NFNL_SUBSYS_NFTABLES, 0x00, 0x06, 0, 0, 0, 0, 0, 0, 0, 0,
      // nfgenmsg: family NFPROTO_IPV4, NFNETLINK_V0, res_id 0
      NFPROTO_IPV4, NFNETLINK_V0, 0, 0,
      // NFTA_TABLE_NAME "lvs\0"
      8, 0, NFTA_TABLE_NAME, 0, 'l', 'v', 's', 0,
      // NFTA_TABLE_USERDATA: libnftnl TLV {type 0 = comment, length 3, "hi\0"}, padded
      9, 0, NFTA_TABLE_USERDATA, 0, 0, 3, 'h', 'i', 0, 0, 0, 0};
  // clang-format on
  EXPECT_EQ(message.bytes, expected);
}

TEST(NftCodecTest, BaseChainCarriesHookPriorityPolicyAndType) {
  const Message message =
      newChain(ChainSpec{NFPROTO_IPV6, "t", "pre", BaseChain{NF_INET_PRE_ROUTING, -100, "nat", NF_ACCEPT}, {}});
  EXPECT_EQ(message.type(), (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWCHAIN);
  EXPECT_EQ(message.bytes[16], NFPROTO_IPV6);
  // clang-format off
  const ByteVector expected{
      6, 0, NFTA_CHAIN_TABLE, 0, 't', 0, 0, 0,
      8, 0, NFTA_CHAIN_NAME, 0, 'p', 'r', 'e', 0,
      // NFTA_CHAIN_HOOK (nested): HOOKNUM 0, PRIORITY -100, both big-endian u32
      20, 0, NFTA_CHAIN_HOOK, 0x80, 8, 0, NFTA_HOOK_HOOKNUM, 0, 0, 0, 0, 0, 8, 0, NFTA_HOOK_PRIORITY, 0, 0xff, 0xff, 0xff, 0x9c,
      8, 0, NFTA_CHAIN_POLICY, 0, 0, 0, 0, 1,
      8, 0, NFTA_CHAIN_TYPE, 0, 'n', 'a', 't', 0};
  // clang-format on
  EXPECT_EQ(body(message), expected);
}

TEST(NftCodecTest, CmpExpressionIsAListElementWithNameAndNestedData) {
  MessageBuilder builder(0, 0);
  builder.nfgenHeader(NFPROTO_IPV4, 0);
  ExpressionList list(builder, NFTA_RULE_EXPRESSIONS);
  list.cmp(kReg1, NFT_CMP_EQ, be16Bytes(80));
  list.finish();
  // clang-format off
  const ByteVector expected{
      48, 0, NFTA_RULE_EXPRESSIONS, 0x80,  // list
      44, 0, NFTA_LIST_ELEM, 0x80,         // one expression
      8, 0, NFTA_EXPR_NAME, 0, 'c', 'm', 'p', 0,
      32, 0, NFTA_EXPR_DATA, 0x80,
      8, 0, NFTA_CMP_SREG, 0, 0, 0, 0, 1,
      8, 0, NFTA_CMP_OP, 0, 0, 0, 0, 0,
      12, 0, NFTA_CMP_DATA, 0x80, 6, 0, NFTA_DATA_VALUE, 0, 0x00, 0x50, 0, 0};
  // clang-format on
  EXPECT_EQ(body(builder.finish()), expected);
}

TEST(NftCodecTest, NumgenAndBitwiseAttributesInUapiOrder) {
  MessageBuilder builder(0, 0);
  builder.nfgenHeader(NFPROTO_IPV4, 0);
  ExpressionList list(builder, NFTA_RULE_EXPRESSIONS);
  list.numgen(kReg1, 3, NFT_NG_RANDOM);
  list.finish();
  const auto bytes = body(builder.finish());
  // list(4) elem(4) name "numgen\0"(12) data(4): DREG 1, MODULUS 3, TYPE random, OFFSET 0
  const ByteVector data(bytes.begin() + 24, bytes.end());
  const ByteVector expected{8, 0, NFTA_NG_DREG,    0, 0, 0, 0, 1,
                            8, 0, NFTA_NG_MODULUS, 0, 0, 0, 0, 3,
                            8, 0, NFTA_NG_TYPE,    0, 0, 0, 0, NFT_NG_RANDOM,
                            8, 0, NFTA_NG_OFFSET,  0, 0, 0, 0, 0};
  EXPECT_EQ(data, expected);

  MessageBuilder masked(0, 0);
  masked.nfgenHeader(NFPROTO_IPV4, 0);
  ExpressionList bitwise(masked, NFTA_RULE_EXPRESSIONS);
  bitwise.bitwise(kReg1, kReg1, u32Bytes(0x4000), u32Bytes(0));
  bitwise.finish();
  const auto maskedBytes = body(masked.finish());
  // after list, elem, name "bitwise\0" (12), data header: SREG, DREG, LEN 4, MASK {0x4000 host order}, XOR {0}
  const ByteVector maskedData(maskedBytes.begin() + 24, maskedBytes.end());
  const ByteVector expectedMasked{8,
                                  0,
                                  NFTA_BITWISE_SREG,
                                  0,
                                  0,
                                  0,
                                  0,
                                  1,
                                  8,
                                  0,
                                  NFTA_BITWISE_DREG,
                                  0,
                                  0,
                                  0,
                                  0,
                                  1,
                                  8,
                                  0,
                                  NFTA_BITWISE_LEN,
                                  0,
                                  0,
                                  0,
                                  0,
                                  4,
                                  12,
                                  0,
                                  NFTA_BITWISE_MASK,
                                  0x80,
                                  8,
                                  0,
                                  NFTA_DATA_VALUE,
                                  0,
                                  0x00,
                                  0x40,
                                  0,
                                  0,
                                  12,
                                  0,
                                  NFTA_BITWISE_XOR,
                                  0x80,
                                  8,
                                  0,
                                  NFTA_DATA_VALUE,
                                  0,
                                  0,
                                  0,
                                  0,
                                  0};
  EXPECT_EQ(maskedData, expectedMasked);
}

TEST(NftCodecTest, VerdictMapElementsRoundTrip) {
  const std::vector<SetElement> elements{
      {be32Bytes(0), Verdict{kVerdictGoto, "rs_a"}, {}, 0},
      {be32Bytes(2), Verdict{kVerdictGoto, "rs_b"}, {}, 0},
      {be32Bytes(3), std::nullopt, {}, NFT_SET_ELEM_INTERVAL_END},
  };
  const auto messages = newSetElements(NFPROTO_IPV4, "t", "__map%d", 7, elements);
  ASSERT_EQ(messages.size(), 1u);
  auto parsed = parseSetElements(view(messages[0]));
  ASSERT_TRUE(parsed) << parsed.error().describe();
  EXPECT_EQ(*parsed, elements);
}

TEST(NftCodecTest, ManySetElementsAreSplitAcrossMessages) {
  std::vector<SetElement> elements;
  for (std::uint32_t i = 0; i < 1500; ++i) elements.push_back({be32Bytes(i), Verdict{kVerdictGoto, "rs_x"}, {}, 0});
  const auto messages = newSetElements(NFPROTO_IPV4, "t", "s", 1, elements);
  ASSERT_EQ(messages.size(), 3u);
  std::size_t total = 0;
  for (const auto& message : messages) {
    EXPECT_LT(message.bytes.size(), 65536u);
    auto parsed = parseSetElements(view(message));
    ASSERT_TRUE(parsed);
    total += parsed->size();
  }
  EXPECT_EQ(total, 1500u);
}

TEST(NftCodecTest, RuleRoundTripsThroughTheDecoders) {
  const Message message = newRule(
      NFPROTO_IPV4, "t", "c",
      [](ExpressionList& rule) {
        rule.payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, kReg1)
            .metaLoad(NFT_META_L4PROTO, kReg1)
            .counter()
            .immediateData(kReg2, be16Bytes(8081))
            .nat(NFT_NAT_DNAT, NFPROTO_IPV4, kReg1, kReg2, 2)
            .lookup("__map%d", 4, kReg1, kRegVerdict)
            .immediateVerdict(kVerdictGoto, "lb");
      },
      "rs 1.2.3.4:80 weight 1");
  auto rule = parseRule(view(message));
  ASSERT_TRUE(rule) << rule.error().describe();
  EXPECT_EQ(rule->table, "t");
  EXPECT_EQ(rule->chain, "c");
  EXPECT_EQ(rule->comment, "rs 1.2.3.4:80 weight 1");
  ASSERT_EQ(rule->expressions.size(), 7u);
  auto payload = decodePayload(rule->expressions[0]);
  ASSERT_TRUE(payload);
  EXPECT_EQ(payload->offset, 16u);
  EXPECT_EQ(payload->length, 4u);
  auto meta = decodeMeta(rule->expressions[1]);
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->key, static_cast<std::uint32_t>(NFT_META_L4PROTO));
  EXPECT_EQ(meta->dreg, kReg1);
  EXPECT_TRUE(decodeCounter(rule->expressions[2]));
  auto port = decodeImmediate(rule->expressions[3]);
  ASSERT_TRUE(port);
  EXPECT_EQ(port->data.value, be16Bytes(8081));
  auto nat = decodeNat(rule->expressions[4]);
  ASSERT_TRUE(nat);
  EXPECT_EQ(nat->protoReg, kReg2);
  EXPECT_EQ(nat->flags, 2u);
  auto lookup = decodeLookup(rule->expressions[5]);
  ASSERT_TRUE(lookup);
  EXPECT_EQ(lookup->set, "__map%d");
  EXPECT_EQ(lookup->dreg, kRegVerdict);
  auto jump = decodeImmediate(rule->expressions[6]);
  ASSERT_TRUE(jump);
  ASSERT_TRUE(jump->data.verdict);
  EXPECT_EQ(jump->data.verdict->code, kVerdictGoto);
  EXPECT_EQ(jump->data.verdict->chain, "lb");
  // A decoder for another expression refuses with a message naming both.
  auto wrong = decodeNat(rule->expressions[0]);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message, "expected expression nat, found payload");
}

TEST(NftCodecTest, TableRoundTripKeepsNameFamilyAndComment) {
  auto table = parseTable(view(newTable(TableSpec{NFPROTO_IPV6, "lvscare_x", "lvscare TCP [::1]:80 scheduler rr", 0})));
  ASSERT_TRUE(table) << table.error().describe();
  EXPECT_EQ(table->family, NFPROTO_IPV6);
  EXPECT_EQ(table->name, "lvscare_x");
  EXPECT_EQ(table->comment, "lvscare TCP [::1]:80 scheduler rr");
}

TEST(NftCodecTest, CommentUserdataIsCappedAndChecked) {
  const std::string longText(300, 'x');
  auto userdata = commentUserdata(longText);
  ASSERT_EQ(userdata.size(), 2 + kMaxComment + 1);
  auto comment = parseCommentUserdata(userdata);
  ASSERT_TRUE(comment);
  EXPECT_EQ(comment->value().size(), kMaxComment);

  const ByteVector overlong{0, 9, 'a', 0};
  auto bad = parseCommentUserdata(overlong);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::Malformed);
  EXPECT_EQ(bad.error().message, "userdata: TLV claims 9 bytes, only 2 left");
  const ByteVector unterminated{0, 2, 'a', 'b'};
  EXPECT_EQ(parseCommentUserdata(unterminated).error().message, "userdata: comment is not NUL-terminated");
  const ByteVector otherTypeOnly{3, 1, 7};
  EXPECT_EQ(parseCommentUserdata(otherTypeOnly).value(), std::nullopt);
}

TEST(NftCodecTest, MalformedRepliesFailWithClearErrors) {
  // A rule without its chain name.
  MessageBuilder noChain(nftType(NFT_MSG_NEWRULE), 0);
  noChain.nfgenHeader(NFPROTO_IPV4, 0).putString(NFTA_RULE_TABLE, "t");
  const Message missing = noChain.finish();
  auto rule = parseRule(view(missing));
  ASSERT_FALSE(rule);
  EXPECT_EQ(rule.error().code, Errc::Malformed);
  EXPECT_EQ(rule.error().message, "missing attribute rule chain");

  // A message too short for nfgenmsg.
  MessageBuilder shortOne(nftType(NFT_MSG_NEWTABLE), 0);
  const Message headerOnly = shortOne.finish();
  auto table = parseTable(view(headerOnly));
  ASSERT_FALSE(table);
  EXPECT_EQ(table.error().message, "truncated nfgenmsg header: 0 bytes");

  // An expression list holding something that is not a list element.
  MessageBuilder oddList(nftType(NFT_MSG_NEWRULE), 0);
  oddList.nfgenHeader(NFPROTO_IPV4, 0).putString(NFTA_RULE_TABLE, "t").putString(NFTA_RULE_CHAIN, "c");
  const auto token = oddList.beginNested(NFTA_RULE_EXPRESSIONS);
  oddList.putU32(5, 1);
  oddList.endNested(token);
  auto odd = parseRule(view(oddList.finish()));
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().message, "rule expressions: unexpected attribute 5");

  // A verdict without its code.
  MessageBuilder noCode(0, 0);
  const auto verdict = noCode.beginNested(NFTA_DATA_VERDICT);
  noCode.putString(NFTA_VERDICT_CHAIN, "x");
  noCode.endNested(verdict);
  const auto bytes = noCode.finish().bytes;
  auto data = parseData(Bytes(bytes.data() + 16, bytes.size() - 16), "map value");
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error().message, "missing attribute verdict code");

  // A counter whose packet count is the wrong size.
  MessageBuilder badCounter(0, 0);
  badCounter.putU32(NFTA_COUNTER_PACKETS, 1);
  const auto counterBytes = badCounter.finish().bytes;
  const Expression counter{"counter", Bytes(counterBytes.data() + 16, counterBytes.size() - 16)};
  auto decoded = decodeCounter(counter);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().message, "attribute counter packets has 4 bytes, want 8");
}

}  // namespace
}  // namespace lvscare::nftables
