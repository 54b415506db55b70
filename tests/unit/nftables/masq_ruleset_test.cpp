// The link-mode masquerade table: layout, nft text, decode, and damage detection.
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <gtest/gtest.h>

#include "built_table.hpp"
#include "nftables/masq_ruleset.hpp"

namespace lvscare::nftables {
namespace {

MasqueradeSpec spec(const char* vip, unsigned bit) { return MasqueradeSpec{IpAddress::parse(vip).value(), bit}; }

BuiltTable parse(const MasqueradeSpec& s) { return parseBuilt(buildMasqTable(s)); }

TEST(MasqRulesetTest, BuildThenDecodeRoundTrips) {
  for (const auto& s : {spec("169.254.0.1", 14), spec("fd00::1", 0), spec("10.103.97.12", 31)}) {
    const auto parsed = parse(s);
    auto decoded = decodeMasqTable(parsed.table, parsed.rules);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(masqTableName(IpAddress::parse("fd00::1").value()), "lvscare_masq_fd00--1");
}

TEST(MasqRulesetTest, MarkRuleSetsOnlyTheBitInHostOrder) {
  const auto parsed = parse(spec("169.254.0.1", 14));
  const auto& mark = parsed.rules.at(0);
  ASSERT_EQ(mark.chain, "mark_prerouting");
  ASSERT_EQ(mark.expressions.size(), 5u);
  auto table = netlink::AttributeTable::parse(mark.expressions[3].attributes, NFTA_BITWISE_MAX);
  ASSERT_TRUE(table);
  auto maskValue = parseData(table->find(NFTA_BITWISE_MASK)->payload, "mask");
  auto xorValue = parseData(table->find(NFTA_BITWISE_XOR)->payload, "xor");
  EXPECT_EQ(maskValue->value, u32Bytes(0xffffbfff));  // keep every other bit of the mark
  EXPECT_EQ(xorValue->value, u32Bytes(0x00004000));   // and set ours
}

TEST(MasqRulesetTest, AlteredOrForeignTablesAreMalformed) {
  const auto parsed = parse(spec("169.254.0.1", 14));
  auto otherBit = parse(spec("169.254.0.1", 15));
  std::vector<RuleInfo> mixed{parsed.rules[0], parsed.rules[1], otherBit.rules[2]};
  auto decoded = decodeMasqTable(parsed.table, mixed);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().message, "table lvscare_masq_169.254.0.1: masq_postrouting rule altered");
  std::vector<RuleInfo> missing{parsed.rules[0], parsed.rules[2]};
  EXPECT_EQ(decodeMasqTable(parsed.table, missing).error().message,
            "table lvscare_masq_169.254.0.1: rules missing or repeated");
  TableInfo foreign = parsed.table;
  foreign.comment.reset();
  EXPECT_EQ(decodeMasqTable(foreign, parsed.rules).error().message,
            "table lvscare_masq_169.254.0.1: not a masquerade table of ours");
  EXPECT_EQ(validateMasquerade(spec("169.254.0.1", 32)).error().code, Errc::InvalidArgument);
}

TEST(MasqRulesetTest, NftTextSaysTheSameThing) {
  EXPECT_EQ(renderMasqNft(spec("169.254.0.1", 14)),
            "table ip lvscare_masq_169.254.0.1 {\n\tcomment \"lvscare masquerade 169.254.0.1 markbit 14\"\n"
            "\tchain mark_prerouting {\n\t\ttype nat hook prerouting priority -110; policy accept;\n"
            "\t\tip daddr 169.254.0.1 meta mark set meta mark | 0x00004000\n\t}\n"
            "\tchain mark_output {\n\t\ttype nat hook output priority -110; policy accept;\n"
            "\t\tip daddr 169.254.0.1 meta mark set meta mark | 0x00004000\n\t}\n"
            "\tchain masq_postrouting {\n\t\ttype nat hook postrouting priority 100; policy accept;\n"
            "\t\tmeta mark & 0x00004000 == 0x00004000 masquerade\n\t}\n}\n");
}

}  // namespace
}  // namespace lvscare::nftables
