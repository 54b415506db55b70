// Building a load-balancer table as batch messages, and the same ruleset as nft text.
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include <fmt/format.h>

#include "nftables/lb_ruleset.hpp"

namespace lvscare::nftables {
namespace {

constexpr std::int32_t kPriorityDstNat = -100;  // NF_IP_PRI_NAT_DST: where kube-proxy DNATs too
constexpr std::uint32_t kTypeInteger = 4;       // nft's datatype number for "integer"
constexpr std::uint8_t kIcmpPortUnreachable = 3;
constexpr std::uint8_t kIcmp6PortUnreachable = 4;

Bytes addressBytes(const IpAddress& address) { return Bytes(address.bytes.data(), address.size()); }

// Offsets of the addresses in the IPv4 / IPv6 header.
std::uint32_t daddrOffset(const IpAddress& address) { return address.isV4() ? 16 : 24; }
std::uint32_t saddrOffset(const IpAddress& address) { return address.isV4() ? 12 : 8; }

// ip daddr <vip> <proto> dport <port> goto lb
void entryRule(ExpressionList& rule, const ServiceKey& key) {
  const auto& vip = key.endpoint.address;
  rule.payload(NFT_PAYLOAD_NETWORK_HEADER, daddrOffset(vip), static_cast<std::uint32_t>(vip.size()), kReg1)
      .cmp(kReg1, NFT_CMP_EQ, addressBytes(vip))
      .metaLoad(NFT_META_L4PROTO, kReg1)
      .cmp(kReg1, NFT_CMP_EQ, std::vector<std::uint8_t>{ipProtocolNumber(key.protocol)})
      .payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, kReg1)
      .cmp(kReg1, NFT_CMP_EQ, be16Bytes(key.endpoint.port))
      .immediateVerdict(kVerdictGoto, "lb");
}

// numgen inc|random mod <total> vmap { ... }, or jhash ip saddr|daddr mod <total> seed 0x0 vmap { ... }
void selectRule(ExpressionList& rule, const ServiceKey& key, const SchedulerPlan& plan, std::uint32_t total,
                std::uint32_t setId) {
  const auto& vip = key.endpoint.address;
  switch (plan.selector) {
    case Selector::Increment: rule.numgen(kReg1, total, NFT_NG_INCREMENTAL); break;
    case Selector::Random: rule.numgen(kReg1, total, NFT_NG_RANDOM); break;
    case Selector::SourceHash:
    case Selector::DestinationHash: {
      const auto offset = plan.selector == Selector::SourceHash ? saddrOffset(vip) : daddrOffset(vip);
      const auto length = static_cast<std::uint32_t>(vip.size());
      rule.payload(NFT_PAYLOAD_NETWORK_HEADER, offset, length, kReg2).jhash(kReg2, kReg1, length, total, 0);
      break;
    }
  }
  // The map is an interval tree compared as big-endian bytes; numgen and hash yield host order.
  rule.byteorderHton(kReg1, kReg1, 4, 4).lookup("__map%d", setId, kReg1, kRegVerdict);
}

// meta l4proto <proto> counter dnat to <address>:<port> comment "rs <address>:<port> weight <w>"
void backendRule(ExpressionList& rule, Protocol protocol, const RealServer& real) {
  const auto& address = real.endpoint.address;
  rule.metaLoad(NFT_META_L4PROTO, kReg1)
      .cmp(kReg1, NFT_CMP_EQ, std::vector<std::uint8_t>{ipProtocolNumber(protocol)})
      .counter()
      .immediateData(kReg1, addressBytes(address))
      .immediateData(kReg2, be16Bytes(real.endpoint.port))
      .nat(NFT_NAT_DNAT, nfFamily(address.family), kReg1, kReg2, NF_NAT_RANGE_PROTO_SPECIFIED);
}

std::string selectorText(const ServiceKey& key, const SchedulerPlan& plan, std::uint32_t total) {
  const std::string family = key.endpoint.address.isV4() ? "ip" : "ip6";
  switch (plan.selector) {
    case Selector::Increment: return fmt::format("numgen inc mod {}", total);
    case Selector::Random: return fmt::format("numgen random mod {}", total);
    case Selector::SourceHash: return fmt::format("jhash {} saddr mod {} seed 0x0", family, total);
    case Selector::DestinationHash: return fmt::format("jhash {} daddr mod {} seed 0x0", family, total);
  }
  return {};
}

std::uint32_t slotTotal(const std::vector<Slot>& slots) { return slots.empty() ? 0 : slots.back().first + slots.back().count; }

}  // namespace

