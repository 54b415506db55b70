// runCare(): the care loop wired to this host's kernel. Order matters: everything that can be
// wrong with the input is checked (config, probe settings, TLS files) before anything on the host
// is touched, so bad input exits 2 with the host unchanged.
#include <algorithm>
#include <csignal>

#include "care/care_loop.hpp"
#include "care/datapath_choice.hpp"
#include "care/host_parts.hpp"
#include "care/vip_owner.hpp"
#include "nftables/host_rules.hpp"
#include "host/module_loader.hpp"
#include "host/rtnl.hpp"
#include "host/sysctl.hpp"
#include "ipvs/ipvs_datapath.hpp"
#include "lvscare/care.hpp"
#include "lvscare/event_loop.hpp"
#include "lvscare/log.hpp"
#include "lvscare/probers.hpp"
#include "nftables/nft_datapath.hpp"

namespace lvscare::care {
namespace {

// A removed real server's connections must not hang: with expire_nodest_conn=1 IPVS drops the
// connection entry of a deleted destination at the next packet, so the client gets a reset and
// reconnects at once instead of retransmitting into nothing. (NftDatapath deletes the conntrack
// entries of a removed backend itself.)
constexpr const char* kExpireNodestConn = "net.ipv4.vs.expire_nodest_conn";
// Link mode with IPVS: connections to the VIP need conntrack for the masquerade rule to match.
constexpr const char* kVsConntrack = "net.ipv4.vs.conntrack";

DatapathOpener ipvsOpener(host::ModuleLoader loader) {
  return [loader = std::move(loader)]() -> Result<std::unique_ptr<Datapath>> {
    ipvs::IpvsOptions options;
    options.loadModule = loader;
    auto datapath = ipvs::IpvsDatapath::open(options);
    if (!datapath) return tl::unexpected<Error>(datapath.error());
    return std::unique_ptr<Datapath>(std::move(*datapath));
  };
}

Result<std::unique_ptr<Datapath>> openNftables() {
  auto datapath = nftables::NftDatapath::open();
  if (!datapath) return tl::unexpected<Error>(datapath.error());
  return std::unique_ptr<Datapath>(std::move(*datapath));
}

IpAddress vipOf(const CareConfig& config) { return config.virtualServer.address; }

host::DummyLinkSpec linkSpec(const CareConfig& config) {
  host::DummyLinkSpec spec;
  spec.name = config.interfaceName;
  spec.vip = vipOf(config);
  return spec;
}

// The host setup the loop keeps in place.
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
host::RouteSpec routeSpec(const CareConfig& config, bool ipvs) {
  host::RouteSpec spec{vipOf(config), *config.nodeIp};
  spec.local = ipvs && std::any_of(config.realServers.begin(), config.realServers.end(), [&](const Endpoint& rs) {
                 return rs.address.isLoopback() || rs.address == spec.nodeIp;
               });
  if (spec.local) {
    logf(LogLevel::Info, "mode=route route={} reason={}", logValue(spec.toString()),
         logValue("IPVS with a real server on this host needs the VIP routed locally"));
  }
  return spec;
}

// The host setup the loop keeps in place. `masquerade` is needed in link mode only.
Result<std::unique_ptr<HostSetup>> makeHostSetup(const CareConfig& config, netlink::Socket& rtnl, bool ipvs,
                                                 const host::ModuleLoader& loader,
                                                 std::optional<nftables::NftHostRules>& masquerade) {
  switch (config.mode) {
    case Mode::None: return std::unique_ptr<HostSetup>(std::make_unique<NoHostSetup>());
    case Mode::Route:
      if (!config.nodeIp) {
        // LVScare's behaviour: route mode without a node IP sets no route.
        logf(LogLevel::Warn, "mode=route no node IP (--ip, /etc/hosts lvscare.node.ip, LVSCARE_NODE_IP): no route is set");
        return std::unique_ptr<HostSetup>(std::make_unique<NoHostSetup>());
      }
      return std::unique_ptr<HostSetup>(std::make_unique<RouteSetup>(rtnl, routeSpec(config, ipvs)));
    case Mode::Link: {
      auto rules = nftables::NftHostRules::open();
      if (!rules) return tl::unexpected<Error>(withContext(rules.error(), "link mode masquerade"));
      masquerade.emplace(std::move(*rules));
      std::vector<std::unique_ptr<HostSetup>> parts;
      // Without the dummy link type (this project's own CI kernel) the VIP becomes local by a
      // route of ours instead; one log line says so.
      parts.push_back(std::make_unique<FallbackHostSetup>(
          std::make_unique<DummyLinkSetup>(rtnl, linkSpec(config), loader),
          std::make_unique<RouteSetup>(rtnl, host::RouteSpec::localVip(vipOf(config)))));
      if (ipvs) parts.push_back(std::make_unique<SysctlSetup>(kVsConntrack, "1"));
      parts.push_back(std::make_unique<MasqueradeSetup>(*masquerade, masqueradeSpec(config)));
      return std::unique_ptr<HostSetup>(std::make_unique<CompositeHostSetup>("link", std::move(parts)));
    }
  }
  return std::unique_ptr<HostSetup>(std::make_unique<NoHostSetup>());
}

// -C: everything of ours for the VIP, whatever the mode it ran in: the route, the dummy link's
// address (and the link when nothing else is on it), the masquerade table, our virtual server in
// IPVS (when the kernel has it loaded: cleaning never loads ip_vs) and in nftables.
int clean(const CareConfig& config, netlink::Socket& rtnl) {
  std::vector<std::unique_ptr<HostSetup>> parts;
  std::optional<nftables::NftHostRules> masquerade;
  if (auto rules = nftables::NftHostRules::open()) {
    masquerade.emplace(std::move(*rules));
    parts.push_back(std::make_unique<MasqueradeSetup>(*masquerade, masqueradeSpec(config)));
  } else if (rules.error().code != Errc::Unsupported) {
    logf(LogLevel::Error, "clean vs={} error={}", config.virtualServer.toString(), logValue(rules.error().describe()));
    return kExitFailure;
  }
  if (config.nodeIp)
    parts.push_back(std::make_unique<RouteSetup>(rtnl, host::RouteSpec{vipOf(config), *config.nodeIp}));
  else
    parts.push_back(std::make_unique<RouteCleanup>(rtnl, vipOf(config)));
  parts.push_back(std::make_unique<DummyLinkSetup>(rtnl, linkSpec(config), host::ModuleLoader{}));
  CompositeHostSetup host("clean", std::move(parts));
  NoHostSetup nothing;

  const ServiceKey key{Protocol::Tcp, config.virtualServer};
  bool ok = true;
  const auto report = [&](std::string_view what, const Error& error) {
    logf(LogLevel::Error, "clean vs={} part={} error={}", config.virtualServer.toString(), what,
         logValue(error.describe()));
    // Not ours (Errc::Foreign: a table or an interface with our name only) is left as it is, and
    // still everything of ours is gone: -C has done its work.
    if (error.code != Errc::Foreign) ok = false;
  };
  const auto cleanIn = [&](Result<std::unique_ptr<Datapath>> datapath, std::string_view name) {
    if (!datapath) {
      // Unsupported: the kernel has no such datapath now, so nothing of ours can be in it.
      if (datapath.error().code != Errc::Unsupported) report(name, datapath.error());
      return;
    }
    if (auto cleaned = cleanUp(**datapath, nothing, key); !cleaned) report(name, cleaned.error());
  };
  cleanIn(ipvsOpener({})(), "ipvs");
  cleanIn(openNftables(), "nftables");
  if (auto removed = host.remove(); !removed) report("host", removed.error());
  if (ok) logf(LogLevel::Info, "clean vs={} done", config.virtualServer.toString());
  return ok ? kExitOk : kExitFailure;
}

}  // namespace

int runCare(const CareConfig& config) {
  if (auto valid = validateConfig(config); !valid) {
    logf(LogLevel::Error, "invalid config: {}", valid.error().message);
    return kExitUsage;
  }
  auto loop = health::EpollDispatcher::create();
  if (!loop) {
    logf(LogLevel::Error, "event loop error={}", logValue(loop.error().describe()));
    return kExitFailure;
  }
  health::ProberFactory probers;
  if (!config.clean) {
    // Checks the probe settings and loads the TLS files: still nothing on the host touched.
    auto factory = health::makeProberFactory(**loop, config.probe);
    if (!factory) {
      logf(LogLevel::Error, "invalid health check settings: {}", factory.error().message);
      return kExitUsage;
    }
    probers = std::move(*factory);
  }

  // One owner per VIP on the node (vip_owner.hpp), settled before anything on the host is touched.
  auto vipClaim = claimVip(**loop, config);
  if (vipClaim.exitStatus) return *vipClaim.exitStatus;

  auto rtnl = host::openRouteSocket();
  if (!rtnl) {
    logf(LogLevel::Error, "rtnetlink error={}", logValue(rtnl.error().describe()));
    return kExitFailure;
  }
  if (config.clean) return clean(config, *rtnl);

  const host::ModuleLoader loader = host::makeModuleLoader();
  auto chosen = chooseDatapath(config.datapath, ipvsOpener(loader), &openNftables);
  if (!chosen) {
    logf(LogLevel::Error, "datapath={} error={}", toString(config.datapath), logValue(chosen.error().describe()));
    return kExitFailure;
  }
  Datapath& datapath = *chosen->datapath;
  logf(LogLevel::Info, "datapath={} reason={}", datapath.name(), logValue(chosen->reason));
  const bool ipvs = datapath.name() == "ipvs";
  if (ipvs) {
    auto set = host::setSysctl(kExpireNodestConn, "1");
    if (!set) logf(LogLevel::Warn, "sysctl {}=1 error={}", kExpireNodestConn, logValue(set.error().describe()));
  }
  std::optional<nftables::NftHostRules> masquerade;
  auto host = makeHostSetup(config, *rtnl, ipvs, loader, masquerade);
  if (!host) {
    logf(LogLevel::Error, "mode={} error={}", logValue(toString(config.mode)), logValue(host.error().describe()));
    return kExitFailure;
  }

  CareLoopOptions options;
  options.service = virtualServerOf(config);
  options.reals = config.realServers;
  options.monitor.policy = config.policy;
  options.monitor.timeout = config.probe.timeout;
  options.reconcileInterval = config.reconcileInterval;
  CareLoop care(**loop, datapath, **host, std::move(probers), std::move(options));
  logf(LogLevel::Info, "care vs={} rs={} mode={} scheduler={} interval={}", config.virtualServer.toString(),
       config.realServers.size(), logValue(toString(config.mode)), config.scheduler,
       health::formatDuration(config.policy.interval));

  if (config.runOnce) {
    std::optional<Result<void>> outcome;
    care.runOnce([&](Result<void> result) {
      outcome = std::move(result);
      (*loop)->stop();
    });
    (*loop)->run();
    if (!outcome || !*outcome) {
      logf(LogLevel::Error, "run-once vs={} error={}", config.virtualServer.toString(),
           logValue(outcome ? (*outcome).error().describe() : std::string("did not finish")));
      return kExitFailure;
    }
    logf(LogLevel::Info, "run-once vs={} done", config.virtualServer.toString());
    return kExitOk;
  }

  int stopSignal = 0;
  auto signals = (*loop)->watchSignals({SIGTERM, SIGINT, SIGHUP}, [&](int signo) {
    if (signo == SIGHUP) return logHangupIgnored();
    stopSignal = signo;
    (*loop)->stop();
  });
  if (!signals) {
    logf(LogLevel::Error, "signals error={}", logValue(signals.error().describe()));
    return kExitFailure;
  }
  if (auto started = care.start(); !started) {
    logf(LogLevel::Error, "start vs={} error={}", config.virtualServer.toString(), logValue(started.error().describe()));
    return kExitFailure;
  }
  (*loop)->run();
  care.stop();
  logf(LogLevel::Info, "stop signal={} rules=kept", stopSignal == SIGTERM ? "SIGTERM" : "SIGINT");
  return kExitOk;
}

}  // namespace lvscare::care
