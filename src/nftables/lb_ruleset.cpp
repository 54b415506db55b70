// Building a load-balancer table as batch messages, and the same ruleset as nft text.
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>

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
  rule.byteorderHton(kReg1, kReg1, 4, 4).lookup(kSlotsMap, setId, kReg1, kRegVerdict);
}

// meta l4proto <proto> counter dnat to <address>:<port> comment "rs <address>:<port> weight <w>"
void backendRule(ExpressionList& rule, Protocol protocol, const RealServer& real, const CounterValue& carried) {
  const auto& address = real.endpoint.address;
  rule.metaLoad(NFT_META_L4PROTO, kReg1)
      .cmp(kReg1, NFT_CMP_EQ, std::vector<std::uint8_t>{ipProtocolNumber(protocol)})
      .counter(carried.packets, carried.bytes)
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

std::uint32_t slotTotal(const std::vector<Slot>& slots) {
  return slots.empty() ? 0 : slots.back().first + slots.back().count;
}

// What every message about one table needs to know.
struct TableContext {
  explicit TableContext(const LbService& service)
      : lb(service),
        key(service.service.key),
        family(nfFamily(key.endpoint.address.family)),
        table(lbTableName(key)),
        plan(planScheduler(service.service.scheduler).value_or(SchedulerPlan{})),
        slots(computeSlots(plan, service.reals)),
        total(slotTotal(slots)) {}

  const LbService& lb;
  const ServiceKey& key;
  std::uint8_t family;
  std::string table;
  SchedulerPlan plan;
  std::vector<Slot> slots;
  std::uint32_t total;
};

void addBackendRule(const TableContext& t, const RealServer& real, const ConnectionCounts& counts,
                    std::vector<Message>& out) {
  const auto count = counts.find(real.endpoint);
  const CounterValue carried = count == counts.end() ? CounterValue{} : count->second;
  out.push_back(newRule(
      t.family, t.table, backendChainName(real.endpoint),
      [&](ExpressionList& rule) { backendRule(rule, t.key.protocol, real, carried); }, backendComment(real)));
}

// The map's elements and the lb rule that looks them up (or rejects when no backend is active).
void addSelection(const TableContext& t, std::uint32_t setId, std::vector<Message>& out) {
  if (t.total == 0) {
    // reject: ICMP port unreachable, what IPVS answers when no destination is available
    out.push_back(newRule(
        t.family, t.table, "lb",
        [&](ExpressionList& rule) {
          rule.reject(NFT_REJECT_ICMP_UNREACH,
                      t.key.endpoint.address.isV4() ? kIcmpPortUnreachable : kIcmp6PortUnreachable);
        },
        lbComment(t.lb.reals.size(), 0)));
    return;
  }
  std::vector<SetElement> elements;
  elements.reserve(2 * t.slots.size());
  // Each range as a start and an end element, as nft sends them: a named interval map checks
  // ranges for overlap, and an end may share its key with the next range's start.
  for (const auto& slot : t.slots) {
    elements.push_back(SetElement{
        be32Bytes(slot.first), Verdict{kVerdictGoto, backendChainName(t.lb.reals[slot.real].endpoint)}, {}, 0});
    elements.push_back(SetElement{be32Bytes(slot.first + slot.count), std::nullopt, {}, NFT_SET_ELEM_INTERVAL_END});
  }
  for (auto& message : newSetElements(t.family, t.table, kSlotsMap, setId, elements)) out.push_back(std::move(message));
  out.push_back(newRule(
      t.family, t.table, "lb", [&](ExpressionList& rule) { selectRule(rule, t.key, t.plan, t.total, setId); },
      lbComment(t.lb.reals.size(), activeCount(t.lb.reals))));
}

}  // namespace

