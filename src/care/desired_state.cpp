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

ServerPhase adoptedPhase(const RealServerStatus* inKernel) {
  if (inKernel == nullptr) return ServerPhase::Pending;
  return inKernel->server.weight > 0 ? ServerPhase::Active : ServerPhase::Draining;
}

DesiredState::DesiredState(VirtualServer service, const std::vector<Endpoint>& reals, bool failOpen)
    : service_(std::move(service)), failOpen_(failOpen) {
  for (const Endpoint& rs : reals) phases_.emplace(rs, ServerPhase::Pending);
}

void DesiredState::adopt(const std::vector<RealServerStatus>& kernel) {
  // Indexed first: a restart beside 10,000 real servers must not compare every pair.
  std::map<Endpoint, const RealServerStatus*> inKernel;
  for (const RealServerStatus& status : kernel) inKernel[status.server.endpoint] = &status;
  for (auto& [server, phase] : phases_) {
    const auto found = inKernel.find(server);
    phase = adoptedPhase(found == inKernel.end() ? nullptr : found->second);
  }
}

std::optional<DesiredState::Transition> DesiredState::onCheck(const health::CheckEvent& event) {
  const auto it = phases_.find(event.target);
  if (it == phases_.end()) return std::nullopt;
  checked_.insert(event.target);
  if (event.result.healthy) failures_.erase(event.target);
  else failures_[event.target] = event.result.detail;
  const ServerPhase from = it->second;
  const ServerPhase to = nextPhase(from, event);
  if (to == from) return std::nullopt;
  it->second = to;
  return Transition{event.target, from, to};
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
