// Names, comments, scheduler plans and slot layout of a load-balancer table (see lb_ruleset.hpp).
#include <linux/netfilter.h>

#include <algorithm>
#include <charconv>
#include <numeric>

#include <fmt/format.h>

#include "nftables/lb_ruleset.hpp"

namespace lvscare::nftables {
namespace {

// Interleaving writes one map element per slot: worth it for small weight sums only.
constexpr std::uint32_t kMaxInterleavedSlots = 256;

std::optional<std::uint16_t> parsePort(std::string_view text) {
  std::uint16_t port = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, port);
  if (ec != std::errc() || ptr != end || port == 0) return std::nullopt;
  return port;
}

}  // namespace

Result<SchedulerPlan> planScheduler(std::string_view scheduler) {
  if (scheduler == "rr") return SchedulerPlan{Selector::Increment, false, false};
  if (scheduler == "wrr") return SchedulerPlan{Selector::Increment, true, true};
  if (scheduler == "random" || scheduler == "lc" || scheduler == "wlc" || scheduler == "sed" || scheduler == "nq") {
    return SchedulerPlan{Selector::Random, true, false};
  }
  if (scheduler == "sh" || scheduler == "mh") return SchedulerPlan{Selector::SourceHash, true, false};
  if (scheduler == "dh") return SchedulerPlan{Selector::DestinationHash, true, false};
  return fail(Errc::Unsupported, fmt::format("scheduler '{}' is not available on the nftables datapath "
                                             "(rr, wrr, random, lc, wlc, sed, nq, sh, mh, dh are)",
                                             scheduler));
}

std::vector<Slot> computeSlots(const SchedulerPlan& plan, std::span<const RealServer> reals) {
  std::vector<std::uint64_t> weights(reals.size(), 0);
  std::uint64_t divisor = 0;
  for (std::size_t i = 0; i < reals.size(); ++i) {
    if (reals[i].weight == 0) continue;
    weights[i] = plan.weighted ? reals[i].weight : 1;
    divisor = std::gcd(divisor, weights[i]);
  }
  std::vector<Slot> slots;
  if (divisor == 0) return slots;
  std::uint64_t total = 0;
  for (auto& weight : weights) {
    weight /= divisor;  // 2:2:4 needs only 1:1:2 slots
    total += weight;
  }
  auto append = [&](std::size_t real, std::uint32_t count) {
    if (!slots.empty() && slots.back().real == real) {
      slots.back().count += count;
      return;
    }
    const std::uint32_t first = slots.empty() ? 0 : slots.back().first + slots.back().count;
    slots.push_back(Slot{real, first, count});
  };
  if (plan.interleave && total <= kMaxInterleavedSlots) {
    // Smooth weighted round robin: each step every backend gains its weight, the richest is picked
    // and pays the total. Weights 5:1:1 give a a b a c a a, not a a a a a b c.
    std::vector<std::int64_t> current(reals.size(), 0);
    for (std::uint64_t step = 0; step < total; ++step) {
      std::size_t best = reals.size();
      for (std::size_t i = 0; i < reals.size(); ++i) {
        if (weights[i] == 0) continue;
        current[i] += static_cast<std::int64_t>(weights[i]);
        if (best == reals.size() || current[i] > current[best]) best = i;
      }
      current[best] -= static_cast<std::int64_t>(total);
      append(best, 1);
    }
    return slots;
  }
  for (std::size_t i = 0; i < reals.size(); ++i) {
    if (weights[i] != 0) append(i, static_cast<std::uint32_t>(weights[i]));
  }
  return slots;
}

std::string_view protocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::Tcp: return "tcp";
    case Protocol::Udp: return "udp";
    case Protocol::Sctp: return "sctp";
  }
  return "?";
}

std::uint8_t ipProtocolNumber(Protocol protocol) {
  switch (protocol) {
    case Protocol::Tcp: return 6;     // IPPROTO_TCP
    case Protocol::Udp: return 17;    // IPPROTO_UDP
    case Protocol::Sctp: return 132;  // IPPROTO_SCTP
  }
  return 0;
}

