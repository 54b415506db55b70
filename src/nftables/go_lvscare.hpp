// Go LVScare's link mode, as iptables-nft leaves it in nftables: the nat chains VIRTUAL-SERVICES,
// VIRTUAL-POSTROUTING and VIRTUAL-MARK-MASQ with their jump rules from OUTPUT, PREROUTING and
// POSTROUTING, the filter OUTPUT ACCEPT rule for its mark, and the VIRTUAL-CANARY chains of its
// monitor in filter and nat (the ipset VIRTUAL-IP is ipset_client.hpp's). Rules are recognised by
// their jump target and LVScare's comment (iptables-nft keeps `-m comment` as an xt "comment"
// match; newer versions as rule userdata): nothing else is ever matched, so -C removes exactly
// those. Pure: table contents in, findings and messages out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nftables/objects.hpp"

namespace lvscare::nftables {

// One iptables-nft table (`ip nat`, `ip filter`) as read from the kernel.
struct IptablesTable {
  std::string name;
  std::vector<std::string> chains;
  std::vector<RuleInfo> rules;
  std::vector<std::vector<std::uint8_t>> buffers;  // what the rules' expressions point into
};

struct GoLvscareRule {
  std::string table;
  std::string chain;
  std::uint64_t handle = 0;
  std::string comment;
};
struct GoLvscareChain {
  std::string table;
  std::string name;
};

struct GoLvscareObjects {
  std::vector<GoLvscareRule> rules;    // the jump rules and the filter OUTPUT mark rule
  std::vector<GoLvscareChain> chains;  // LVScare's chains, in the order they can be deleted
  // Rules that are not LVScare's but jump to one of its chains: deleting the chains would touch
  // them, so removal is refused while there is one ("ip nat OUTPUT handle 7").
  std::vector<std::string> foreignReferences;
  bool empty() const { return rules.empty() && chains.empty(); }
  // "nat chains VIRTUAL-SERVICES VIRTUAL-POSTROUTING; 3 jump rules; filter OUTPUT mark rule;
  // VIRTUAL-CANARY in filter nat"; empty when nothing was found.
  std::string summary() const;
};

// The comment a rule carries: userdata, else an xt "comment" match. nullopt when none.
std::optional<std::string> ruleComment(const RuleInfo& rule);
// The chain a rule jumps or goes to; nullopt for any other verdict.
std::optional<std::string> jumpTarget(const RuleInfo& rule);

GoLvscareObjects findGoLvscareObjects(const IptablesTable* nat, const IptablesTable* filter);

// One transaction's messages: LVScare's rules by handle, then its chains flushed and deleted.
// Empty when there is nothing to remove or a foreign rule refers to one of the chains.
std::vector<Message> removeGoLvscareMessages(const GoLvscareObjects& objects);

}  // namespace lvscare::nftables
