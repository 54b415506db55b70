#include "nftables/go_lvscare.hpp"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace lvscare::nftables {
namespace {

constexpr std::array<std::string_view, 3> kNatChains = {"VIRTUAL-SERVICES", "VIRTUAL-POSTROUTING", "VIRTUAL-MARK-MASQ"};
constexpr std::string_view kCanary = "VIRTUAL-CANARY";

// A rule Go LVScare's link mode appends to a built-in chain (care/iptables.go).
struct KnownRule {
  std::string_view table;
  std::string_view chain;
  std::string_view target;  // chain jumped to; empty: the verdict is accept
  std::string_view comment;
};
constexpr std::array<KnownRule, 4> kKnownRules = {{
    {"nat", "OUTPUT", "VIRTUAL-SERVICES", "virtual service portals"},
    {"nat", "PREROUTING", "VIRTUAL-SERVICES", "virtual service portals"},
    {"nat", "POSTROUTING", "VIRTUAL-POSTROUTING", "virtual service postrouting rules"},
    {"filter", "OUTPUT", "", "accept for all marked by lvscare"},
}};

bool isOurChain(std::string_view table, std::string_view chain) {
  if (chain == kCanary) return true;
  return table == "nat" && std::find(kNatChains.begin(), kNatChains.end(), chain) != kNatChains.end();
}

// The verdict of the rule's last immediate expression writing the verdict register.
std::optional<Verdict> finalVerdict(const RuleInfo& rule) {
  std::optional<Verdict> out;
  for (const Expression& expression : rule.expressions) {
    if (expression.name != "immediate") continue;
    auto immediate = decodeImmediate(expression);
    if (immediate && immediate->dreg == kRegVerdict && immediate->data.verdict) out = immediate->data.verdict;
  }
  return out;
}

bool matches(const KnownRule& known, const std::string& table, const RuleInfo& rule) {
  if (table != known.table || rule.chain != known.chain) return false;
  if (ruleComment(rule) != std::optional<std::string>(std::string(known.comment))) return false;
  if (!known.target.empty()) return jumpTarget(rule) == std::optional<std::string>(std::string(known.target));
  const auto verdict = finalVerdict(rule);
  return verdict && verdict->code == kVerdictAccept;
}

void scan(const IptablesTable& table, GoLvscareObjects& out) {
  for (const RuleInfo& rule : table.rules) {
    if (isOurChain(table.name, rule.chain)) continue;  // flushed with the chain
    const auto known = std::find_if(kKnownRules.begin(), kKnownRules.end(),
                                    [&](const KnownRule& k) { return matches(k, table.name, rule); });
    if (known != kKnownRules.end()) {
      out.rules.push_back(GoLvscareRule{table.name, rule.chain, rule.handle, std::string(known->comment)});
      continue;
    }
    const auto target = jumpTarget(rule);
    if (target && isOurChain(table.name, *target))
      out.foreignReferences.push_back("ip " + table.name + " " + rule.chain + " handle " + std::to_string(rule.handle));
  }
}

bool hasChain(const IptablesTable* table, std::string_view name) {
  return table != nullptr && std::find(table->chains.begin(), table->chains.end(), name) != table->chains.end();
}

}  // namespace

std::optional<std::string> ruleComment(const RuleInfo& rule) {
  if (rule.comment) return rule.comment;
  for (const Expression& expression : rule.expressions) {
    if (expression.name != "match") continue;
    auto table = netlink::AttributeTable::parse(expression.attributes, NFTA_MATCH_MAX);
    if (!table) continue;
    auto name = table->requireString(NFTA_MATCH_NAME, "match name");
    const auto* info = table->find(NFTA_MATCH_INFO);
    if (!name || *name != "comment" || info == nullptr) continue;
    // struct xt_comment_info: a NUL-padded char array.
    const auto* begin = reinterpret_cast<const char*>(info->payload.data());
    return std::string(begin, std::find(begin, begin + info->payload.size(), '\0'));
  }
  return std::nullopt;
}

std::optional<std::string> jumpTarget(const RuleInfo& rule) {
  const auto verdict = finalVerdict(rule);
  if (!verdict || (verdict->code != kVerdictJump && verdict->code != kVerdictGoto)) return std::nullopt;
  return verdict->chain;
}

GoLvscareObjects findGoLvscareObjects(const IptablesTable* nat, const IptablesTable* filter) {
  GoLvscareObjects out;
  if (nat != nullptr) scan(*nat, out);
  if (filter != nullptr) scan(*filter, out);
  for (const std::string_view chain : kNatChains)
    if (hasChain(nat, chain)) out.chains.push_back(GoLvscareChain{"nat", std::string(chain)});
  if (hasChain(filter, kCanary)) out.chains.push_back(GoLvscareChain{"filter", std::string(kCanary)});
  if (hasChain(nat, kCanary)) out.chains.push_back(GoLvscareChain{"nat", std::string(kCanary)});
  return out;
}

std::string GoLvscareObjects::summary() const {
  std::vector<std::string> parts;
  std::string natChains, canaries;
  for (const GoLvscareChain& chain : chains) {
    std::string& into = chain.name == kCanary ? canaries : natChains;
    into += " " + (chain.name == kCanary ? chain.table : chain.name);
  }
  if (!natChains.empty()) parts.push_back("nat chains" + natChains);
  const auto jumps = std::count_if(rules.begin(), rules.end(), [](const GoLvscareRule& r) { return r.table == "nat"; });
  if (jumps > 0) parts.push_back(std::to_string(jumps) + " jump rule" + (jumps > 1 ? "s" : ""));
  if (jumps < static_cast<long>(rules.size())) parts.push_back("filter OUTPUT mark rule");
  if (!canaries.empty()) parts.push_back("VIRTUAL-CANARY in" + canaries);
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : "; ") + part;
  return out;
}

std::vector<Message> removeGoLvscareMessages(const GoLvscareObjects& objects) {
  std::vector<Message> out;
  if (!objects.foreignReferences.empty()) return out;
  for (const GoLvscareRule& rule : objects.rules)
    out.push_back(deleteRule(NFPROTO_IPV4, rule.table, rule.chain, rule.handle));
  // All flushed before any is deleted: VIRTUAL-SERVICES jumps to VIRTUAL-MARK-MASQ.
  for (const GoLvscareChain& chain : objects.chains) out.push_back(flushChain(NFPROTO_IPV4, chain.table, chain.name));
  for (const GoLvscareChain& chain : objects.chains) out.push_back(deleteChain(NFPROTO_IPV4, chain.table, chain.name));
  return out;
}

}  // namespace lvscare::nftables
