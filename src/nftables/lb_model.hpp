// The desired state of our load-balancer tables and how one Datapath op changes it: the contract's
// model (lvscare/datapath_model.hpp) plus what this datapath can express (validateService,
// validateReal) and its slot space (weights add up to at most 2^32). Pure, so it is unit-tested
// without a kernel.
#pragma once

#include <vector>

#include "lvscare/datapath.hpp"
#include "lvscare/datapath_model.hpp"
#include "nftables/lb_ruleset.hpp"

namespace lvscare::nftables {

using LbState = DatapathModel;

// Applies `op` to `state`, or leaves `state` as it was and says why not. In place (the model finds a
// real server by binary search and undoes a refused op), so a sync of n ops is not quadratic.
Result<void> applyOp(LbState& state, const DatapathOp& op);

// The backends of `before` that `after` no longer has (all of them when `after` is null).
std::vector<Endpoint> removedBackends(const LbService& before, const LbService* after);

}  // namespace lvscare::nftables
