// Reading a load-balancer table back from the kernel's rule dump (see lb_ruleset.hpp). Everything we
// wrote is checked, so a table someone altered reads as Malformed instead of as a half-truth.
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "nftables/lb_ruleset.hpp"

namespace lvscare::nftables {
namespace {

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream stream{std::string(text)};
  for (std::string word; stream >> word;) out.push_back(word);
  return out;
}

std::optional<std::uint64_t> parseNumber(std::string_view text) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

Error damaged(const std::string& table, std::string_view what) {
  return Error{Errc::Malformed, 0, fmt::format("table {}: {}", table, what)};
}

// "lvscare TCP 169.254.0.1:80 scheduler rr"
Result<VirtualServer> parseServiceComment(const TableInfo& table, const ServiceKey& key) {
  if (!table.comment) return fail(damaged(table.name, "no comment naming the virtual server"));
  const auto parts = words(*table.comment);
  if (parts.size() != 5 || parts[0] != "lvscare" || parts[3] != "scheduler") {
    return fail(damaged(table.name, "comment '" + *table.comment + "' is not ours"));
  }
  auto protocol = parseProtocol(parts[1]);
  auto endpoint = Endpoint::parse(parts[2]);
  if (!protocol || !endpoint || *protocol != key.protocol || *endpoint != key.endpoint) {
    return fail(damaged(table.name, "comment '" + *table.comment + "' names another virtual server"));
  }
  VirtualServer service;
  service.key = key;
  service.scheduler = parts[4];
  if (auto valid = validateService(service); !valid) return fail(damaged(table.name, valid.error().message));
  return service;
}

// "rs 10.0.0.2:6443 weight 1"
std::optional<RealServer> parseBackendComment(const std::optional<std::string>& comment) {
  if (!comment) return std::nullopt;
  const auto parts = words(*comment);
  if (parts.size() != 4 || parts[0] != "rs" || parts[2] != "weight") return std::nullopt;
  auto endpoint = Endpoint::parse(parts[1]);
  auto weight = parseNumber(parts[3]);
  if (!endpoint || !weight || *weight > 0xffffffffu) return std::nullopt;
  RealServer real;
  real.endpoint = *endpoint;
  real.weight = static_cast<std::uint32_t>(*weight);
  return real;
}

bool cmpEquals(const Expression& expression, std::uint32_t sreg, Bytes value) {
  auto cmp = decodeCmp(expression);
  return cmp && cmp->sreg == sreg && cmp->op == NFT_CMP_EQ && std::ranges::equal(cmp->data, value);
}

bool payloadIs(const Expression& expression, std::uint32_t base, std::uint32_t offset, std::uint32_t length) {
  auto payload = decodePayload(expression);
  return payload && payload->dreg == kReg1 && payload->base == base && payload->offset == offset &&
         payload->length == length;
}

bool metaL4proto(const Expression& expression) {
  auto meta = decodeMeta(expression);
  return meta && meta->key == NFT_META_L4PROTO && meta->dreg == kReg1;
}

// ip daddr <vip> <proto> dport <port> goto lb
bool isEntryRule(const RuleInfo& rule, const ServiceKey& key) {
  const auto& e = rule.expressions;
  const auto& vip = key.endpoint.address;
  const std::uint8_t proto = ipProtocolNumber(key.protocol);
  if (e.size() != 7) return false;
  auto verdict = decodeImmediate(e[6]);
  return payloadIs(e[0], NFT_PAYLOAD_NETWORK_HEADER, vip.isV4() ? 16 : 24, static_cast<std::uint32_t>(vip.size())) &&
         cmpEquals(e[1], kReg1, Bytes(vip.bytes.data(), vip.size())) && metaL4proto(e[2]) &&
         cmpEquals(e[3], kReg1, Bytes(&proto, 1)) && payloadIs(e[4], NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2) &&
         cmpEquals(e[5], kReg1, be16Bytes(key.endpoint.port)) && verdict && verdict->data.verdict &&
         verdict->data.verdict->code == kVerdictGoto && verdict->data.verdict->chain == "lb";
}

// meta l4proto <proto> counter dnat to <address>:<port>: returns the counter.
Result<CounterValue> checkBackendRule(const RuleInfo& rule, const ServiceKey& key, const RealServer& real) {
  const auto& e = rule.expressions;
  const std::uint8_t proto = ipProtocolNumber(key.protocol);
  const auto& address = real.endpoint.address;
  const std::string what = "backend " + real.endpoint.toString();
  if (e.size() != 6 || !metaL4proto(e[0]) || !cmpEquals(e[1], kReg1, Bytes(&proto, 1))) {
    return fail(damaged(rule.table, what + ": rule altered"));
  }
  auto counter = decodeCounter(e[2]);
  if (!counter) return passOn(counter);
  auto addressData = decodeImmediate(e[3]);
  auto portData = decodeImmediate(e[4]);
  auto nat = decodeNat(e[5]);
  const bool addressOk = addressData && addressData->dreg == kReg1 &&
                         std::ranges::equal(addressData->data.value, Bytes(address.bytes.data(), address.size()));
  const bool portOk = portData && portData->dreg == kReg2 && portData->data.value == be16Bytes(real.endpoint.port);
  const bool natOk = nat && nat->type == NFT_NAT_DNAT && nat->family == nfFamily(address.family) &&
                     nat->addressReg == kReg1 && nat->protoReg == kReg2;
  if (!addressOk || !portOk || !natOk) return fail(damaged(rule.table, what + ": DNAT target altered"));
  return *counter;
}

// "backends <n> active <k>" on a rule ending in a verdict-map lookup (k > 0) or a reject (k == 0).
Result<std::pair<std::size_t, std::size_t>> checkLbRule(const RuleInfo& rule) {
  const auto parts = rule.comment ? words(*rule.comment) : std::vector<std::string>{};
  const auto backends =
      parts.size() == 4 && parts[0] == "backends" && parts[2] == "active" ? parseNumber(parts[1]) : std::nullopt;
  const auto active = parts.size() == 4 ? parseNumber(parts[3]) : std::nullopt;
  if (!backends || !active || rule.expressions.empty()) return fail(damaged(rule.table, "lb rule altered"));
  const auto& last = rule.expressions.back();
  if (*active == 0) {
    if (last.name != "reject") return fail(damaged(rule.table, "lb rule altered"));
  } else {
    auto lookup = decodeLookup(last);
    if (!lookup || lookup->dreg != kRegVerdict || lookup->set != kSlotsMap)
      return fail(damaged(rule.table, "lb rule altered"));
  }
  return std::pair<std::size_t, std::size_t>{*backends, *active};
}

}  // namespace

