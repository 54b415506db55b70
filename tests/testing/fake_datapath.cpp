#include "testing/fake_datapath.hpp"

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
  const auto pending = std::find_if(pendingFailures_.begin(), pendingFailures_.end(),
                                    [&](const auto& entry) { return entry.first == op.kind; });
  if (pending != pendingFailures_.end()) {
    Error error = pending->second;
    pendingFailures_.erase(pending);
    return fail(std::move(error));
  }
  auto applied = model_.apply(op);
  if (applied) forgetStats(op);
  return applied;
}

// A deleted real server's counters go with it, as in the kernel.
void FakeDatapath::forgetStats(const DatapathOp& op) {
  const ServiceKey& key = op.service.key;
  if (op.kind == DatapathOp::Kind::DeleteRealServer) stats_.erase({key, op.real.endpoint});
  if (op.kind == DatapathOp::Kind::DeleteVirtualServer) {
    std::erase_if(stats_, [&](const auto& entry) { return entry.first.first == key; });
  }
}

Result<std::vector<VirtualServer>> FakeDatapath::listVirtualServers() {
  if (listingError_) return fail(*listingError_);
  std::vector<VirtualServer> out;
  for (const auto& [key, state] : model_.services()) out.push_back(state.service);
  return out;
}

Result<VirtualServer> FakeDatapath::getVirtualServer(const ServiceKey& key) {
  if (listingError_) return fail(*listingError_);
  const auto* state = model_.find(key);
  if (state == nullptr) return absentService(key);
  return state->service;
}

Result<std::vector<RealServerStatus>> FakeDatapath::listRealServers(const ServiceKey& key) {
  if (listingError_) return fail(*listingError_);
  const auto* state = model_.find(key);
  if (state == nullptr) return absentService(key);
  std::vector<RealServerStatus> out;
  for (const auto& real : state->reals) {
    const auto stats = stats_.find({key, real.endpoint});
    out.push_back(RealServerStatus{real, stats == stats_.end() ? RealServerStats{} : stats->second});
  }
  return out;
}

Result<void> FakeDatapath::flush() {
  model_.clear();
  stats_.clear();
  return {};
}

void FakeDatapath::failNext(DatapathOp::Kind kind, Error error) {
  pendingFailures_.emplace_back(kind, std::move(error));
}

void FakeDatapath::setStats(const ServiceKey& key, const Endpoint& rs, RealServerStats stats) {
  const auto* state = model_.find(key);
  if (state != nullptr && state->findReal(rs) != nullptr) stats_[{key, rs}] = stats;
}

}  // namespace lvscare
