#include "nftables/lb_model.hpp"

#include <cstdint>

namespace lvscare::nftables {
namespace {

using Kind = DatapathOp::Kind;

// Slot numbers are u32 map keys.
Result<void> checkWeightSum(const LbService& lb) {
  std::uint64_t sum = 0;
  for (const auto& real : lb.reals) sum += real.weight;
  if (sum > 0xffffffffu)
    return fail(Errc::InvalidArgument, "weights of " + lb.service.key.toString() + " add up past 2^32");
  return {};
}

// What this datapath can express of the op itself, whatever the state.
Result<void> validateOp(const DatapathOp& op) {
  switch (op.kind) {
    case Kind::AddVirtualServer:
    case Kind::UpdateVirtualServer: return validateService(op.service);
    case Kind::AddRealServer:
    case Kind::UpdateRealServer: return validateReal(op.service.key, op.real);
    case Kind::DeleteVirtualServer:
    case Kind::DeleteRealServer: return {};
  }
  return fail(Errc::InvalidArgument, "unknown datapath op");  // an op kind outside the enum
}

}  // namespace

Result<void> applyOp(LbState& state, const DatapathOp& op) {
  if (auto valid = validateOp(op); !valid) return valid;
  return state.apply(op, checkWeightSum);
}

std::vector<Endpoint> removedBackends(const LbService& before, const LbService* after) {
  std::vector<Endpoint> out;
  for (const auto& real : before.reals) {
    if (after == nullptr || after->findReal(real.endpoint) == nullptr) out.push_back(real.endpoint);
  }
  return out;
}

}  // namespace lvscare::nftables
