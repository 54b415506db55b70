#include "care/reconciler.hpp"

#include "care/kept_weights.hpp"

namespace lvscare::care {

Result<KernelState> readKernelState(Datapath& datapath, const ServiceKey& key) {
  return datapath.readVirtualServer(key);
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
