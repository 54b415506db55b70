#include "care/mode_setup.hpp"

#include <algorithm>

#include "care/host_parts.hpp"
#include "lvscare/log.hpp"
#include "nftables/host_rules.hpp"

namespace lvscare::care {
namespace {

IpAddress vipOf(const CareConfig& config) { return config.virtualServer.address; }

host::DummyLinkSpec linkSpec(const CareConfig& config) {
  host::DummyLinkSpec spec;
  spec.name = config.interfaceName;
  spec.vip = vipOf(config);
  return spec;
}

nftables::MasqueradeSpec masqueradeSpec(const CareConfig& config) {
  return nftables::MasqueradeSpec{vipOf(config), static_cast<unsigned>(config.masqueradeBit)};
}

// Route mode. With IPVS and a real server on this host (LVScare's own example: --rs 127.0.0.1:8081)
// the VIP must route locally: IPVS keeps a packet's original route when its new destination is
// local, so behind `<VIP> via <node IP>` the rewritten packet leaves through the node IP's link
// and never reaches lo (seen in the VM: connections stuck in SYN_RECV). `local <VIP> dev lo src
// <node IP>` delivers it, still with the node IP as the clients' source, and carries traffic to
// remote real servers as well. nftables needs no such route: its DNAT re-routes the packet.
// "On this host" as the command line tells: a loopback address or the node IP itself.
host::RouteSpec routeSpec(const CareConfig& config, DatapathKind datapath) {
  host::RouteSpec spec{vipOf(config), *config.nodeIp};
  const bool realServerHere =
      std::any_of(config.realServers.begin(), config.realServers.end(),
                  [&](const Endpoint& rs) { return rs.address.isLoopback() || rs.address == spec.nodeIp; });
  spec.local = datapath == DatapathKind::Ipvs && realServerHere;
  if (spec.local) {
    logf(LogLevel::Info, "mode=route route={} reason={}", logValue(spec.toString()),
         logValue("IPVS with a real server on this host needs the VIP routed locally"));
  }
  return spec;
}

// Link mode's masquerade, owning the netfilter socket it needs.
Result<std::unique_ptr<HostSetup>> masqueradeSetup(const CareConfig& config) {
  auto rules = nftables::NftHostRules::open();
  if (!rules) return passOn(rules);
  return std::make_unique<MasqueradeSetup>(std::move(*rules), masqueradeSpec(config));
}

// The parts config.mode is made of.
Result<std::unique_ptr<HostSetup>> modeSetup(const CareConfig& config, netlink::Socket& rtnl, DatapathKind datapath,
                                             const ModuleLoader& loader) {
  switch (config.mode) {
    case Mode::None: return std::make_unique<NoHostSetup>();
    case Mode::Route:
      if (!config.nodeIp) {
        // LVScare's behaviour: route mode without a node IP sets no route.
        logf(LogLevel::Warn,
             "mode=route no node IP (--ip, /etc/hosts lvscare.node.ip, LVSCARE_NODE_IP): no route is set");
        return std::make_unique<NoHostSetup>();
      }
      return std::make_unique<RouteSetup>(rtnl, routeSpec(config, datapath));
    case Mode::Link: {
      auto masquerade = masqueradeSetup(config);
      if (!masquerade) return passOn(masquerade, "link mode masquerade");
      std::vector<std::unique_ptr<HostSetup>> parts;
      // Without the dummy link type (this project's own CI kernel) the VIP becomes local by a
      // route of ours instead; one log line says so.
      parts.push_back(std::make_unique<FallbackHostSetup>(
          std::make_unique<DummyLinkSetup>(rtnl, linkSpec(config), loader),
          std::make_unique<RouteSetup>(rtnl, host::RouteSpec::localVip(vipOf(config)))));
      if (datapath == DatapathKind::Ipvs) parts.push_back(std::make_unique<SysctlSetup>(kVsConntrack, "1"));
      parts.push_back(std::move(*masquerade));
      return std::make_unique<CompositeHostSetup>("link", std::move(parts));
    }
  }
  return std::make_unique<NoHostSetup>();
}

Result<std::unique_ptr<HostSetup>> natHookSetup(const CareConfig& config) {
  auto rules = nftables::NftHostRules::open();
  if (!rules) return passOn(rules);
  return std::make_unique<NatHookSetup>(std::move(*rules), vipOf(config));
}

}  // namespace

// Link mode's masquerade table registers NAT; nftables' own DNAT does too. A run-once pass starts
// no passive detection (nor the conntrack setting that comes with it).
bool needsNatHook(const CareConfig& config, DatapathKind datapath) {
  return datapath == DatapathKind::Ipvs && config.passiveDetection && !config.runOnce && config.mode != Mode::Link;
}

Result<std::unique_ptr<HostSetup>> makeHostSetup(const CareConfig& config, netlink::Socket& rtnl, DatapathKind datapath,
                                                 const ModuleLoader& loader) {
  auto mode = modeSetup(config, rtnl, datapath, loader);
  if (!mode || !needsNatHook(config, datapath)) return mode;
  auto natHook = natHookSetup(config);
  if (!natHook) {
    // A kernel without nf_tables: conntrack may then drop a connection that collides with another
    // (nat_hook_ruleset.hpp); passive detection is worth that, and the VIP works without the hook.
    logf(LogLevel::Warn, "host part=\"nat hook\" error={}", logValue(natHook.error().describe()));
    return mode;
  }
  std::vector<std::unique_ptr<HostSetup>> parts;
  const std::string name((*mode)->name());
  parts.push_back(std::move(*mode));
  parts.push_back(std::move(*natHook));
  return std::make_unique<CompositeHostSetup>(name, std::move(parts));
}

Result<std::unique_ptr<HostSetup>> makeCleanup(const CareConfig& config, netlink::Socket& rtnl) {
  std::vector<std::unique_ptr<HostSetup>> parts;
  if (auto masquerade = masqueradeSetup(config)) {
    parts.push_back(std::move(*masquerade));
  } else if (masquerade.error().code != Errc::Unsupported) {
    return passOn(masquerade);
  }
  if (auto natHook = natHookSetup(config)) {
    parts.push_back(std::move(*natHook));
  } else if (natHook.error().code != Errc::Unsupported) {
    return passOn(natHook);
  }
  if (config.nodeIp)
    parts.push_back(std::make_unique<RouteSetup>(rtnl, host::RouteSpec{vipOf(config), *config.nodeIp}));
  else parts.push_back(std::make_unique<RouteCleanup>(rtnl, vipOf(config)));
  parts.push_back(std::make_unique<DummyLinkSetup>(rtnl, linkSpec(config), ModuleLoader{}));
  return std::make_unique<CompositeHostSetup>("clean", std::move(parts));
}

}  // namespace lvscare::care
