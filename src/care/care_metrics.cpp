#include "care/care_metrics.hpp"

#include <algorithm>

namespace lvscare::care {

std::string_view toString(CheckReason reason) {
  switch (reason) {
    case CheckReason::Ok: return "ok";
    case CheckReason::Refused: return "refused";
    case CheckReason::Unreachable: return "unreachable";
    case CheckReason::Timeout: return "timeout";
    case CheckReason::Tls: return "tls";
    case CheckReason::HttpStatus: return "http_status";
    case CheckReason::Other: return "other";
  }
  return "other";
}

CheckReason classifyCheck(const health::ProbeResult& result) {
  if (result.healthy) return CheckReason::Ok;
  // The probers say why; a result without a kind (from elsewhere) is read from its detail.
  switch (result.failure) {
    case health::FailureKind::Refused: return CheckReason::Refused;
    case health::FailureKind::Unreachable: return CheckReason::Unreachable;
    case health::FailureKind::Tls: return CheckReason::Tls;
    case health::FailureKind::Timeout: return CheckReason::Timeout;
    case health::FailureKind::HttpStatus: return CheckReason::HttpStatus;
    case health::FailureKind::Other: return CheckReason::Other;
    case health::FailureKind::None: break;
  }
  const std::string_view detail = result.detail;
  // A probe that timed out names the stage it was in, TLS handshake included: a timeout first.
  if (detail.starts_with("timed out")) return CheckReason::Timeout;
  if (detail.starts_with("HTTP ")) return result.healthy ? CheckReason::Ok : CheckReason::HttpStatus;
  if (result.healthy) return CheckReason::Ok;
  if (detail.find("Connection refused") != std::string_view::npos) return CheckReason::Refused;
  if (detail.starts_with("TLS")) return CheckReason::Tls;
  return CheckReason::Other;
}

std::string_view toString(RepairPart part) {
  switch (part) {
    case RepairPart::VirtualServer: return "virtual_server";
    case RepairPart::RealServer: return "real_server";
    case RepairPart::NftablesTable: return "nftables_table";
    case RepairPart::Route: return "route";
    case RepairPart::Link: return "link";
    case RepairPart::Address: return "address";
    case RepairPart::Sysctl: return "sysctl";
  }
  return "virtual_server";
}

RepairPart partOfHostChange(std::string_view made) {
  if (made.starts_with("route")) return RepairPart::Route;
  if (made.starts_with("masquerade table") || made.starts_with("nat hook table")) return RepairPart::NftablesTable;
  if (made.starts_with("sysctl")) return RepairPart::Sysctl;
  // The link was there but down or without the VIP: what came back is its address (or state).
  if (made.starts_with("link") && made.ends_with("replaced")) return RepairPart::Address;
  return RepairPart::Link;
}

std::string_view operationName(DatapathOp::Kind kind) {
  switch (kind) {
    case DatapathOp::Kind::AddVirtualServer: return "add_virtual_server";
    case DatapathOp::Kind::UpdateVirtualServer: return "update_virtual_server";
    case DatapathOp::Kind::DeleteVirtualServer: return "delete_virtual_server";
    case DatapathOp::Kind::AddRealServer: return "add_real_server";
    case DatapathOp::Kind::UpdateRealServer: return "update_real_server";
    case DatapathOp::Kind::DeleteRealServer: return "delete_real_server";
  }
  return "unknown";
}

namespace {
// Repairs take from tens of microseconds (one netlink batch) to a second (a module load).
std::vector<double> repairBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
}
constexpr std::string_view kRead = "read";
}  // namespace

CareMetrics::CareMetrics(std::vector<Endpoint> servers, health::TimePoint started, WallClock::time_point startedWall)
    : started_(started), startedWall_(startedWall) {
  for (const Endpoint& server : servers) servers_[server].changedAt = started;
}

CareMetrics::WallClock::time_point CareMetrics::wall(health::TimePoint at) const {
  return startedWall_ + std::chrono::duration_cast<WallClock::duration>(at - started_);
}

void CareMetrics::recordCheck(const health::CheckEvent& event, health::TimePoint now) {
  auto found = servers_.find(event.target);
  if (found == servers_.end()) return;  // a check that completed after the set changed
  ServerRecord& record = found->second;
  record.last = event.result;
  record.lastReason = classifyCheck(event.result);
  record.lastCheckAt = now;
  if (!event.result.healthy) record.lastError = event.result.detail;
  ++checks_[{event.target, event.result.healthy, record.lastReason}];
  // A round is complete once every server has completed a check since the last one was.
  checkedThisRound_.insert(event.target);
  if (checkedThisRound_.size() == servers_.size()) {
    ++rounds_;
    lastRoundAt_ = now;
    checkedThisRound_.clear();
  }
}

void CareMetrics::recordTransition(const Endpoint& server, ServerPhase from, ServerPhase to, health::TimePoint now) {
  ++transitions_[{server, from, to}];
  if (auto found = servers_.find(server); found != servers_.end()) found->second.changedAt = now;
}

void CareMetrics::recordEvidence(const Endpoint& server, health::FailureKind kind, EvidenceOutcome outcome) {
  ++evidence_[{server, kind, outcome}];
}

void CareMetrics::recordCanary(const Endpoint& server, health::CanaryEvent event) {
  ++canaryEvents_[{server, event}];
  canaryOpen_[server] = event == health::CanaryEvent::Opened;
}

void CareMetrics::recordRead(const Result<void>& read) {
  ++operations_[kRead];
  if (read) {
    kernelError_.reset();
    return;
  }
  ++operationErrors_[kRead];
  kernelError_ = read.error().describe();
}

