#include "nftables/lb_model.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace lvscare::nftables {
namespace {

using Kind = DatapathOp::Kind;

// lb.reals is sorted by endpoint (lb_ruleset.hpp): every lookup and insertion is a binary search,
// and an op changes the list in place, so a sync of n ops costs O(n log n), not O(n^2) (10,000
// real servers took 58 s when each op copied and re-sorted the list).
bool byEndpoint(const RealServer& real, const Endpoint& endpoint) { return real.endpoint < endpoint; }

std::vector<RealServer>::iterator findReal(LbService& lb, const Endpoint& endpoint) {
  const auto at = std::lower_bound(lb.reals.begin(), lb.reals.end(), endpoint, byEndpoint);
  return at != lb.reals.end() && at->endpoint == endpoint ? at : lb.reals.end();
}

// Slot numbers are u32 map keys: the weights must add up to less than 2^32.
constexpr std::uint64_t kMaxWeightSum = 0xffffffffu;

std::uint64_t weightSum(LbService& lb) {
  if (!lb.weightSum) {
    std::uint64_t sum = 0;
    for (const auto& real : lb.reals) sum += real.weight;
    lb.weightSum = sum;
  }
  return *lb.weightSum;
}

Result<void> applyRealOp(LbService& lb, const DatapathOp& op) {
  const ServiceKey& key = op.service.key;
  const auto found = findReal(lb, op.real.endpoint);
  const auto what = [&] { return fmt::format("real server {} on {}", op.real.endpoint.toString(), key.toString()); };
  const auto tooHeavy = [&] { return fail(Errc::InvalidArgument, "weights of " + key.toString() + " add up past 2^32"); };
  if (op.kind == Kind::DeleteRealServer) {
    if (found == lb.reals.end()) return fail(Errc::NotFound, what() + " does not exist");
    if (lb.weightSum) *lb.weightSum -= found->weight;
    lb.reals.erase(found);
    return {};
  }
  if (auto valid = validateReal(key, op.real); !valid) return valid;
  if (op.kind == Kind::AddRealServer) {
    if (found != lb.reals.end()) return fail(Errc::Exists, what() + " exists");
    const std::uint64_t sum = weightSum(lb) + op.real.weight;
    if (sum > kMaxWeightSum) return tooHeavy();
    lb.reals.insert(std::lower_bound(lb.reals.begin(), lb.reals.end(), op.real.endpoint, byEndpoint), op.real);
    lb.weightSum = sum;
    return {};
  }
  if (found == lb.reals.end()) return fail(Errc::NotFound, what() + " does not exist");
  const std::uint64_t sum = weightSum(lb) - found->weight + op.real.weight;
  if (sum > kMaxWeightSum) return tooHeavy();
  *found = op.real;
  lb.weightSum = sum;
  return {};
}

}  // namespace

Result<void> applyOp(LbState& state, const DatapathOp& op) {
  const ServiceKey& key = op.service.key;
  const auto found = state.find(key);
  const bool present = found != state.end();
  const std::string what = "virtual server " + key.toString();
  switch (op.kind) {
    case Kind::AddVirtualServer:
    case Kind::UpdateVirtualServer: {
      if (auto valid = validateService(op.service); !valid) return valid;
      if (op.kind == Kind::AddVirtualServer && present) return fail(Errc::Exists, what + " exists");
      if (op.kind == Kind::UpdateVirtualServer && !present) return fail(Errc::NotFound, what + " does not exist");
      state[key].service = op.service;
      return {};
    }
    case Kind::DeleteVirtualServer:
      if (!present) return fail(Errc::NotFound, what + " does not exist");
      state.erase(found);
      return {};
    case Kind::AddRealServer:
    case Kind::UpdateRealServer:
    case Kind::DeleteRealServer:
      if (!present) return fail(Errc::NotFound, what + " does not exist");
      return applyRealOp(found->second, op);
  }
  return fail(Errc::InvalidArgument, "unknown datapath op");
}

std::vector<Endpoint> removedBackends(const LbService& before, const LbService* after) {
  std::vector<Endpoint> out;
  for (const auto& real : before.reals) {
    const bool kept = after != nullptr && std::binary_search(after->reals.begin(), after->reals.end(), real,
                                                             [](const RealServer& a, const RealServer& b) {
                                                               return a.endpoint < b.endpoint;
                                                             });
    if (!kept) out.push_back(real.endpoint);
  }
  return out;
}

}  // namespace lvscare::nftables