std::vector<Message> buildLbTable(const LbService& lb, std::uint32_t setId) {
  const auto& key = lb.service.key;
  const auto family = nfFamily(key.endpoint.address.family);
  const auto table = lbTableName(key);
  const auto plan = planScheduler(lb.service.scheduler).value_or(SchedulerPlan{});
  const auto slots = computeSlots(plan, lb.reals);
  const auto total = slotTotal(slots);

  std::vector<Message> out;
  out.reserve(8 + 2 * lb.reals.size());
  out.push_back(newTable(TableSpec{family, table, serviceComment(lb.service), 0}, true));
  out.push_back(newChain(ChainSpec{family, table, "prerouting", BaseChain{NF_INET_PRE_ROUTING, kPriorityDstNat, "nat", NF_ACCEPT}, {}}));
  out.push_back(newChain(ChainSpec{family, table, "output", BaseChain{NF_INET_LOCAL_OUT, kPriorityDstNat, "nat", NF_ACCEPT}, {}}));
  out.push_back(newChain(ChainSpec{family, table, "lb", std::nullopt, {}}));
  for (const auto& real : lb.reals) {
    const auto chain = backendChainName(real.endpoint);
    out.push_back(newChain(ChainSpec{family, table, chain, std::nullopt, {}}));
    out.push_back(newRule(family, table, chain, [&](ExpressionList& rule) { backendRule(rule, key.protocol, real); },
                          backendComment(real)));
  }
  if (total == 0) {
    // reject: ICMP port unreachable, what IPVS answers when no destination is available
    out.push_back(newRule(
        family, table, "lb",
        [&](ExpressionList& rule) {
          rule.reject(NFT_REJECT_ICMP_UNREACH, key.endpoint.address.isV4() ? kIcmpPortUnreachable : kIcmp6PortUnreachable);
        },
        lbComment(lb.reals.size(), 0)));
  } else {
    std::vector<SetElement> elements;
    elements.reserve(slots.size() + 1);
    for (const auto& slot : slots) {
      elements.push_back(SetElement{be32Bytes(slot.first), Verdict{kVerdictGoto, backendChainName(lb.reals[slot.real].endpoint)}, {}, 0});
    }
    elements.push_back(SetElement{be32Bytes(total), std::nullopt, {}, NFT_SET_ELEM_INTERVAL_END});
    SetSpec set;
    set.family = family;
    set.table = table;
    set.name = "__map%d";
    set.id = setId;
    set.flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_INTERVAL | NFT_SET_MAP;
    set.keyType = kTypeInteger;
    set.keyLength = 4;
    set.dataType = NFT_DATA_VERDICT;
    set.sizeHint = static_cast<std::uint32_t>(elements.size());
    set.keyHostOrder = true;
    out.push_back(newSet(set));
    for (auto& message : newSetElements(family, table, set.name, setId, elements)) out.push_back(std::move(message));
    out.push_back(newRule(
        family, table, "lb", [&](ExpressionList& rule) { selectRule(rule, key, plan, total, setId); },
        lbComment(lb.reals.size(), activeCount(lb.reals))));
  }
  for (const char* chain : {"prerouting", "output"}) {
    out.push_back(newRule(family, table, chain, [&](ExpressionList& rule) { entryRule(rule, key); }));
  }
  return out;
}

std::string renderLbNft(const LbService& lb) {
  const auto& key = lb.service.key;
  const std::string family = key.endpoint.address.isV4() ? "ip" : "ip6";
  const auto plan = planScheduler(lb.service.scheduler).value_or(SchedulerPlan{});
  const auto slots = computeSlots(plan, lb.reals);
  const auto total = slotTotal(slots);
  const std::string match = fmt::format("{} daddr {} {} dport {} goto lb", family, key.endpoint.address.toString(),
                                        protocolName(key.protocol), key.endpoint.port);
  std::string out = fmt::format("table {} {} {{\n\tcomment \"{}\"\n", family, lbTableName(key), serviceComment(lb.service));
  out += fmt::format("\tchain prerouting {{\n\t\ttype nat hook prerouting priority -100; policy accept;\n\t\t{}\n\t}}\n", match);
  out += fmt::format("\tchain output {{\n\t\ttype nat hook output priority -100; policy accept;\n\t\t{}\n\t}}\n", match);
  if (total == 0) {
    out += fmt::format("\tchain lb {{\n\t\treject comment \"{}\"\n\t}}\n", lbComment(lb.reals.size(), 0));
  } else {
    std::string elements;
    for (const auto& slot : slots) {
      if (!elements.empty()) elements += ", ";
      const auto chain = backendChainName(lb.reals[slot.real].endpoint);
      elements += slot.count == 1 ? fmt::format("{} : goto {}", slot.first, chain)
                                  : fmt::format("{}-{} : goto {}", slot.first, slot.first + slot.count - 1, chain);
    }
    out += fmt::format("\tchain lb {{\n\t\t{} vmap {{ {} }} comment \"{}\"\n\t}}\n", selectorText(key, plan, total), elements,
                       lbComment(lb.reals.size(), activeCount(lb.reals)));
  }
  for (const auto& real : lb.reals) {
    const auto& address = real.endpoint.address;
    const std::string target = address.isV4() ? fmt::format("{}:{}", address.toString(), real.endpoint.port)
                                              : fmt::format("[{}]:{}", address.toString(), real.endpoint.port);
    out += fmt::format("\tchain {} {{\n\t\tmeta l4proto {} counter dnat to {} comment \"{}\"\n\t}}\n",
                       backendChainName(real.endpoint), protocolName(key.protocol), target, backendComment(real));
  }
  out += "}\n";
  return out;
}

}  // namespace lvscare::nftables
