#include "care/reconciler.hpp"

#include <algorithm>
#include <map>

#include "care/kept_weights.hpp"

namespace lvscare::care {

Result<KernelState> readKernelState(Datapath& datapath, const ServiceKey& key) {
  auto service = datapath.getVirtualServer(key);
  if (!service) {
    if (service.error().code == Errc::NotFound) return KernelState{};
    return passOn(service, "read virtual server " + key.toString());
  }
  auto reals = datapath.listRealServers(key);
  if (!reals) {
    // Deleted between the two reads: the next pass sees it missing.
    if (reals.error().code == Errc::NotFound) return KernelState{};
    return passOn(reals, "list real servers of " + key.toString());
  }
  return KernelState{true, std::move(*service), std::move(*reals)};
}

namespace {

// The fields of a virtual server we set; anything else (statistics, kernel-only flags) is ignored.
bool sameService(const VirtualServer& a, const VirtualServer& b) {
  return a.scheduler == b.scheduler && a.flags == b.flags && a.persistenceTimeout == b.persistenceTimeout &&
         a.netmaskBits == b.netmaskBits;
}

bool sameReal(const RealServer& a, const RealServer& b) {
  return a.weight == b.weight && a.forward == b.forward && a.upperThreshold == b.upperThreshold &&
         a.lowerThreshold == b.lowerThreshold;
}

}  // namespace

std::vector<DatapathOp> diff(const VirtualServer& desired, std::span<const RealServer> desiredReals,
                             const KernelState& kernel) {
  std::vector<DatapathOp> ops;
  const ServiceKey& key = desired.key;
  if (!kernel.exists) {
    ops.push_back(DatapathOp::addVirtualServer(desired));
    for (const RealServer& rs : desiredReals) ops.push_back(DatapathOp::addRealServer(key, rs));
    return ops;
  }
  if (!sameService(kernel.service, desired)) ops.push_back(DatapathOp::updateVirtualServer(desired));

  std::map<Endpoint, const RealServer*> wanted;
  for (const RealServer& rs : desiredReals) wanted.emplace(rs.endpoint, &rs);
  std::map<Endpoint, const RealServer*> present;
  for (const RealServerStatus& status : kernel.reals) present.emplace(status.server.endpoint, &status.server);

  // Deletions first: they free capacity before anything is added back.
  for (const auto& [endpoint, rs] : present) {
    if (!wanted.contains(endpoint)) ops.push_back(DatapathOp::deleteRealServer(key, endpoint));
  }
  for (const auto& [endpoint, rs] : wanted) {
    const auto it = present.find(endpoint);
    if (it == present.end()) {
      ops.push_back(DatapathOp::addRealServer(key, *rs));
      continue;
    }
    RealServer target = *rs;
    target.weight = keptWeight(*rs, *it->second);  // a weight set by hand stays (kept_weights.hpp)
    if (!sameReal(*it->second, target)) ops.push_back(DatapathOp::updateRealServer(key, target));
  }
  return ops;
}

bool alreadyDone(const DatapathOp& op, const Error& error) {
  using Kind = DatapathOp::Kind;
  switch (op.kind) {
    case Kind::AddVirtualServer:
    case Kind::AddRealServer: return error.code == Errc::Exists;
    case Kind::DeleteVirtualServer:
    case Kind::DeleteRealServer: return error.code == Errc::NotFound;
    case Kind::UpdateVirtualServer:
    case Kind::UpdateRealServer: return false;
  }
  return false;
}

ApplyReport applyOps(Datapath& datapath, std::span<const DatapathOp> ops) {
  ApplyReport report;
  if (ops.empty()) return report;
  const auto results = datapath.apply(ops);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (i >= results.size()) {
      report.failures.emplace_back(ops[i], Error{Errc::Kernel, 0, "no result from the datapath"});
    } else if (results[i] || alreadyDone(ops[i], results[i].error())) {
      report.applied.push_back(ops[i]);
    } else {
      report.failures.emplace_back(ops[i], results[i].error());
    }
  }
  return report;
}

Result<ReconcileReport> reconcile(Datapath& datapath, const VirtualServer& desired,
                                  std::span<const RealServer> desiredReals) {
  auto kernel = readKernelState(datapath, desired.key);
  if (!kernel) return passOn(kernel);
  ReconcileReport report;
  report.serviceWasMissing = !kernel->exists;
  report.keptWeights = keptWeights(desiredReals, kernel->reals);
  const auto ops = diff(desired, desiredReals, *kernel);
  report.apply = applyOps(datapath, ops);
  return report;
}

}  // namespace lvscare::care