void CareMetrics::recordOps(const ApplyReport& report) {
  for (const DatapathOp& op : report.applied) ++operations_[operationName(op.kind)];
  for (const auto& [op, error] : report.failures) {
    ++operations_[operationName(op.kind)];
    ++operationErrors_[operationName(op.kind)];
  }
}

void CareMetrics::recordHostPass(const Result<void>& host) {
  if (host) hostError_.reset();
  else hostError_ = host.error().describe();
}

void CareMetrics::recordRepair(RepairPart part, health::Duration took) {
  ++repairs_[part];
  auto histogram = repairSeconds_.try_emplace(part, repairBuckets()).first;
  histogram->second.observe(std::chrono::duration<double>(took).count());
}

std::uint64_t CareMetrics::repairs() const {
  std::uint64_t total = 0;
  for (const auto& [part, count] : repairs_) total += count;
  return total;
}

void CareMetrics::writeCounters(observe::MetricsText& out) const {
  using Type = observe::MetricsText::Type;
  out.family("lvscare_checks_total", Type::Counter, "Completed health checks by real server, result and reason.");
  for (const auto& [key, count] : checks_) {
    const auto& [server, healthy, reason] = key;
    const std::string address = server.toString();
    out.sample("lvscare_checks_total",
               {{"real_server", address}, {"result", healthy ? "success" : "failure"}, {"reason", toString(reason)}},
               static_cast<double>(count));
  }
  out.family("lvscare_state_transitions_total", Type::Counter,
             "Phase changes of real servers (pending, active, draining, removed).");
  for (const auto& [key, count] : transitions_) {
    const auto& [server, from, to] = key;
    const std::string address = server.toString();
    out.sample("lvscare_state_transitions_total",
               {{"real_server", address}, {"from", toString(from)}, {"to", toString(to)}}, static_cast<double>(count));
  }
  out.family("lvscare_repairs_total", Type::Counter,
             "Parts of our kernel or host state found missing or changed by someone else and put back.");
  for (const auto& [part, count] : repairs_)
    out.sample("lvscare_repairs_total", {{"part", toString(part)}}, static_cast<double>(count));
  out.family("lvscare_repair_duration_seconds", Type::Histogram, "How long each repair pass took, by part.");
  for (const auto& [part, histogram] : repairSeconds_) {
    const observe::Label labels[] = {{"part", toString(part)}};
    out.histogram("lvscare_repair_duration_seconds", labels, histogram);
  }
  out.family("lvscare_datapath_operations_total", Type::Counter,
             "Operations sent to the kernel load balancer (reads of our virtual server included), by operation.");
  for (const auto& [operation, count] : operations_)
    out.sample("lvscare_datapath_operations_total", {{"operation", operation}}, static_cast<double>(count));
  out.family("lvscare_datapath_operation_errors_total", Type::Counter,
             "Operations the kernel load balancer refused, by operation.");
  for (const auto& [operation, count] : operations_) {
    const auto errors = operationErrors_.find(operation);
    out.sample("lvscare_datapath_operation_errors_total", {{"operation", operation}},
               static_cast<double>(errors == operationErrors_.end() ? 0 : errors->second));
  }
  out.family("lvscare_evidence_total", Type::Counter,
             "Passive evidence against real servers (refused or unanswered connections, canary deaths), by kind "
             "and whether it took the server out (acted), was ignored (fail-open, rate limit, a recent false alarm) or "
             "was unconfirmed (a refusal the confirming connect found answered).");
  for (const auto& [key, count] : evidence_) {
    const auto& [server, kind, outcome] = key;
    const char* said = outcome == EvidenceOutcome::Acted     ? "acted"
                       : outcome == EvidenceOutcome::Ignored ? "ignored"
                                                             : "unconfirmed";
    out.sample("lvscare_evidence_total",
               {{"real_server", server.toString()}, {"kind", health::toString(kind)}, {"outcome", said}},
               static_cast<double>(count));
  }
  if (!canaryOpen_.empty()) writeCanaries(out);
  out.family("lvscare_check_rounds_total", Type::Counter, "Check rounds completed (every real server checked once).");
  out.sample("lvscare_check_rounds_total", {}, static_cast<double>(rounds_));
  if (lastRoundAt_) {
    out.family("lvscare_last_check_round_timestamp_seconds", Type::Gauge,
               "When the last check round completed, in seconds since the Unix epoch.");
    const auto at = wall(*lastRoundAt_).time_since_epoch();
    out.sample("lvscare_last_check_round_timestamp_seconds", {}, std::chrono::duration<double>(at).count());
  }
}

void CareMetrics::writeCanaries(observe::MetricsText& out) const {
  using Type = observe::MetricsText::Type;
  out.family("lvscare_canary_events_total", Type::Counter,
             "Canary connections to real servers: opened, closed by the server, and deaths (closed and the "
             "reconnect failed). Closed minus deaths is idle closes.");
  for (const auto& [key, count] : canaryEvents_) {
    const auto& [server, event] = key;
    out.sample("lvscare_canary_events_total", {{"real_server", server.toString()}, {"event", health::toString(event)}},
               static_cast<double>(count));
  }
  out.family("lvscare_canary_open", Type::Gauge, "1 while the canary connection to the real server is open.");
  for (const auto& [server, open] : canaryOpen_)
    out.sample("lvscare_canary_open", {{"real_server", server.toString()}}, open ? 1.0 : 0.0);
}

}  // namespace lvscare::care
