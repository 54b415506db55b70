#include "lvscare/fake_datapath.hpp"

#include <algorithm>

namespace lvscare {

std::vector<Result<void>> FakeDatapath::apply(std::span<const DatapathOp> ops) {
  ++applyCalls_;
  std::vector<Result<void>> results;
  results.reserve(ops.size());
  for (const auto& op : ops) {
    auto result = applyOne(op);
    if (result) log_.push_back(op);
    results.push_back(std::move(result));
  }
  return results;
}

Result<void> FakeDatapath::applyOne(const DatapathOp& op) {
  using Kind = DatapathOp::Kind;
  const auto pending = std::find_if(pendingFailures_.begin(), pendingFailures_.end(),
                                    [&](const auto& entry) { return entry.first == op.kind; });
  if (pending != pendingFailures_.end()) {
    Error error = pending->second;
    pendingFailures_.erase(pending);
    return fail(std::move(error));
  }
  const auto& key = op.service.key;
  auto service = services_.find(key);
  const bool serviceExists = service != services_.end();
  switch (op.kind) {
    case Kind::AddVirtualServer:
      if (serviceExists) return fail(Errc::Exists, "virtual server " + key.toString() + " exists");
      services_[key].definition = op.service;
      return {};
    case Kind::UpdateVirtualServer:
      if (!serviceExists) return fail(Errc::NotFound, "no virtual server " + key.toString());
      service->second.definition = op.service;
      return {};
    case Kind::DeleteVirtualServer:
      if (!serviceExists) return fail(Errc::NotFound, "no virtual server " + key.toString());
      services_.erase(service);
      return {};
    default: break;
  }
  if (!serviceExists) return fail(Errc::NotFound, "no virtual server " + key.toString());
  auto& reals = service->second.reals;
  const auto real = reals.find(op.real.endpoint);
  const std::string name = "real server " + op.real.endpoint.toString();
  switch (op.kind) {
    case Kind::AddRealServer:
      if (real != reals.end()) return fail(Errc::Exists, name + " exists");
      reals[op.real.endpoint].server = op.real;
      return {};
    case Kind::UpdateRealServer:
      if (real == reals.end()) return fail(Errc::NotFound, "no " + name);
      real->second.server = op.real;
      return {};
    case Kind::DeleteRealServer:
      if (real == reals.end()) return fail(Errc::NotFound, "no " + name);
      reals.erase(real);
      return {};
    default: return fail(Errc::InvalidArgument, "unknown op");
  }
}

Result<std::vector<VirtualServer>> FakeDatapath::listVirtualServers() {
  if (listingError_) return fail(*listingError_);
  std::vector<VirtualServer> out;
  for (const auto& [key, service] : services_) out.push_back(service.definition);
  return out;
}

Result<VirtualServer> FakeDatapath::getVirtualServer(const ServiceKey& key) {
  if (listingError_) return fail(*listingError_);
  const auto service = services_.find(key);
  if (service == services_.end()) return fail(Errc::NotFound, "no virtual server " + key.toString());
  return service->second.definition;
}

Result<std::vector<RealServerStatus>> FakeDatapath::listRealServers(const ServiceKey& key) {
  if (listingError_) return fail(*listingError_);
  const auto service = services_.find(key);
  if (service == services_.end()) return fail(Errc::NotFound, "no virtual server " + key.toString());
  std::vector<RealServerStatus> out;
  for (const auto& [endpoint, status] : service->second.reals) out.push_back(status);
  return out;
}

Result<void> FakeDatapath::flush() {
  services_.clear();
  return {};
}

void FakeDatapath::failNext(DatapathOp::Kind kind, Error error) { pendingFailures_.emplace_back(kind, std::move(error)); }

void FakeDatapath::setStats(const ServiceKey& key, const Endpoint& rs, RealServerStats stats) {
  const auto service = services_.find(key);
  if (service == services_.end()) return;
  const auto real = service->second.reals.find(rs);
  if (real != service->second.reals.end()) real->second.stats = stats;
}

}  // namespace lvscare
