// runCare(): the care loop wired to this host's kernel. Order matters: everything that can be
// wrong with the input is checked (config, probe settings, TLS files) before anything on the host
// is touched, so bad input exits 2 with the host unchanged.
#include <unistd.h>

#include <csignal>

#include "care/care_endpoint.hpp"
#include "care/care_loop.hpp"
#include "care/datapath_choice.hpp"
#include "care/go_lvscare_takeover.hpp"
#include "care/kernel_watch.hpp"
#include "care/mode_setup.hpp"
#include "care/passive_detector.hpp"
#include "care/vip_owner.hpp"
#include "health/canary.hpp"
#include "health/probe_settings.hpp"
#include "host/module_loader.hpp"
#include "host/rtnl.hpp"
#include "host/sysctl.hpp"
#include "ipvs/ipvs_datapath.hpp"
#include "lvscare/care.hpp"
#include "lvscare/event_loop.hpp"
#include "lvscare/log.hpp"
#include "lvscare/probers.hpp"
#include "netlink/subscription.hpp"
#include "nftables/lb_ruleset.hpp"
#include "nftables/masq_ruleset.hpp"
#include "nftables/nat_hook_ruleset.hpp"
#include "nftables/nft_datapath.hpp"

namespace lvscare::care {
namespace {

// A removed real server's connections must not hang: with expire_nodest_conn=1 IPVS drops the
// connection entry of a deleted destination at the next packet, so the client gets a reset and
// reconnects at once instead of retransmitting into nothing. (NftDatapath deletes the conntrack
// entries of a removed backend itself.)
constexpr const char* kExpireNodestConn = "net.ipv4.vs.expire_nodest_conn";

DatapathOpener ipvsOpener(ModuleLoader loader) {
  return [loader = std::move(loader)]() -> Result<std::unique_ptr<Datapath>> {
    ipvs::IpvsOptions options;
    options.loadModule = loader;
    return ipvs::IpvsDatapath::open(options);
  };
}

Result<std::unique_ptr<Datapath>> openNftables() { return nftables::NftDatapath::open(); }

// -C: everything of ours for the VIP, whatever the mode it ran in: the route, the dummy link's
// address (and the link when nothing else is on it), the masquerade table, our virtual server in
// IPVS (when the kernel has it loaded: cleaning never loads ip_vs) and in nftables.
int clean(const CareConfig& config, netlink::Socket& rtnl) {
  auto host = makeCleanup(config, rtnl);
  if (!host) {
    logf(LogLevel::Error, "clean vs={} error={}", config.virtualServer.toString(), logValue(host.error().describe()));
    return kExitFailure;
  }
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
  if (auto removed = (*host)->remove(); !removed) report("host", removed.error());
  removeGoLvscareLeftovers(config.masqueradeBit);  // reports, never fails -C
  if (ok) logf(LogLevel::Info, "clean vs={} done", config.virtualServer.toString());
  return ok ? kExitOk : kExitFailure;
}

// Evidence from the kernel's own connection tracking (issue 13). nftables' DNAT runs on conntrack,
// so its connections are there; IPVS connections are only when net.ipv4.vs.conntrack is 1 (link
// mode sets it anyway; kube-proxy's IPVS mode too): then IPVS writes the real server into the
// entry's reply tuple, and conntrack's events describe IPVS connections as they do DNAT ones.
// A failure to subscribe costs the feature, not the VIP.
std::unique_ptr<PassiveDetector> startPassiveDetection(const CareConfig& config, DatapathKind kind,
                                                       event::EpollDispatcher& loop, CareLoop& care,
                                                       health::Duration probeTimeout) {
  if (!config.passiveDetection) return nullptr;
  if (kind == DatapathKind::Ipvs) {
    if (auto set = host::setSysctl(kVsConntrack, "1"); !set) {
      logf(LogLevel::Warn, "passive detection off datapath=ipvs error={}", logValue(set.error().describe()));
      return nullptr;
    }
  }
  // A SYN the server has not answered within a second (or the probe timeout, if shorter) is
  // evidence: clients retransmit their SYN at one second.
  const health::Duration unansweredAfter = std::min<health::Duration>(probeTimeout, std::chrono::seconds(1));
  auto detector = PassiveDetector::start(loop, care, unansweredAfter);
  if (!detector) {
    logf(LogLevel::Warn, "passive detection off error={}", logValue(detector.error().describe()));
    return nullptr;
  }
  logf(LogLevel::Info, "passive detection on source=conntrack datapath={} unanswered_after={}", toString(kind),
       health::formatDuration(unansweredAfter));
  return std::move(*detector);
}

// With the kernel's announcements watched, what they cover is polled this often, as a fallback
// (an announcement lost with no overrun reported, a sysctl, which nothing announces).
constexpr health::Duration kWatchedPoll = std::chrono::seconds(5);

// What the kernel announces about our objects, for the watch: our nftables tables (the rules' on
// nftables, link mode's masquerade on either datapath), the VIP's route or address, route mode's
// node IP, link mode's dummy link. Our own rtnetlink socket and thread are named so that our own
// writes are not taken for someone else's.
WatchTargets watchTargets(const CareConfig& config, DatapathKind datapath, netlink::Socket& rtnl) {
  WatchTargets targets;
  const IpAddress vip = config.virtualServer.address;
  const std::uint8_t family = nftables::nfFamily(vip.family);
  if (datapath == DatapathKind::Nftables)
    targets.nftTables.emplace(family, nftables::lbTableName(ServiceKey{Protocol::Tcp, config.virtualServer}));
  if (needsNatHook(config, datapath)) targets.nftTables.emplace(family, nftables::natHookTableName(vip));
  if (config.mode == Mode::Link) {
    targets.nftTables.emplace(family, nftables::masqTableName(vip));
    targets.linkName = config.interfaceName;
  }
  targets.vip = vip;
  targets.nodeIp = config.nodeIp;
  if (auto port = netlink::portIdOf(rtnl.fd())) targets.ownPortIds.push_back(*port);
  targets.ownThreadId = static_cast<std::uint32_t>(::gettid());
  return targets;
}

// Watches the kernel for the care loop when anything it keeps is announced; with the watch working,
// the poll of what it covers slows to kWatchedPoll (IPVS rules stay at the reconcile interval).
// Without it (no such socket here), the loop polls everything as before and says so once.
std::unique_ptr<KernelWatch> watchKernel(event::EpollDispatcher& loop, CareLoop& care, const CareConfig& config,
                                         DatapathKind datapath, netlink::Socket& rtnl) {
  KernelWatch::Sources sources;
  sources.nftables = datapath == DatapathKind::Nftables || config.mode == Mode::Link;
  sources.rtnetlink = config.mode != Mode::None;
  if (!sources.nftables && !sources.rtnetlink) return nullptr;
  const health::Duration every = config.reconcileInterval;
  auto watch = KernelWatch::open(
      loop, watchTargets(config, datapath, rtnl), sources, [&care] { care.reconcileSoon(); },
      [&care, every](const Error& error) {
        logf(LogLevel::Warn, "kernel watch lost error={} poll={}", logValue(error.describe()),
             health::formatDuration(every));
        care.setPollIntervals(every, every);
      });
  if (!watch) {
    logf(LogLevel::Warn, "kernel watch error={} poll={}", logValue(watch.error().describe()),
         health::formatDuration(every));
    return nullptr;
  }
  // Everything but IPVS's rules and link mode's sysctl is announced (a sysctl is cheap to read).
  const health::Duration rules = datapath == DatapathKind::Nftables ? kWatchedPoll : every;
  const health::Duration host = kWatchedPoll;
  care.setPollIntervals(rules, host);
  const char* names = !sources.rtnetlink ? "nftables" : sources.nftables ? "nftables,rtnetlink" : "rtnetlink";
  logf(LogLevel::Info, "kernel watch sources={} poll_rules={} poll_host={}", names,
       health::formatDuration(std::max(rules, every)), health::formatDuration(std::max(host, every)));
  return std::move(*watch);
}

}  // namespace

int runCare(const CareConfig& config) {
  if (auto valid = validateConfig(config); !valid) {
    logf(LogLevel::Error, "invalid config: {}", describe(valid.error()));
    return kExitUsage;
  }
  auto loop = event::EpollDispatcher::create();
  if (!loop) {
    logf(LogLevel::Error, "event loop error={}", logValue(loop.error().describe()));
    return kExitFailure;
  }
  health::ProberFactory probers;
  const auto policy = health::resolvePolicy(config.policy);
  const auto settings = health::resolveProbeSettings(config.probe, policy.policy.interval);
  if (!config.clean) {
    // Checks the probe settings and loads the TLS files: still nothing on the host touched.
    auto factory = health::makeProberFactory(**loop, settings.probe);
    if (!factory) {
      logf(LogLevel::Error, "invalid health check settings: {}", factory.error().message);
      return kExitUsage;
    }
    // Only for valid input: bad input gets its one line and nothing else.
    for (const auto& notes : {policy.notes, settings.notes}) {
      for (const auto& note : notes) logf(note.warning ? LogLevel::Warn : LogLevel::Info, "{}", note.text);
    }
    for (const auto& warning : configWarnings(config)) logf(LogLevel::Warn, "{}", warning);
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
  reportGoLvscareLeftovers(config.masqueradeBit);

  const ModuleLoader loader = host::makeModuleLoader();
  auto chosen = chooseDatapath(config.datapath, ipvsOpener(loader), &openNftables);
  if (!chosen) {
    logf(LogLevel::Error, "datapath={} error={}", toString(config.datapath), logValue(chosen.error().describe()));
    return kExitFailure;
  }
  logf(LogLevel::Info, "datapath={} reason={}", toString(chosen->kind), logValue(chosen->reason));
  if (chosen->kind == DatapathKind::Ipvs) {
    auto set = host::setSysctl(kExpireNodestConn, "1");
    if (!set) logf(LogLevel::Warn, "sysctl {}=1 error={}", kExpireNodestConn, logValue(set.error().describe()));
  }
  auto host = makeHostSetup(config, *rtnl, chosen->kind, loader);
  if (!host) {
    logf(LogLevel::Error, "mode={} error={}", logValue(toString(config.mode)), logValue(host.error().describe()));
    return kExitFailure;
  }

  CareLoopOptions options;
  options.service = virtualServerOf(config);
  options.reals = config.realServers;
  options.monitor.policy = policy.policy;
  options.monitor.timeout = settings.probe.timeout;
  options.reconcileInterval = config.reconcileInterval;
  options.failOpen = config.failOpen;
  options.failover.drainTimeout = config.drainTimeout;
  options.failover.dampingBase = config.flapDampingBase;
  options.failover.dampingMax = config.flapDampingMax;
  CareLoop care(**loop, *chosen->datapath, **host, std::move(probers), std::move(options));
  logf(LogLevel::Info, "care vs={} rs={} mode={} scheduler={} interval={}", config.virtualServer.toString(),
       config.realServers.size(), logValue(toString(config.mode)), config.scheduler,
       health::formatDuration(policy.policy.interval));

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
  // Before start(): what the kernel announces from then on is queued, so nothing falls between the
  // first pass and the watch.
  const auto kernelWatch = watchKernel(**loop, care, config, chosen->kind, *rtnl);
  if (auto started = care.start(); !started) {
    logf(LogLevel::Error, "start vs={} error={}", config.virtualServer.toString(),
         logValue(started.error().describe()));
    return kExitFailure;
  }
  auto passive = startPassiveDetection(config, chosen->kind, **loop, care, settings.probe.timeout);
  std::unique_ptr<health::CanaryWatch> canaries;
  if (config.canary) {
    health::CanaryOptions canaryOptions;
    canaryOptions.sourcePorts = health::SourcePorts::ofThisNamespace();
    if (settings.probe.scheme != health::Scheme::Tcp) canaryOptions.request = settings.probe;
    if (settings.probe.scheme == health::Scheme::Https) {
      // The checks' own TLS settings: the factory above already loaded them once without error.
      auto tls = health::TlsClientContext::create(settings.probe);
      if (!tls) {
        logf(LogLevel::Error, "canary tls error={}", logValue(tls.error().describe()));
        return kExitFailure;
      }
      canaryOptions.tls = std::move(*tls);
    }
    canaries = std::make_unique<health::CanaryWatch>(
        **loop, config.realServers,
        [&care](const Endpoint& server, health::FailureKind kind, const std::string& detail) {
          care.onEvidence(server, kind, detail);
        },
        canaryOptions);
    canaries->setObserver(
        [&care](const Endpoint& server, health::CanaryEvent event) { care.noteCanary(server, event); });
    canaries->start();
    const std::size_t ports = canaryOptions.sourcePorts->count();
    logf(LogLevel::Info, "canary connections on rs={} tls={} source_ports={}", config.realServers.size(),
         canaryOptions.tls != nullptr, ports);
    if (ports == 0 && chosen->kind == DatapathKind::Ipvs) {
      logf(LogLevel::Warn, "canary source_ports=0 detail={}",
           logValue("no port above net.ipv4.ip_local_port_range to use (the range ends at 65535, the ports above "
                    "it are reserved, or the sysctls could not be read), so canaries take ports clients take too: a "
                    "client through the VIP from a canary's port to the same server times out"));
    }
  }
  ServedEndpoint endpoint;
  if (config.metricsBindAddress) {
    endpoint = serveEndpoint(**loop, care, *chosen->datapath, *config.metricsBindAddress,
                             std::string(toString(config.mode)), BuildInfo{config.buildVersion, config.buildCommit});
  }
  (*loop)->run();
  care.stop();
  logf(LogLevel::Info, "stop signal={} rules=kept", stopSignal == SIGTERM ? "SIGTERM" : "SIGINT");
  return kExitOk;
}

}  // namespace lvscare::care
