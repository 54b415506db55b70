#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <gtest/gtest.h>

#include "netlink/attributes.hpp"
#include "netlink/genl.hpp"
#include "netlink/message.hpp"
#include "netlink/reply.hpp"

namespace lvscare::netlink {
namespace {

using ByteVector = std::vector<std::uint8_t>;

TEST(MessageBuilderTest, LaysOutHeaderGenlAndAttributesByteForByte) {
  MessageBuilder builder(0x1234, NLM_F_REQUEST);
  builder.genlHeader(7, 1).putU32(1, 0x01020304).putBe16(2, 0x1f90).putString(3, "rr");
  Message message = builder.finish();
  message.setSequence(0xaabbccdd);
  // clang-format off
  const ByteVector expected{
      // nlmsghdr: len 44, type 0x1234, flags NLM_F_REQUEST, seq, pid 0 (all little-endian host order)
      44, 0, 0, 0, 0x34, 0x12, 0x01, 0x00, 0xdd, 0xcc, 0xbb, 0xaa, 0, 0, 0, 0,
      // genlmsghdr: cmd 7, version 1, reserved
      7, 1, 0, 0,
      // u32 attr type 1, host order
      8, 0, 1, 0, 0x04, 0x03, 0x02, 0x01,
      // be16 attr type 2 (8080), network order, padded to 4
      6, 0, 2, 0, 0x1f, 0x90, 0, 0,
      // string "rr\0", len 7, padded to 8
      7, 0, 3, 0, 'r', 'r', 0, 0};
  // clang-format on
  EXPECT_EQ(message.bytes, expected);
  EXPECT_EQ(message.type(), 0x1234);
  EXPECT_EQ(message.sequence(), 0xaabbccddu);
}

TEST(MessageBuilderTest, NestedLengthCoversChildrenAndSetsFlag) {
  MessageBuilder builder(16, 0);
  const auto nest = builder.beginNested(1);
  builder.putU8(2, 9);
  builder.endNested(nest);
  const auto bytes = builder.finish().bytes;
  ASSERT_EQ(bytes.size(), 16u + 4 + 8);
  EXPECT_EQ(bytes[16], 12);                                   // nest length: its header + one u8 attr (8)
  EXPECT_EQ(bytes[18] | (bytes[19] << 8), 1 | NLA_F_NESTED);  // type with the nested flag
  EXPECT_EQ(bytes[20], 5);                                    // child: 4 header + 1 byte
  EXPECT_EQ(bytes[24], 9);
}

TEST(MessageBuilderTest, OversizedAttributeIsReportedNotTruncated) {
  MessageBuilder builder(16, 0);
  EXPECT_TRUE(builder.fits());
  builder.putBytes(1, ByteVector(70000, 1));
  EXPECT_FALSE(builder.fits());
}

TEST(AttributeParserTest, ParsesAndTypesCheckSizes) {
  MessageBuilder builder(16, 0);
  builder.putU16(1, 7).putU32(2, 70000).putString(3, "wlc");
  const auto bytes = builder.finish().bytes;
  auto table = AttributeTable::parse(Bytes(bytes).subspan(16), 5);
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_EQ(*table->requireU16(1, "a"), 7);
  EXPECT_EQ(*table->requireU32(2, "b"), 70000u);
  EXPECT_EQ(*table->requireString(3, "c"), "wlc");
  auto wrongSize = table->requireU32(1, "port");
  ASSERT_FALSE(wrongSize);
  EXPECT_EQ(wrongSize.error().message, "attribute port has 2 bytes, want 4");
  auto absent = table->requireU32(4, "timeout");
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().message, "missing attribute timeout");
}

TEST(AttributeParserTest, RejectsTruncatedAndOverlongInput) {
  const ByteVector overlong{20, 0, 1, 0, 1, 2, 3, 4};  // claims 20 bytes, has 8
  auto a = parseAttributes(overlong);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, Errc::Malformed);
  EXPECT_NE(a.error().message.find("claims 20 bytes"), std::string::npos);

  const ByteVector belowHeader{2, 0, 1, 0};
  EXPECT_FALSE(parseAttributes(belowHeader));

