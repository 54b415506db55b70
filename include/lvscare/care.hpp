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
std::string_view toString(Mode mode);  // "", "route", "link"
Result<Mode> parseMode(std::string_view text);

// Which kernel load balancer programs the rules. Auto: IPVS when the kernel has it or can load it,
// else nftables.
enum class DatapathChoice : std::uint8_t { Auto, Ipvs, Nftables };
std::string_view toString(DatapathChoice choice);  // "auto", "ipvs", "nftables"
Result<DatapathChoice> parseDatapathChoice(std::string_view text);

// LVScare's accepted schedulers.
inline constexpr std::array<std::string_view, 6> kSchedulers = {"rr", "lc", "dh", "sh", "wrr", "wlc"};

inline constexpr std::string_view kDefaultInterface = "lvscare";

struct CareConfig {
  Endpoint virtualServer;                 // --vs
  std::vector<Endpoint> realServers;      // --rs, in the order given, no duplicates
  std::string scheduler = "rr";           // --scheduler
  std::string interfaceName = std::string(kDefaultInterface);  // -i/--iface, link mode
  Mode mode = Mode::Route;                // --mode
  bool runOnce = false;                   // --run-once: one health round, program, exit
  bool clean = false;                     // -C/--clean: remove everything of ours for the VIP, exit
  std::optional<IpAddress> nodeIp;        // --ip (or /etc/hosts, or LVSCARE_NODE_IP): route gateway (IPv6: source)
  int masqueradeBit = 0;                  // --masqueradebit, link mode
  health::ProbeConfig probe;              // --health-*
  health::CheckPolicy policy;             // --interval, rise/fall, fast interval, jitter
  DatapathChoice datapath = DatapathChoice::Auto;  // --datapath
  // --fail-open: when every real server fails its check, keep them all at weight 1 instead of
  // none (false: LVScare's strict behaviour, an empty VIP).
  bool failOpen = true;
  // How often the kernel state of our virtual server (and the host setup) is compared with what
  // it should be, so a foreign deletion is repaired without waiting for a health check.
  health::Duration reconcileInterval = std::chrono::milliseconds(250);
};

// Checks what a typed config can still get wrong: --rs required unless -C, real servers of the
// same family as --vs and unique, scheduler, interface name, mark bit, thresholds. The message is
// one line naming the flag and the value.
Result<void> validateConfig(const CareConfig& config);

// The virtual server a config keeps (TCP, the scheduler, no flags).
VirtualServer virtualServerOf(const CareConfig& config);

// Exit statuses of runCare().
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // could not program the kernel or the host
inline constexpr int kExitUsage = 2;    // invalid config; nothing on the host was changed

// Runs against this host's kernel: -C (clean and exit), --run-once (one health round, program,
// exit) or the care loop until SIGTERM/SIGINT, which leaves the rules in place. Validates the whole
// config (and the TLS files) before touching anything. Logs what it does; returns an exit status.
int runCare(const CareConfig& config);

}  // namespace lvscare::care