std::uint8_t nfFamily(Family family) { return family == Family::V4 ? NFPROTO_IPV4 : NFPROTO_IPV6; }

std::string lbTableName(const ServiceKey& key) {
  return fmt::format("{}{}_{}_{}", kTablePrefix, protocolName(key.protocol), nameAddress(key.endpoint.address),
                     key.endpoint.port);
}

std::optional<ServiceKey> parseLbTableName(std::uint8_t family, std::string_view name) {
  if (!name.starts_with(kTablePrefix)) return std::nullopt;
  std::string_view rest = name.substr(kTablePrefix.size());
  const auto protoEnd = rest.find('_');
  const auto portStart = rest.rfind('_');
  if (protoEnd == std::string_view::npos || portStart == protoEnd) return std::nullopt;
  auto protocol = parseProtocol(rest.substr(0, protoEnd));
  auto port = parsePort(rest.substr(portStart + 1));
  std::string address(rest.substr(protoEnd + 1, portStart - protoEnd - 1));
  std::replace(address.begin(), address.end(), '-', ':');
  auto parsed = IpAddress::parse(address);
  if (!protocol || !port || !parsed || nfFamily(parsed->family) != family) return std::nullopt;
  ServiceKey key{*protocol, Endpoint{*parsed, *port}};
  if (lbTableName(key) != name) return std::nullopt;  // only the canonical spelling is ours
  return key;
}

std::string nameAddress(const IpAddress& address) {
  std::string text = address.toString();
  std::replace(text.begin(), text.end(), ':', '-');
  return text;
}

std::string backendChainName(const Endpoint& endpoint) {
  return fmt::format("rs_{}_{}", nameAddress(endpoint.address), endpoint.port);
}

std::string serviceComment(const VirtualServer& service) {
  return fmt::format("lvscare {} scheduler {}", service.key.toString(), service.scheduler);
}

std::string backendComment(const RealServer& real) {
  return fmt::format("rs {} weight {}", real.endpoint.toString(), real.weight);
}

std::string lbComment(std::size_t backends, std::size_t active) {
  return fmt::format("backends {} active {}", backends, active);
}

std::size_t activeCount(std::span<const RealServer> reals) {
  return static_cast<std::size_t>(
      std::count_if(reals.begin(), reals.end(), [](const RealServer& r) { return r.weight > 0; }));
}

Result<void> validateService(const VirtualServer& service) {
  const std::string what = "virtual server " + service.key.toString();
  if (service.key.endpoint.port == 0) return fail(Errc::InvalidArgument, what + ": port 0");
  auto plan = planScheduler(service.scheduler);
  if (!plan) return passOn(plan, what);
  if (service.flags != 0 || service.persistenceTimeout != 0 || service.netmaskBits != 0) {
    return fail(Errc::Unsupported, what + ": persistence and service flags are not available on the nftables datapath");
  }
  return {};
}

Result<void> validateReal(const ServiceKey& key, const RealServer& real) {
  const std::string what = "real server " + real.endpoint.toString() + " of " + key.toString();
  if (real.endpoint.address.family != key.endpoint.address.family) {
    return fail(Errc::InvalidArgument, what + ": address family differs from the virtual server's");
  }
  if (real.endpoint.port == 0) return fail(Errc::InvalidArgument, what + ": port 0");
  if (real.forward != ForwardMethod::Masquerade) {
    return fail(Errc::Unsupported, what + ": forwarding '" + std::string(toString(real.forward)) +
                                       "' is not available on the nftables datapath (masq only: it DNATs)");
  }
  if (real.upperThreshold != 0 || real.lowerThreshold != 0) {
    return fail(Errc::Unsupported, what + ": connection thresholds are not available on the nftables datapath");
  }
  // Slot numbers are u32 map keys: keep any sum of weights far inside that.
  if (real.weight > 0xffffff) return fail(Errc::InvalidArgument, what + ": weight above 16777215");
  return {};
}

}  // namespace lvscare::nftables
