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
  return fail(Errc::InvalidArgument, "want route, link or \"\"");
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
  return fail(Errc::InvalidArgument, "want ipvs, nftables or auto");
}

std::string_view toString(ConfigField field) {
  switch (field) {
    case ConfigField::VirtualServer: return "virtualServer";
    case ConfigField::RealServers: return "realServers";
    case ConfigField::Scheduler: return "scheduler";
    case ConfigField::InterfaceName: return "interfaceName";
    case ConfigField::Clean: return "clean";
    case ConfigField::NodeIp: return "nodeIp";
    case ConfigField::MasqueradeBit: return "masqueradeBit";
    case ConfigField::ReconcileInterval: return "reconcileInterval";
    case ConfigField::DrainTimeout: return "drainTimeout";
    case ConfigField::FlapDampingBase: return "flapDampingBase";
    case ConfigField::FlapDampingMax: return "flapDampingMax";
    case ConfigField::Interval: return "policy.interval";
    case ConfigField::Rise: return "policy.rise";
    case ConfigField::Fall: return "policy.fall";
    case ConfigField::FastInterval: return "policy.fastInterval";
    case ConfigField::Jitter: return "policy.jitter";
    case ConfigField::ProbeTimeout: return "probe.timeout";
    case ConfigField::ProbeMethod: return "probe.method";
    case ConfigField::ProbePath: return "probe.path";
    case ConfigField::ProbeHeaders: return "probe.headers";
    case ConfigField::ProbeStatuses: return "probe.extraHealthyStatuses";
  }
  return "?";
}

std::string describe(const ConfigError& error) {
  return lvscare::describe<ConfigField>(error, [](ConfigField field) { return std::string(toString(field)); });
}

namespace {

using Checked = FieldResult<ConfigField>;

std::string_view familyName(const IpAddress& address) { return address.isV4() ? "IPv4" : "IPv6"; }
std::string quoted(std::string_view text) { return fmt::format("\"{}\"", text); }

// Linux accepts 1..15 bytes (IFNAMSIZ - 1), not "." or "..", and no '/', ':' or white space.
bool validInterfaceName(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
  });
}

ConfigField configField(health::HealthField field) {
  switch (field) {
    case health::HealthField::Interval: return ConfigField::Interval;
    case health::HealthField::Rise: return ConfigField::Rise;
    case health::HealthField::Fall: return ConfigField::Fall;
    case health::HealthField::FastInterval: return ConfigField::FastInterval;
    case health::HealthField::Jitter: return ConfigField::Jitter;
    case health::HealthField::Timeout: return ConfigField::ProbeTimeout;
    case health::HealthField::Method: return ConfigField::ProbeMethod;
    case health::HealthField::Path: return ConfigField::ProbePath;
    case health::HealthField::Headers: return ConfigField::ProbeHeaders;
    case health::HealthField::Statuses: return ConfigField::ProbeStatuses;
  }
  return ConfigField::ProbeMethod;
}

// The health layer's verdict on the probe or the policy, as a field of this config.
Checked fromHealth(const FieldResult<health::HealthField>& checked) {
  if (checked) return {};
  const health::HealthError& e = checked.error();
  ConfigError error{configField(e.field), e.item, e.value, e.problem, std::nullopt, e.namesItself};
  return tl::unexpected<ConfigError>(std::move(error));
}

// The real servers: required unless cleaning, of the VIP's family, each once.
Checked checkRealServers(const CareConfig& config) {
  const IpAddress& vip = config.virtualServer.address;
  if (config.realServers.empty() && !config.clean)
    return fieldError(ConfigField::RealServers, "", "required unless {} is given", ConfigField::Clean);
  std::set<Endpoint> seen;
  for (std::size_t i = 0; i < config.realServers.size(); ++i) {
    const Endpoint& rs = config.realServers[i];
    if (rs.address.family != vip.family)
      return fieldError(ConfigField::RealServers, quoted(rs.toString()),
                        fmt::format("an {} real server for the {} {{}} {}", familyName(rs.address), familyName(vip),
                                    config.virtualServer.toString()),
                        ConfigField::VirtualServer, i);
    if (!seen.insert(rs).second)
      return fieldError(ConfigField::RealServers, quoted(rs.toString()), "given twice", std::nullopt, i);
  }
  return {};
}

