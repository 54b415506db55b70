// The diff: desired state against the kernel's, as the ops that close the gap. Pure.
#include "care/diff.hpp"

#include <map>

#include "care/kept_weights.hpp"

namespace lvscare::care {

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

}  // namespace lvscare::care
