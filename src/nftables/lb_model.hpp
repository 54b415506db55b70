// The desired state of our load-balancer tables and how one Datapath op changes it, with IPVS's
// semantics: adding what exists is Errc::Exists, touching what is absent Errc::NotFound, and a
// real server needs its virtual server. Pure, so the semantics are unit-tested without a kernel.
#pragma once

#include <map>
#include <vector>

#include "lvscare/datapath.hpp"
#include "nftables/lb_ruleset.hpp"

namespace lvscare::nftables {

using LbState = std::map<ServiceKey, LbService>;

// Applies `op` to `state`, or leaves `state` as it was and says why not. O(log n) to find a real
// server, in place: a sync of n ops is not quadratic. The weight sum is not checked per op (that
// would be): check each service once the ops are applied.
Result<void> applyOp(LbState& state, const DatapathOp& op);
// Slot numbers are u32 map keys: the weights must add up to less than 2^32.
Result<void> checkWeightSum(const LbService& lb);

// The backends of `before` that `after` no longer has (all of them when `after` is null).
std::vector<Endpoint> removedBackends(const LbService& before, const LbService* after);

}  // namespace lvscare::nftables