// A VIP that cannot be meant: nothing can be balanced behind it, or balancing it breaks the node.
Checked checkVip(const CareConfig& config) {
  const IpAddress& vip = config.virtualServer.address;
  const std::string text = config.virtualServer.toString();
  const auto refuse = [&](std::string why) { return fieldError(ConfigField::VirtualServer, text, std::move(why)); };
  if (vip.isUnspecified()) return refuse("the unspecified address is no VIP (it means every address of this node)");
  if (vip.isMulticast()) return refuse("a multicast address is no VIP (one connection cannot go to a group)");
  if (vip.isLimitedBroadcast()) return refuse("the broadcast address is no VIP");
  if (vip.isV4Mapped()) return refuse("an IPv4-mapped IPv6 address: write the IPv4 address itself");
  for (std::size_t i = 0; i < config.realServers.size(); ++i) {
    if (config.realServers[i] == config.virtualServer)
      return fieldError(ConfigField::RealServers, quoted(config.realServers[i].toString()),
                        "is the virtual server itself: its connections would loop", std::nullopt, i);
  }
  if (config.nodeIp && *config.nodeIp == vip)
    return fieldError(ConfigField::NodeIp, config.nodeIp->toString(),
                      "is the VIP itself: the node's own address would be taken over", std::nullopt);
  return {};
}

}  // namespace

std::vector<std::string> configWarnings(const CareConfig& config) {
  std::vector<std::string> out;
  if (config.virtualServer.address.isLoopback())
    out.push_back("vs=" + config.virtualServer.toString() +
                  " is a loopback address: connections from this node to that port go to the real servers "
                  "instead of any local service on it");
  return out;
}

FieldResult<ConfigField> validateConfig(const CareConfig& config) {
  const IpAddress& vip = config.virtualServer.address;
  if (config.virtualServer.port == 0)
    return fieldError(ConfigField::VirtualServer, "", "required (host:port, e.g. 10.103.97.12:6443)");
  if (auto checked = checkVip(config); !checked) return checked;
  if (auto reals = checkRealServers(config); !reals) return reals;
  if (std::find(kSchedulers.begin(), kSchedulers.end(), config.scheduler) == kSchedulers.end())
    return fieldError(ConfigField::Scheduler, quoted(config.scheduler), "want one of rr, lc, dh, sh, wrr, wlc");
  if (!validInterfaceName(config.interfaceName))
    return fieldError(ConfigField::InterfaceName, quoted(config.interfaceName),
                      "not a valid interface name (1-15 characters, no '/', ':' or spaces)");
  if (config.masqueradeBit < 0 || config.masqueradeBit > 31)
    return fieldError(ConfigField::MasqueradeBit, std::to_string(config.masqueradeBit), "want 0 to 31");
  if (config.nodeIp && config.nodeIp->family != vip.family)
    return fieldError(ConfigField::NodeIp, config.nodeIp->toString(),
                      fmt::format("an {} node IP for the {} {{}} {}", familyName(*config.nodeIp), familyName(vip),
                                  config.virtualServer.toString()),
                      ConfigField::VirtualServer);
  if (config.reconcileInterval <= health::Duration::zero())
    return fieldError(ConfigField::ReconcileInterval, health::formatDuration(config.reconcileInterval),
                      "must be more than 0");
  if (config.drainTimeout < health::Duration::zero())
    return fieldError(ConfigField::DrainTimeout, health::formatDuration(config.drainTimeout), "must not be negative");
  if (config.flapDampingBase < health::Duration::zero())
    return fieldError(ConfigField::FlapDampingBase, health::formatDuration(config.flapDampingBase),
                      "must not be negative");
  if (config.flapDampingBase > health::Duration::zero() && config.flapDampingMax < config.flapDampingBase)
    return fieldError(ConfigField::FlapDampingMax, health::formatDuration(config.flapDampingMax),
                      fmt::format("must be at least the base ({})", health::formatDuration(config.flapDampingBase)),
                      ConfigField::FlapDampingBase);
  if (auto probe = fromHealth(health::checkProbeConfig(config.probe)); !probe) return probe;
  return fromHealth(health::checkPolicy(config.policy));
}

VirtualServer virtualServerOf(const CareConfig& config) {
  VirtualServer vs;
  vs.key = ServiceKey{Protocol::Tcp, config.virtualServer};
  vs.scheduler = config.scheduler;
  return vs;
}

}  // namespace lvscare::care
