#include "nftables/nat_hook_ruleset.hpp"

#include <linux/netfilter.h>

#include <algorithm>

#include "nftables/lb_ruleset.hpp"

namespace lvscare::nftables {
namespace {

constexpr std::int32_t kPrioritySrcNat = 100;  // NF_IP_PRI_NAT_SRC
constexpr const char* kChain = "postrouting";

std::string comment(const IpAddress& vip) { return "lvscare nat hook " + vip.toString(); }

BaseChain natPostrouting() { return BaseChain{NF_INET_POST_ROUTING, kPrioritySrcNat, "nat", NF_ACCEPT}; }

}  // namespace

std::string natHookTableName(const IpAddress& vip) { return "lvscare_nathook_" + nameAddress(vip); }

std::vector<Message> buildNatHookTable(const IpAddress& vip) {
  const auto family = nfFamily(vip.family);
  const auto table = natHookTableName(vip);
  return {newTable(TableSpec{family, table, comment(vip), 0}, true),
          newChain(ChainSpec{family, table, kChain, natPostrouting(), {}})};
}

bool isIntactNatHookTable(const IpAddress& vip, const TableInfo& table, std::span<const ChainInfo> chains,
                          std::span<const RuleInfo> rules) {
  if (table.name != natHookTableName(vip) || table.family != nfFamily(vip.family) || table.comment != comment(vip))
    return false;
  const auto inTable = [&](const auto& object) { return object.table == table.name && object.family == table.family; };
  if (std::any_of(rules.begin(), rules.end(), inTable)) return false;
  if (std::count_if(chains.begin(), chains.end(), inTable) != 1) return false;
  const auto chain = std::find_if(chains.begin(), chains.end(), inTable);
  const BaseChain wanted = natPostrouting();
  return chain->name == kChain && chain->base && chain->base->hook == wanted.hook &&
         chain->base->priority == wanted.priority && chain->base->type == wanted.type &&
         chain->base->policy == wanted.policy;
}

}  // namespace lvscare::nftables