std::vector<Message> buildLbTable(const LbService& lb, std::uint32_t setId, const ConnectionCounts& counts) {
  const TableContext t(lb);
  std::vector<Message> out;
  out.reserve(10 + 2 * lb.reals.size());
  out.push_back(newTable(TableSpec{t.family, t.table, serviceComment(lb.service), 0}, true));
  out.push_back(newChain(ChainSpec{
      t.family, t.table, "prerouting", BaseChain{NF_INET_PRE_ROUTING, kPriorityDstNat, "nat", NF_ACCEPT}, {}}));
  out.push_back(newChain(
      ChainSpec{t.family, t.table, "output", BaseChain{NF_INET_LOCAL_OUT, kPriorityDstNat, "nat", NF_ACCEPT}, {}}));
  out.push_back(newChain(ChainSpec{t.family, t.table, "lb", std::nullopt, {}}));
  // A named map rather than an anonymous one: the kernel binds an anonymous set to its rule by
  // walking the whole transaction, which makes a transaction of many tables quadratic.
  SetSpec set;
  set.family = t.family;
  set.table = t.table;
  set.name = std::string(kSlotsMap);
  set.id = setId;
  set.flags = NFT_SET_INTERVAL | NFT_SET_MAP;
  set.keyType = kTypeInteger;
  set.keyLength = 4;
  set.dataType = NFT_DATA_VERDICT;
  set.keyHostOrder = true;
  out.push_back(newSet(set));
  for (const auto& real : lb.reals) {
    out.push_back(newChain(ChainSpec{t.family, t.table, backendChainName(real.endpoint), std::nullopt, {}}));
    addBackendRule(t, real, counts, out);
  }
  addSelection(t, setId, out);
  for (const char* chain : {"prerouting", "output"}) {
    out.push_back(newRule(t.family, t.table, chain, [&](ExpressionList& rule) { entryRule(rule, t.key); }));
  }
  return out;
}

std::vector<Message> buildLbUpdate(const LbService& before, const LbService& after, std::uint32_t setId,
                                   const ConnectionCounts& counts) {
  const TableContext t(after);
  std::vector<Message> out;
  // Unhook the selection first: the old map's elements hold references to the chains that go.
  out.push_back(flushChain(t.family, t.table, "lb"));
  out.push_back(flushSet(t.family, t.table, kSlotsMap));
  auto findIn = [](const LbService& lb, const Endpoint& endpoint) -> const RealServer* {
    for (const auto& real : lb.reals) {
      if (real.endpoint == endpoint) return &real;
    }
    return nullptr;
  };
  for (const auto& old : before.reals) {
    const RealServer* now = findIn(after, old.endpoint);
    if (now != nullptr && *now == old) continue;
    const auto chain = backendChainName(old.endpoint);
    out.push_back(flushChain(t.family, t.table, chain));
    if (now == nullptr) {
      out.push_back(deleteChain(t.family, t.table, chain));
    } else {
      addBackendRule(t, *now, counts, out);
    }
  }
  for (const auto& real : after.reals) {
    if (findIn(before, real.endpoint) != nullptr) continue;
    out.push_back(newChain(ChainSpec{t.family, t.table, backendChainName(real.endpoint), std::nullopt, {}}));
    addBackendRule(t, real, counts, out);
  }
  addSelection(t, setId, out);
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
  std::string out =
      fmt::format("table {} {} {{\n\tcomment \"{}\"\n", family, lbTableName(key), serviceComment(lb.service));
  out += fmt::format(
      "\tchain prerouting {{\n\t\ttype nat hook prerouting priority -100; policy accept;\n\t\t{}\n\t}}\n", match);
  out +=
      fmt::format("\tchain output {{\n\t\ttype nat hook output priority -100; policy accept;\n\t\t{}\n\t}}\n", match);
  std::string elements;
  for (const auto& slot : slots) {
    if (!elements.empty()) elements += ", ";
    const auto chain = backendChainName(lb.reals[slot.real].endpoint);
    elements += slot.count == 1 ? fmt::format("{} : goto {}", slot.first, chain)
                                : fmt::format("{}-{} : goto {}", slot.first, slot.first + slot.count - 1, chain);
  }
  out += fmt::format("\tmap {} {{\n\t\ttypeof {} : verdict\n\t\tflags interval\n{}\t}}\n", kSlotsMap,
                     selectorText(key, plan, std::max<std::uint32_t>(total, 1)),
                     elements.empty() ? "" : fmt::format("\t\telements = {{ {} }}\n", elements));
  if (total == 0) {
    out += fmt::format("\tchain lb {{\n\t\treject comment \"{}\"\n\t}}\n", lbComment(lb.reals.size(), 0));
  } else {
    out += fmt::format("\tchain lb {{\n\t\t{} vmap @{} comment \"{}\"\n\t}}\n", selectorText(key, plan, total),
                       kSlotsMap, lbComment(lb.reals.size(), activeCount(lb.reals)));
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