  const ByteVector truncatedHeader{8, 0, 1, 0, 1, 2, 3, 4, 5, 6};  // one good attribute then 2 stray bytes
  auto b = parseAttributes(truncatedHeader);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("truncated attribute header"), std::string::npos);

  const ByteVector unterminated{7, 0, 1, 0, 'a', 'b', 'c', 0};
  auto table = AttributeTable::parse(unterminated, 1);
  ASSERT_TRUE(table);
  EXPECT_FALSE(table->requireString(1, "name"));
}

TEST(AttributeParserTest, LastAttributeMayLackPadding) {
  const ByteVector unpadded{5, 0, 1, 0, 42};
  auto a = parseAttributes(unpadded);
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ(a->front().payload.size(), 1u);
}

TEST(ReplyTest, SplitsMessagesAndRejectsBadLengths) {
  ByteVector two;
  for (int i = 0; i < 2; ++i) {
    auto m = MessageBuilder(NLMSG_DONE, NLM_F_MULTI).putU32(1, 5).finish();
    two.insert(two.end(), m.bytes.begin(), m.bytes.end());
  }
  auto split = splitMessages(two);
  ASSERT_TRUE(split);
  EXPECT_EQ(split->size(), 2u);

  ByteVector bad = two;
  bad[0] = 200;  // first message claims more than there is
  EXPECT_FALSE(splitMessages(bad));
  bad[0] = 8;  // below the header size
  EXPECT_FALSE(splitMessages(bad));
  EXPECT_FALSE(splitMessages(ByteVector(two.begin(), two.begin() + 10)));
}

ByteVector errorWithExtack(int error, const char* text) {
  // nlmsgerr { error, capped copy of our header }, then NLMSGERR_ATTR_MSG.
  MessageBuilder builder(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS);
  nlmsgerr body{};
  body.error = error;
  body.msg.nlmsg_len = 20;
  builder.header(body);
  builder.putString(NLMSGERR_ATTR_MSG, text);
  return builder.finish().bytes;
}

TEST(ReplyTest, ParsesAckWithExtendedMessage) {
  const auto bytes = errorWithExtack(-22, "Unknown scheduler");
  auto split = splitMessages(bytes);
  ASSERT_TRUE(split);
  auto ack = parseAck(split->front());
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_EQ(ack->error, -22);
  EXPECT_EQ(ack->extackMessage, "Unknown scheduler");
  const Error error = errorFromAck(*ack);
  EXPECT_EQ(error.code, Errc::InvalidArgument);
  EXPECT_EQ(error.sysErrno, 22);
  EXPECT_EQ(error.message, "Invalid argument: Unknown scheduler");
}

TEST(ReplyTest, TruncatedErrorIsMalformedNotACrash) {
  auto bytes = errorWithExtack(-1, "x");
  for (std::size_t cut = 16; cut < bytes.size(); ++cut) {
    ByteVector prefix(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    prefix[0] = static_cast<std::uint8_t>(cut);  // keep the outer length consistent with the cut
    auto split = splitMessages(prefix);
    ASSERT_TRUE(split);
    auto ack = parseAck(split->front());  // may fail, must not crash or read past the end
    if (ack) {
      EXPECT_EQ(ack->error, cut >= 20 ? -1 : 0);
    }
  }
}

TEST(GenlTest, FamilyReplyNeedsIdAndName) {
  MessageBuilder good(GENL_ID_CTRL, 0);
  good.genlHeader(CTRL_CMD_NEWFAMILY, 2).putU16(CTRL_ATTR_FAMILY_ID, 37).putString(CTRL_ATTR_FAMILY_NAME, "IPVS");
  good.putU32(CTRL_ATTR_VERSION, 1).putU32(CTRL_ATTR_MAXATTR, 9);
  const auto bytes = good.finish().bytes;
  auto split = splitMessages(bytes);
  ASSERT_TRUE(split);
  auto family = parseFamilyReply(split->front());
  ASSERT_TRUE(family) << family.error().message;
  EXPECT_EQ(family->id, 37);
  EXPECT_EQ(family->name, "IPVS");
  EXPECT_EQ(family->maxAttribute, 9u);

  MessageBuilder noId(GENL_ID_CTRL, 0);
  noId.genlHeader(CTRL_CMD_NEWFAMILY, 2).putString(CTRL_ATTR_FAMILY_NAME, "IPVS");
  const auto noIdBytes = noId.finish().bytes;
  auto missing = parseFamilyReply(splitMessages(noIdBytes)->front());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "missing attribute family id");
}

}  // namespace
}  // namespace lvscare::netlink
