#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "lvscare/care.hpp"
#include "lvscare/probers.hpp"

namespace lvscare::care {

std::string_view toString(Mode mode) {
  switch (mode) {
    case Mode::None: return "";
    case Mode::Route: return "route";
    case Mode::Link: return "link";
  }
  return "?";
}

Result<Mode> parseMode(std::string_view text) {
  if (text.empty()) return Mode::None;
  if (text == "route") return Mode::Route;
  if (text == "link") return Mode::Link;
  return fail(Errc::InvalidArgument, fmt::format("--mode \"{}\": want route, link or \"\"", text));
}

std::string_view toString(DatapathChoice choice) {
  switch (choice) {
    case DatapathChoice::Auto: return "auto";
    case DatapathChoice::Ipvs: return "ipvs";
    case DatapathChoice::Nftables: return "nftables";
  }
  return "?";
}

Result<DatapathChoice> parseDatapathChoice(std::string_view text) {
  if (text == "auto") return DatapathChoice::Auto;
  if (text == "ipvs") return DatapathChoice::Ipvs;
  if (text == "nftables" || text == "nft") return DatapathChoice::Nftables;
  return fail(Errc::InvalidArgument, fmt::format("--datapath \"{}\": want ipvs, nftables or auto", text));
}

namespace {

Result<void> invalid(std::string message) { return fail(Errc::InvalidArgument, std::move(message)); }

std::string_view familyName(const IpAddress& address) { return address.isV4() ? "IPv4" : "IPv6"; }

// Linux accepts 1..15 bytes (IFNAMSIZ - 1), not "." or "..", and no '/', ':' or white space.
bool validInterfaceName(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
  });
}

// Like health::validatePolicy(), with the messages naming the flags.
Result<void> validatePolicyFlags(const health::CheckPolicy& policy) {
  using namespace std::chrono;
  if (policy.interval <= health::Duration::zero())
    return invalid("--interval: must be more than 0");
  if (policy.rise < 1) return invalid(fmt::format("--health-rise {}: must be at least 1", policy.rise));
  if (policy.fall < 1) return invalid(fmt::format("--health-fall {}: must be at least 1", policy.fall));
  if (policy.fastInterval < health::Duration::zero()) return invalid("--health-fast-interval: must not be negative");
  if (!(policy.jitter >= 0.0 && policy.jitter <= 0.5))
    return invalid(fmt::format("--health-jitter {}: want a fraction from 0 to 0.5", policy.jitter));
  return {};
}

}  // namespace

Result<void> validateConfig(const CareConfig& config) {
  const IpAddress& vip = config.virtualServer.address;
  if (config.virtualServer.port == 0) return invalid("--vs: required (host:port)");
  if (config.realServers.empty() && !config.clean) return invalid("--rs: required unless -C is given");
  std::set<Endpoint> seen;
  for (const Endpoint& rs : config.realServers) {
    if (rs.address.family != vip.family)
      return invalid(fmt::format("--rs \"{}\": an {} real server for the {} --vs {}", rs.toString(),
                                 familyName(rs.address), familyName(vip), config.virtualServer.toString()));
    if (!seen.insert(rs).second) return invalid(fmt::format("--rs \"{}\": given twice", rs.toString()));
  }
  if (std::find(kSchedulers.begin(), kSchedulers.end(), config.scheduler) == kSchedulers.end())
    return invalid(fmt::format("--scheduler \"{}\": want one of rr, lc, dh, sh, wrr, wlc", config.scheduler));
  if (!validInterfaceName(config.interfaceName))
    return invalid(fmt::format("--iface \"{}\": not a valid interface name (1-15 characters, no '/', ':' or spaces)",
                               config.interfaceName));
  if (config.masqueradeBit < 0 || config.masqueradeBit > 31)
    return invalid(fmt::format("--masqueradebit {}: want a bit number from 0 to 31", config.masqueradeBit));
  if (config.nodeIp && config.nodeIp->family != vip.family)
    return invalid(fmt::format("--ip {}: an {} node IP for the {} --vs {}", config.nodeIp->toString(),
                               familyName(*config.nodeIp), familyName(vip), config.virtualServer.toString()));
  if (config.probe.timeout <= health::Duration::zero()) return invalid("--health-timeout: must be more than 0");
  if (config.reconcileInterval <= health::Duration::zero()) return invalid("reconcile interval: must be more than 0");
  if (auto policy = validatePolicyFlags(config.policy); !policy) return policy;
  // Method, path and header syntax (no CR/LF smuggling), statuses: the probers' own rules.
  return health::validateProbeConfig(config.probe);
}

VirtualServer virtualServerOf(const CareConfig& config) {
  VirtualServer vs;
  vs.key = ServiceKey{Protocol::Tcp, config.virtualServer};
  vs.scheduler = config.scheduler;
  return vs;
}

}  // namespace lvscare::care
