#include "lvscare/datapath_model.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

namespace lvscare {
namespace {

using Kind = DatapathOp::Kind;

bool endpointBefore(const RealServer& real, const Endpoint& endpoint) { return real.endpoint < endpoint; }

std::string serviceName(const ServiceKey& key) { return "virtual server " + key.toString(); }

std::string realName(const ServiceKey& key, const Endpoint& endpoint) {
  return fmt::format("real server {} on {}", endpoint.toString(), key.toString());
}

// What an op on a real server needs to find there.
enum class Needs : std::uint8_t { Absent, Present };

void insertReal(std::vector<RealServer>& reals, std::size_t at, const RealServer& real) {
  reals.insert(reals.begin() + static_cast<std::ptrdiff_t>(at), real);
}
void replaceReal(std::vector<RealServer>& reals, std::size_t at, const RealServer& real) { reals[at] = real; }
void eraseReal(std::vector<RealServer>& reals, std::size_t at, const RealServer&) {
  reals.erase(reals.begin() + static_cast<std::ptrdiff_t>(at));
}

// Changes the real-server list of `state` at the position of `endpoint` (where it is or belongs).
using RealsChange = void (*)(std::vector<RealServer>& reals, std::size_t at, const RealServer& real);

Result<void> changeReals(ServiceState& state, const DatapathOp& op, Needs needs, RealsChange change,
                         const DatapathModel::Admission& admit) {
  const Endpoint& endpoint = op.real.endpoint;
  const auto position = std::lower_bound(state.reals.begin(), state.reals.end(), endpoint, endpointBefore);
  const bool present = position != state.reals.end() && position->endpoint == endpoint;
  if (needs == Needs::Absent && present) return fail(Errc::Exists, realName(op.service.key, endpoint) + " exists");
  if (needs == Needs::Present && !present)
    return fail(Errc::NotFound, realName(op.service.key, endpoint) + " does not exist");
  const auto at = static_cast<std::size_t>(position - state.reals.begin());
  if (!admit) {
    change(state.reals, at, op.real);
    return {};
  }
  // Changed in place and undone when refused: copying the list for every op made a sync of n real
  // servers cost O(n^2) copies (10,000 of them took seconds).
  const std::optional<RealServer> previous = present ? std::optional<RealServer>(state.reals[at]) : std::nullopt;
  change(state.reals, at, op.real);
  if (auto admitted = admit(state); !admitted) {
    if (!previous) eraseReal(state.reals, at, op.real);  // an insertion
    else if (op.kind == Kind::UpdateRealServer) state.reals[at] = *previous;
    else insertReal(state.reals, at, *previous);  // a deletion
    return admitted;
  }
  return {};
}

}  // namespace

Failure absentService(const ServiceKey& key) { return fail(Errc::NotFound, serviceName(key) + " does not exist"); }

const RealServer* ServiceState::findReal(const Endpoint& endpoint) const {
  const auto position = std::lower_bound(reals.begin(), reals.end(), endpoint, endpointBefore);
  return position != reals.end() && position->endpoint == endpoint ? &*position : nullptr;
}

Result<void> DatapathModel::apply(const DatapathOp& op, const Admission& admit) {
  const ServiceKey& key = op.service.key;
  const auto found = services_.find(key);
  const bool present = found != services_.end();
  if (!present && op.kind != Kind::AddVirtualServer) return absentService(key);
  switch (op.kind) {
    case Kind::AddVirtualServer:
      if (present) return fail(Errc::Exists, serviceName(key) + " exists");
      return commit(key, ServiceState{op.service, {}}, admit);
    case Kind::UpdateVirtualServer: return commit(key, ServiceState{op.service, found->second.reals}, admit);
    case Kind::DeleteVirtualServer: services_.erase(found); return {};
    case Kind::AddRealServer: return changeReals(found->second, op, Needs::Absent, insertReal, admit);
    case Kind::UpdateRealServer: return changeReals(found->second, op, Needs::Present, replaceReal, admit);
    case Kind::DeleteRealServer: return changeReals(found->second, op, Needs::Present, eraseReal, admit);
  }
  return fail(Errc::InvalidArgument, "unknown datapath op");  // an op kind outside the enum
}

Result<void> DatapathModel::commit(const ServiceKey& key, ServiceState next, const Admission& admit) {
  if (admit) {
    if (auto admitted = admit(next); !admitted) return admitted;
  }
  services_[key] = std::move(next);
  return {};
}

const ServiceState* DatapathModel::find(const ServiceKey& key) const {
  const auto found = services_.find(key);
  return found == services_.end() ? nullptr : &found->second;
}

void DatapathModel::set(ServiceState state) {
  const ServiceKey key = state.service.key;
  services_[key] = std::move(state);
}

std::string DatapathModel::toString() const {
  std::string out;
  for (const auto& [key, state] : services_) {
    out += fmt::format("{} scheduler {} flags {:#x} timeout {} netmask {}\n", key.toString(), state.service.scheduler,
                       state.service.flags, state.service.persistenceTimeout, state.service.netmaskBits);
    for (const auto& real : state.reals) {
      out += fmt::format("  {} weight {} forward {} thresholds {}/{}\n", real.endpoint.toString(), real.weight,
                         lvscare::toString(real.forward), real.upperThreshold, real.lowerThreshold);
    }
  }
  return out;
}

}  // namespace lvscare
