#include "care/desired_state.hpp"

#include <algorithm>
#include <map>

namespace lvscare::care {

std::string_view toString(ServerPhase phase) {
  switch (phase) {
    case ServerPhase::Pending: return "pending";
    case ServerPhase::Active: return "active";
    case ServerPhase::Draining: return "draining";
    case ServerPhase::Removed: return "removed";
  }
  return "?";
}

std::optional<std::uint32_t> weightOf(ServerPhase phase) {
  switch (phase) {
    case ServerPhase::Active: return 1;
    case ServerPhase::Draining: return 0;
    case ServerPhase::Pending:
    case ServerPhase::Removed: return std::nullopt;
  }
  return std::nullopt;
}

ServerPhase nextPhase(ServerPhase current, const health::CheckEvent& event) {
  using health::Verdict;
  if (event.verdict == Verdict::Healthy) return ServerPhase::Active;
  // A failed check below the fall threshold, a pass below the rise threshold, or no verdict yet:
  // the server stays where it is.
  if (event.verdict != Verdict::Unhealthy || event.result.healthy) return current;
  switch (current) {
    case ServerPhase::Active: return ServerPhase::Draining;
    case ServerPhase::Draining:
    case ServerPhase::Pending:
    case ServerPhase::Removed: return ServerPhase::Removed;
  }
  return current;
}

bool isDown(health::FailureKind kind) {
  using health::FailureKind;
  return kind == FailureKind::Refused || kind == FailureKind::Unreachable || kind == FailureKind::Tls;
}

ServerPhase adoptedPhase(const RealServerStatus* inKernel) {
  if (inKernel == nullptr) return ServerPhase::Pending;
  return inKernel->server.weight > 0 ? ServerPhase::Active : ServerPhase::Draining;
}

DesiredState::DesiredState(VirtualServer service, const std::vector<Endpoint>& reals, bool failOpen,
                           FailoverPolicy policy)
    : service_(std::move(service)), policy_(policy), failOpen_(failOpen) {
  for (const Endpoint& rs : reals) phases_.emplace(rs, ServerPhase::Pending);
}

void DesiredState::adopt(const std::vector<RealServerStatus>& kernel) {
  // Indexed first: a restart beside 10,000 real servers must not compare every pair.
  std::map<Endpoint, const RealServerStatus*> inKernel;
  for (const RealServerStatus& status : kernel) inKernel[status.server.endpoint] = &status;
  records_.clear();
  for (auto& [server, phase] : phases_) {
    const auto found = inKernel.find(server);
    phase = adoptedPhase(found == inKernel.end() ? nullptr : found->second);
  }
}

std::optional<DesiredState::Transition> DesiredState::onCheck(const health::CheckEvent& event, health::TimePoint now) {
  using health::Verdict;
  const auto it = phases_.find(event.target);
  if (it == phases_.end()) return std::nullopt;
  checked_.insert(event.target);
  if (event.result.healthy) failures_.erase(event.target);
  else failures_[event.target] = event.result.detail;
  Record& record = records_[event.target];
  if (record.awaitingConfirmation) {
    // The first check after evidence took the server out: passing, the evidence was a false alarm.
    record.awaitingConfirmation = false;
    if (event.result.healthy) record.evidenceIgnoredUntil = now + policy_.evidenceCooldown;
  }
  const ServerPhase from = it->second;
  ServerPhase to = from;
  if (event.verdict == Verdict::Healthy) {
    // Out of rotation, a server comes back on a passing check only: one that evidence took out
    // keeps the monitor's Healthy verdict while its confirming check fails below `fall`. Flap
    // damping may hold it out a while longer.
    if (from == ServerPhase::Active || (event.result.healthy && now >= record.held)) to = ServerPhase::Active;
  } else if (event.verdict == Verdict::Unhealthy && !event.result.healthy) {
    to = failedPhase(from, event.result.failure, record, now);
  }
  if (to == from) return std::nullopt;
  if (to == ServerPhase::Active) {
    record.cameBack = now;
    record.drainDeadline.reset();
  }
  if (from == ServerPhase::Active) noteFall(record, now);
  it->second = to;
  return Transition{event.target, from, to};
}

ServerPhase DesiredState::failedPhase(ServerPhase current, health::FailureKind kind, Record& record,
                                      health::TimePoint now) const {
  if (policy_.drainTimeout <= health::Duration::zero()) {
    return current == ServerPhase::Active ? ServerPhase::Draining : ServerPhase::Removed;
  }
  switch (current) {
    case ServerPhase::Active:
      if (isDown(kind)) return ServerPhase::Removed;
      if (kind == health::FailureKind::HttpStatus) record.drainDeadline = now + policy_.drainTimeout;
      return ServerPhase::Draining;
    case ServerPhase::Draining:
      // Draining because it said "not ready": the deadline ends the drain, not the next check.
      return record.drainDeadline ? ServerPhase::Draining : ServerPhase::Removed;
    case ServerPhase::Pending:
    case ServerPhase::Removed: return ServerPhase::Removed;
  }
  return current;
}

void DesiredState::noteFall(Record& record, health::TimePoint now) const {
  if (policy_.dampingBase <= health::Duration::zero()) return;
  const bool soonAfterComingBack = record.cameBack && now - *record.cameBack < policy_.dampingMax;
  record.flaps = soonAfterComingBack ? record.flaps + 1 : 1;
  if (record.flaps < 2) return;
  health::Duration hold = policy_.dampingBase;
  for (int flap = 2; flap < record.flaps && hold < policy_.dampingMax; ++flap) hold *= 2;
  record.held = now + std::min(hold, policy_.dampingMax);
}

std::vector<DesiredState::Transition> DesiredState::expireDrains(health::TimePoint now) {
  std::vector<Transition> out;
  for (auto& [server, record] : records_) {
    if (!record.drainDeadline || *record.drainDeadline > now) continue;
    record.drainDeadline.reset();
    ServerPhase& phase = phases_.at(server);
    if (phase != ServerPhase::Draining) continue;
    phase = ServerPhase::Removed;
    out.push_back(Transition{server, ServerPhase::Draining, ServerPhase::Removed});
  }
  return out;
}

std::optional<health::TimePoint> DesiredState::drainDeadline(const Endpoint& server) const {
  const auto it = records_.find(server);
  return it == records_.end() ? std::nullopt : it->second.drainDeadline;
}

std::optional<health::TimePoint> DesiredState::nextDrainDeadline() const {
  std::optional<health::TimePoint> earliest;
  for (const auto& [server, record] : records_) {
    if (record.drainDeadline && (!earliest || *record.drainDeadline < *earliest)) earliest = record.drainDeadline;
  }
  return earliest;
}

std::optional<health::TimePoint> DesiredState::heldUntil(const Endpoint& server, health::TimePoint now) const {
  const auto it = records_.find(server);
  if (it == records_.end() || it->second.held <= now) return std::nullopt;
  return it->second.held;
}

DesiredState::EvidenceOutcome DesiredState::onEvidence(const Endpoint& server, health::FailureKind kind,
                                                       health::TimePoint now) {
  const auto it = phases_.find(server);
  if (it == phases_.end()) return {std::nullopt, "not a real server of ours"};
  if (it->second != ServerPhase::Active) return {std::nullopt, "not active"};
  Record& record = records_[server];
  if (now < record.evidenceIgnoredUntil) return {std::nullopt, "cooldown after a false alarm"};
  const bool anotherActive = std::any_of(phases_.begin(), phases_.end(), [&](const auto& entry) {
    return entry.first != server && entry.second == ServerPhase::Active;
  });
  if (!anotherActive) return {std::nullopt, "last active server"};
  record.awaitingConfirmation = true;
  const ServerPhase to = isDown(kind) ? ServerPhase::Removed : ServerPhase::Draining;
  noteFall(record, now);
  it->second = to;
  return {Transition{server, ServerPhase::Active, to}, {}};
}

ServerPhase DesiredState::phase(const Endpoint& server) const {
  const auto it = phases_.find(server);
  return it == phases_.end() ? ServerPhase::Pending : it->second;
}

std::vector<Endpoint> DesiredState::servers() const {
  std::vector<Endpoint> out;
  out.reserve(phases_.size());
  for (const auto& [server, phase] : phases_) out.push_back(server);
  return out;
}

bool DesiredState::failingOpen() const {
  if (!failOpen_ || phases_.empty() || checked_.size() < phases_.size()) return false;
  return std::none_of(phases_.begin(), phases_.end(),
                      [](const auto& entry) { return entry.second == ServerPhase::Active; });
}

std::string DesiredState::lastFailure(const Endpoint& server) const {
  const auto it = failures_.find(server);
  return it == failures_.end() ? std::string() : it->second;
}

std::vector<RealServer> DesiredState::desiredReals() const {
  const bool allAtOne = failingOpen();
  std::vector<RealServer> out;
  for (const auto& [server, phase] : phases_) {
    if (const auto weight = allAtOne ? std::optional<std::uint32_t>(1) : weightOf(phase)) {
      RealServer rs;
      rs.endpoint = server;
      rs.weight = *weight;
      rs.forward = ForwardMethod::Masquerade;
      out.push_back(rs);
    }
  }
  return out;
}

}  // namespace lvscare::care
