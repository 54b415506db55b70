// What the care loop has done, kept for the metrics endpoint, `lvscare status` and the liveness
// watchdog: per real server its last check and last phase change; counters of checks by result and
// reason, phase transitions, datapath operations and errors; repairs by kind of part with their
// duration; when the last check round completed; whether the kernel could be read and the rules and
// host were last programmed without error. Pure bookkeeping: the care loop feeds it, nothing here
// does I/O, and time comes in from the dispatcher's clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "care/desired_state.hpp"
#include "care/reconciler.hpp"
#include "health/canary.hpp"
#include "lvscare/health.hpp"
#include "observe/exposition.hpp"

namespace lvscare::care {

// Why a check ended as it did: the "reason" label of lvscare_checks_total.
enum class CheckReason : std::uint8_t { Ok, Refused, Unreachable, Timeout, Tls, HttpStatus, Other };
// "ok", "refused", "unreachable", "timeout", "tls", "http_status", "other"
std::string_view toString(CheckReason reason);
// From the prober's detail ("connect: Connection refused", "timed out after 10s (TLS handshake)",
// "TLS handshake: certificate verify failed: ...", "HTTP 503").
CheckReason classifyCheck(const health::ProbeResult& result);

// The kinds of part a repair puts back: the "part" label of lvscare_repairs_total.
enum class RepairPart : std::uint8_t { VirtualServer, RealServer, NftablesTable, Route, Link, Address, Sysctl };
std::string_view toString(RepairPart part);
// A host setup's "made" line ("route ... created", "link lvscare with 10.0.0.1 replaced",
// "masquerade table ... installed", "sysctl ...") to its part.
RepairPart partOfHostChange(std::string_view made);

std::string_view operationName(DatapathOp::Kind kind);  // "add_real_server", ...

class CareMetrics {
 public:
  using WallClock = std::chrono::system_clock;

  // `started`: the dispatcher's time at start; `startedWall`: the same moment on the wall clock
  // (timestamps for Prometheus are derived from both, so tests on a fake clock stay exact).
  CareMetrics(std::vector<Endpoint> servers, health::TimePoint started, WallClock::time_point startedWall);

  struct ServerRecord {
    std::optional<health::ProbeResult> last;
    CheckReason lastReason = CheckReason::Ok;
    health::TimePoint lastCheckAt{};
    std::string lastError;          // detail of the last failed check; empty if none failed yet
    health::TimePoint changedAt{};  // last phase change, or the start
  };

  void recordCheck(const health::CheckEvent& event, health::TimePoint now);
  void recordTransition(const Endpoint& server, ServerPhase from, ServerPhase to, health::TimePoint now);
  void recordRead(const Result<void>& read);  // one read of our virtual server
  void recordOps(const ApplyReport& report);
  void recordRulesPass(bool programmed) { rulesProgrammed_ = programmed; }
  void recordHostPass(const Result<void>& host);
  void recordRepair(RepairPart part, health::Duration took);
  // Passive evidence (conntrack, canaries): it moved the server (acted), was ignored (fail-open,
  // rate limit, a recent false alarm), or a confirming connect found the server answering.
  enum class EvidenceOutcome : std::uint8_t { Acted, Ignored, Unconfirmed };
  void recordEvidence(const Endpoint& server, health::FailureKind kind, EvidenceOutcome outcome);
  void recordCanary(const Endpoint& server, health::CanaryEvent event);

  health::TimePoint started() const { return started_; }
  const std::map<Endpoint, ServerRecord>& servers() const { return servers_; }
  std::uint64_t rounds() const { return rounds_; }
  std::optional<health::TimePoint> lastRoundAt() const { return lastRoundAt_; }
  WallClock::time_point wall(health::TimePoint at) const;
  // Empty when the last read of our virtual server worked (or none happened yet).
  const std::optional<std::string>& kernelError() const { return kernelError_; }
  const std::optional<std::string>& hostError() const { return hostError_; }
  bool rulesProgrammed() const { return rulesProgrammed_; }
  std::uint64_t repairs() const;

  // The lvscare_* families this object counts (not the per-server gauges, which need the kernel).
  void writeCounters(observe::MetricsText& out) const;

 private:
  void writeCanaries(observe::MetricsText& out) const;

  health::TimePoint started_;
  WallClock::time_point startedWall_;
  std::map<Endpoint, ServerRecord> servers_;
  std::set<Endpoint> checkedThisRound_;
  std::uint64_t rounds_ = 0;
  std::optional<health::TimePoint> lastRoundAt_;
  std::map<std::tuple<Endpoint, bool, CheckReason>, std::uint64_t> checks_;
  std::map<std::tuple<Endpoint, ServerPhase, ServerPhase>, std::uint64_t> transitions_;
  std::map<std::string_view, std::uint64_t> operations_;
  std::map<std::string_view, std::uint64_t> operationErrors_;
  std::map<RepairPart, std::uint64_t> repairs_;
  std::map<RepairPart, observe::Histogram> repairSeconds_;
  std::map<std::tuple<Endpoint, health::FailureKind, EvidenceOutcome>, std::uint64_t> evidence_;
  std::map<std::pair<Endpoint, health::CanaryEvent>, std::uint64_t> canaryEvents_;
  std::map<Endpoint, bool> canaryOpen_;  // empty while canaries are off
  std::optional<std::string> kernelError_;
  std::optional<std::string> hostError_;
  bool rulesProgrammed_ = false;
};

}  // namespace lvscare::care