Result<LbReading> decodeLbTable(const TableInfo& table, std::span<const RuleInfo> rules) {
  const auto key = parseLbTableName(table.family, table.name);
  if (!key) return fail(damaged(table.name, "not a load-balancer table of ours"));
  auto service = parseServiceComment(table, *key);
  if (!service) return passOn(service);

  std::map<std::string, int> entries;
  std::optional<std::pair<std::size_t, std::size_t>> lbCounts;
  std::map<Endpoint, std::pair<RealServer, CounterValue>> backends;
  for (const auto& rule : rules) {
    if (rule.table != table.name || rule.family != table.family) continue;
    if (rule.chain == "prerouting" || rule.chain == "output") {
      if (!isEntryRule(rule, *key)) return fail(damaged(table.name, rule.chain + " rule altered"));
      ++entries[rule.chain];
    } else if (rule.chain == "lb") {
      if (lbCounts) return fail(damaged(table.name, "more than one lb rule"));
      auto counts = checkLbRule(rule);
      if (!counts) return passOn(counts);
      lbCounts = *counts;
    } else {
      auto real = parseBackendComment(rule.comment);
      if (!real || backendChainName(real->endpoint) != rule.chain || backends.contains(real->endpoint)) {
        return fail(damaged(table.name, "unexpected rule in chain " + rule.chain));
      }
      if (auto valid = validateReal(*key, *real); !valid) return fail(damaged(table.name, valid.error().message));
      auto packets = checkBackendRule(rule, *key, *real);
      if (!packets) return passOn(packets);
      backends.emplace(real->endpoint, std::make_pair(*real, *packets));
    }
  }
  if (entries["prerouting"] != 1 || entries["output"] != 1) {
    return fail(damaged(table.name, "entry rules in prerouting/output missing or repeated"));
  }
  if (!lbCounts) return fail(damaged(table.name, "lb rule missing"));
  LbReading reading;
  reading.lb.service = std::move(*service);
  for (auto& [endpoint, value] : backends) {
    reading.lb.reals.push_back(value.first);
    reading.counters.push_back(value.second);
  }
  if (lbCounts->first != reading.lb.reals.size() || lbCounts->second != activeCount(reading.lb.reals)) {
    return fail(damaged(table.name, fmt::format("{} backend rules found, lb rule says {} ({} active)",
                                                reading.lb.reals.size(), lbCounts->first, lbCounts->second)));
  }
  return reading;
}

}  // namespace lvscare::nftables
