// Desired state vs kernel state -> the ops that close the gap -> one apply() call. The diff is a
// pure function; reconcile() adds one read of our virtual server and one batch of ops, so it is
// cheap enough to run several times a second (that is how foreign deletions get repaired fast).
// Only our virtual server is ever read or changed: other virtual servers are never touched.
#pragma once

#include <span>
#include <utility>
#include <vector>

#include "care/diff.hpp"
#include "lvscare/datapath.hpp"

namespace lvscare::care {

// Reads our virtual server and its real servers. A missing virtual server is not an error.
Result<KernelState> readKernelState(Datapath& datapath, const ServiceKey& key);

// Adding what exists and deleting what is absent are success here: someone (or our previous run)
// got there first and the next read shows the truth.
bool alreadyDone(const DatapathOp& op, const Error& error);

struct ApplyReport {
  std::vector<DatapathOp> applied;                     // ops that took effect (or were already done)
  std::vector<std::pair<DatapathOp, Error>> failures;  // ops that failed for real
};
ApplyReport applyOps(Datapath& datapath, std::span<const DatapathOp> ops);

struct ReconcileReport {
  bool serviceWasMissing = false;       // our virtual server had to be created
  std::vector<RealServer> keptWeights;  // weights set by hand and left alone (kept_weights.hpp)
  ApplyReport apply;
  bool changed() const { return !apply.applied.empty(); }
};

// read -> diff -> apply. Fails only when the kernel cannot be read; failed ops are in the report.
Result<ReconcileReport> reconcile(Datapath& datapath, const VirtualServer& desired,
                                  std::span<const RealServer> desiredReals);

}  // namespace lvscare::care
