#include "nftables/masq_ruleset.hpp"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>

#include "nftables/lb_ruleset.hpp"

namespace lvscare::nftables {
namespace {

constexpr std::int32_t kPriorityMark = -110;   // before DNAT (-100) and IPVS's output hook (-99)
constexpr std::int32_t kPrioritySrcNat = 100;  // NF_IP_PRI_NAT_SRC

std::string comment(const MasqueradeSpec& spec) {
  return fmt::format("lvscare masquerade {} markbit {}", spec.vip.toString(), spec.markBit);
}

// ip daddr <vip> meta mark set meta mark | <bit>
void markRule(ExpressionList& rule, const MasqueradeSpec& spec) {
  const std::uint32_t bit = 1u << spec.markBit;
  rule.payload(NFT_PAYLOAD_NETWORK_HEADER, spec.vip.isV4() ? 16 : 24, static_cast<std::uint32_t>(spec.vip.size()),
               kReg1)
      .cmp(kReg1, NFT_CMP_EQ, Bytes(spec.vip.bytes.data(), spec.vip.size()))
      .metaLoad(NFT_META_MARK, kReg1)
      .bitwise(kReg1, kReg1, u32Bytes(~bit), u32Bytes(bit))
      .metaSet(NFT_META_MARK, kReg1);
}

// meta mark & <bit> == <bit> masquerade
void masqRule(ExpressionList& rule, const MasqueradeSpec& spec) {
  const std::uint32_t bit = 1u << spec.markBit;
  rule.metaLoad(NFT_META_MARK, kReg1)
      .bitwise(kReg1, kReg1, u32Bytes(bit), u32Bytes(0))
      .cmp(kReg1, NFT_CMP_EQ, u32Bytes(bit))
      .masquerade();
}

bool sameExpressions(const RuleInfo& actual, const Message& expected) {
  // Compare decoded, not raw: the kernel may dump attributes in its own order and add defaults.
  auto views = netlink::splitMessages(expected.bytes);
  if (!views) return false;
  auto wanted = parseRule(views->front());
  if (!wanted || wanted->expressions.size() != actual.expressions.size()) return false;
  for (std::size_t i = 0; i < actual.expressions.size(); ++i) {
    const auto& a = actual.expressions[i];
    const auto& w = wanted->expressions[i];
    if (a.name != w.name) return false;
    if (a.name == "cmp") {
      auto x = decodeCmp(a);
      auto y = decodeCmp(w);
      if (!x || !y || x->data != y->data || x->op != y->op) return false;
    } else if (a.name == "payload") {
      auto x = decodePayload(a);
      auto y = decodePayload(w);
      if (!x || !y || x->offset != y->offset || x->length != y->length || x->base != y->base) return false;
    } else if (a.name == "meta") {
      auto x = decodeMeta(a);
      auto y = decodeMeta(w);
      if (!x || !y || x->key != y->key || x->sreg.has_value() != y->sreg.has_value()) return false;
    } else if (a.name == "bitwise") {
      // Mask and xor are what make the rule: compare their attribute bytes.
      auto x = netlink::AttributeTable::parse(a.attributes, NFTA_BITWISE_MAX);
      auto y = netlink::AttributeTable::parse(w.attributes, NFTA_BITWISE_MAX);
      if (!x || !y) return false;
      for (const std::uint16_t type : {NFTA_BITWISE_MASK, NFTA_BITWISE_XOR}) {
        const auto* p = x->find(type);
        const auto* q = y->find(type);
        if (p == nullptr || q == nullptr) return false;
        auto dp = parseData(p->payload, "bitwise");
        auto dq = parseData(q->payload, "bitwise");
        if (!dp || !dq || dp->value != dq->value) return false;
      }
    }
  }
  return true;
}

Message expectedRule(const MasqueradeSpec& spec, std::string_view chain, bool mark) {
  return newRule(nfFamily(spec.vip.family), masqTableName(spec.vip), chain, [&](ExpressionList& rule) {
    if (mark) {
      markRule(rule, spec);
    } else {
      masqRule(rule, spec);
    }
  });
}

}  // namespace

Result<void> validateMasquerade(const MasqueradeSpec& spec) {
  if (spec.markBit > 31)
    return fail(Errc::InvalidArgument, fmt::format("masquerade bit {} is not in 0..31", spec.markBit));
  return {};
}

std::string masqTableName(const IpAddress& vip) { return "lvscare_masq_" + nameAddress(vip); }

std::vector<Message> buildMasqTable(const MasqueradeSpec& spec) {
  const auto family = nfFamily(spec.vip.family);
  const auto table = masqTableName(spec.vip);
  std::vector<Message> out;
  out.push_back(newTable(TableSpec{family, table, comment(spec), 0}, true));
  out.push_back(newChain(ChainSpec{
      family, table, "mark_prerouting", BaseChain{NF_INET_PRE_ROUTING, kPriorityMark, "nat", NF_ACCEPT}, {}}));
  out.push_back(newChain(
      ChainSpec{family, table, "mark_output", BaseChain{NF_INET_LOCAL_OUT, kPriorityMark, "nat", NF_ACCEPT}, {}}));
  out.push_back(newChain(ChainSpec{
      family, table, "masq_postrouting", BaseChain{NF_INET_POST_ROUTING, kPrioritySrcNat, "nat", NF_ACCEPT}, {}}));
  out.push_back(expectedRule(spec, "mark_prerouting", true));
  out.push_back(expectedRule(spec, "mark_output", true));
  out.push_back(expectedRule(spec, "masq_postrouting", false));
  return out;
}

std::string renderMasqNft(const MasqueradeSpec& spec) {
  const std::string family = spec.vip.isV4() ? "ip" : "ip6";
  const std::string mark =
      fmt::format("{} daddr {} meta mark set meta mark | 0x{:08x}", family, spec.vip.toString(), 1u << spec.markBit);
  return fmt::format(
      "table {} {} {{\n\tcomment \"{}\"\n"
      "\tchain mark_prerouting {{\n\t\ttype nat hook prerouting priority {}; policy accept;\n\t\t{}\n\t}}\n"
      "\tchain mark_output {{\n\t\ttype nat hook output priority {}; policy accept;\n\t\t{}\n\t}}\n"
      "\tchain masq_postrouting {{\n\t\ttype nat hook postrouting priority {}; policy accept;\n"
      "\t\tmeta mark & 0x{:08x} == 0x{:08x} masquerade\n\t}}\n}}\n",
      family, masqTableName(spec.vip), comment(spec), kPriorityMark, mark, kPriorityMark, mark, kPrioritySrcNat,
      1u << spec.markBit, 1u << spec.markBit);
}

Result<MasqueradeSpec> decodeMasqTable(const TableInfo& table, std::span<const RuleInfo> rules) {
  auto damaged = [&](std::string_view why) {
    return fail(Errc::Malformed, fmt::format("table {}: {}", table.name, why));
  };
  if (!table.comment || !table.comment->starts_with("lvscare masquerade "))
    return damaged("not a masquerade table of ours");
  const std::string_view text = *table.comment;
  const auto bitAt = text.rfind(" markbit ");
  if (bitAt == std::string_view::npos) return damaged("comment names no mark bit");
  MasqueradeSpec spec;
  auto vip = IpAddress::parse(text.substr(19, bitAt - 19));
  const auto bitText = text.substr(bitAt + 9);
  const auto [ptr, ec] = std::from_chars(bitText.data(), bitText.data() + bitText.size(), spec.markBit);
  if (!vip || ec != std::errc() || ptr != bitText.data() + bitText.size() || spec.markBit > 31)
    return damaged("comment altered");
  spec.vip = *vip;
  if (masqTableName(spec.vip) != table.name || nfFamily(spec.vip.family) != table.family)
    return damaged("comment names another VIP");

  std::map<std::string, int> seen;
  for (const auto& rule : rules) {
    if (rule.table != table.name || rule.family != table.family) continue;
    const bool mark = rule.chain == "mark_prerouting" || rule.chain == "mark_output";
    if (!mark && rule.chain != "masq_postrouting") return damaged("unexpected rule in chain " + rule.chain);
    if (!sameExpressions(rule, expectedRule(spec, rule.chain, mark))) return damaged(rule.chain + " rule altered");
    ++seen[rule.chain];
  }
  if (seen["mark_prerouting"] != 1 || seen["mark_output"] != 1 || seen["masq_postrouting"] != 1)
    return damaged("rules missing or repeated");
  return spec;
}

}  // namespace lvscare::nftables
