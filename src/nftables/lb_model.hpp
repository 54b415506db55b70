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

// Applies `op` to `state`, or leaves `state` as it was and says why not. In place, with a binary
// search for the real server and the weight sum kept as it goes: a sync of n ops is not quadratic.
Result<void> applyOp(LbState& state, const DatapathOp& op);

// The backends of `before` that `after` no longer has (all of them when `after` is null).
std::vector<Endpoint> removedBackends(const LbService& before, const LbService* after);

}  // namespace lvscare::nftables
