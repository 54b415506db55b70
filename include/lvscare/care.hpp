// The care loop as a library: keeps one virtual server pointing only at healthy real servers and
// keeps the host able to reach it. `lvscare care` and `sealctl ipvs` are thin front ends over
// runCare(); other programs can embed it the same way. Flags are parsed by the front ends only:
// this layer takes a CareConfig whose values are already typed.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lvscare/datapath.hpp"
#include "lvscare/endpoint.hpp"
#include "lvscare/exit_status.hpp"
#include "lvscare/field_error.hpp"
#include "lvscare/health.hpp"
#include "lvscare/result.hpp"

namespace lvscare::care {

// What the host gets besides the load-balancer rules.
//   Route: <VIP>/32 (or /128) via the node IP, metric 50, so traffic to the VIP leaves with the
//          node's address on multi-NIC hosts.
//   Link:  a dummy interface holding <VIP>/32, net.ipv4.vs.conntrack=1 and masquerade of traffic
//          to the VIP (needed when real servers are on this host).
//   None:  `--mode ""`: the rules only.
enum class Mode : std::uint8_t { None, Route, Link };
std::string_view toString(Mode mode);           // "", "route", "link"
Result<Mode> parseMode(std::string_view text);  // the error says what is wanted: want route, link or ""

// Which kernel load balancer programs the rules. Auto: IPVS when the kernel has it or can load it,
// else nftables.
enum class DatapathChoice : std::uint8_t { Auto, Ipvs, Nftables };
std::string_view toString(DatapathChoice choice);  // "auto", "ipvs", "nftables"
Result<DatapathChoice> parseDatapathChoice(std::string_view text);

// LVScare's accepted schedulers.
inline constexpr std::array<std::string_view, 6> kSchedulers = {"rr", "lc", "dh", "sh", "wrr", "wlc"};

inline constexpr std::string_view kDefaultInterface = "lvscare";

// Where the metrics endpoint (/metrics, /livez, /readyz, /status) listens unless told otherwise:
// loopback, port 10264. Kubernetes' node components take 10248-10259 (kubelet, kube-proxy,
// controller managers, scheduler) and ingress-nginx 10254; 10264 sits just above them, below the
// NodePort (30000-32767) and ephemeral (32768+) ranges, so it clashes with none of them on a node.
inline constexpr std::uint16_t kDefaultMetricsPort = 10264;
inline constexpr std::string_view kDefaultMetricsBindAddress = "127.0.0.1:10264";

struct CareConfig {
  Endpoint virtualServer;                                      // --vs
  std::vector<Endpoint> realServers;                           // --rs, in the order given, no duplicates
  std::string scheduler = "rr";                                // --scheduler
  std::string interfaceName = std::string(kDefaultInterface);  // -i/--iface, link mode
  Mode mode = Mode::Route;                                     // --mode
  bool runOnce = false;                                        // --run-once: one health round, program, exit
  bool clean = false;               // -C/--clean: remove everything of ours for the VIP, exit
  std::optional<IpAddress> nodeIp;  // --ip (or /etc/hosts, or LVSCARE_NODE_IP): route gateway (IPv6: source)
  int masqueradeBit = 0;            // --masqueradebit, link mode
  health::ProbeConfig probe;        // --health-*
  health::CheckPolicy policy;       // --interval, rise/fall, fast interval, jitter
  DatapathChoice datapath = DatapathChoice::Auto;  // --datapath
  // --fail-open: when every real server fails its check, keep them all at weight 1 instead of
  // none (false: LVScare's strict behaviour, an empty VIP).
  bool failOpen = true;
  // Down versus drain (issue 13): a server answering "not ready" (a failing HTTP status) is kept
  // at weight 0 for --drain-timeout, its connections left to finish, then removed; one refusing
  // connections is removed at once. 0: LVScare's sequence for every failure (weight 0, then
  // removed at the next failed check).
  health::Duration drainTimeout = std::chrono::seconds(10);
  // Flap damping: --flap-damping-base (0: off) and --flap-damping-max; see FailoverPolicy.
  health::Duration flapDampingBase{};
  health::Duration flapDampingMax = std::chrono::seconds(60);
  // --passive-detection: connections through the VIP that a real server refuses or never
  // answers take it out at once (nftables datapath: conntrack events), before the next check.
  bool passiveDetection = true;
  // --canary: hold one idle TCP connection to each real server; its close followed by a refused
  // reconnect is a process death, acted on like passive evidence (issue 15). Off by default: one
  // connection per node per real server (15,000 per apiserver at 5,000 nodes x 3 masters).
  bool canary = false;
  // How often the kernel state of our virtual server (and the host setup) is compared with what
  // it should be, so a foreign deletion is repaired without waiting for a health check.
  health::Duration reconcileInterval = std::chrono::milliseconds(250);
  // --metrics-bind-address: the HTTP endpoint of the care loop; nullopt (an empty flag) = none.
  std::optional<Endpoint> metricsBindAddress = Endpoint{IpAddress::v4(127, 0, 0, 1), kDefaultMetricsPort};
  // What lvscare_build_info reports; the front end fills it in.
  std::string buildVersion = "unknown";
  std::string buildCommit = "unknown";
};

// The fields of a CareConfig that validateConfig() can find wrong. A front end turns one into the
// name the user knows (a flag, an environment variable); toString() is the member's own name.
enum class ConfigField : std::uint8_t {
  VirtualServer,
  RealServers,
  Scheduler,
  InterfaceName,
  Clean,
  NodeIp,
  MasqueradeBit,
  ReconcileInterval,
  DrainTimeout,
  FlapDampingBase,
  FlapDampingMax,
  Interval,
  Rise,
  Fall,
  FastInterval,
  Jitter,  // policy
  ProbeTimeout,
  ProbeMethod,
  ProbePath,
  ProbeHeaders,
  ProbeStatuses,  // probe
};
std::string_view toString(ConfigField field);  // "realServers", "policy.rise", "probe.timeout"...
using ConfigError = FieldError<ConfigField>;
std::string describe(const ConfigError& error);  // with the fields named by toString()

// Every rule a typed config must meet, each checked here once (the probe's and the policy's by the
// health layer's checkProbeConfig() and checkPolicy()): a virtual server; real servers unless
// clean, of the VIP's family, unique; scheduler, interface name, mark bit, node IP family.
// Reports the first field at fault.
FieldResult<ConfigField> validateConfig(const CareConfig& config);

// What a valid config may still mean by mistake (a loopback VIP hijacks that port for this node):
// one line each, for the caller to log once.
std::vector<std::string> configWarnings(const CareConfig& config);

// The virtual server a config keeps (TCP, the scheduler, no flags).
VirtualServer virtualServerOf(const CareConfig& config);

// Runs against this host's kernel: -C (clean and exit), --run-once (one health round, program,
// exit) or the care loop until SIGTERM/SIGINT, which leaves the rules in place. Validates the whole
// config (and the TLS files) before touching anything. Logs what it does; returns an exit status
// (lvscare/exit_status.hpp).
int runCare(const CareConfig& config);

}  // namespace lvscare::care
