// An in-memory Datapath: the contract's model (datapath_model.hpp), an op log and one-shot fault
// injection, for logic tests of everything above the kernel.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "lvscare/datapath.hpp"
#include "lvscare/datapath_model.hpp"

namespace lvscare {

class FakeDatapath final : public Datapath {
 public:
  std::string_view name() const override { return "fake"; }
  std::vector<Result<void>> apply(std::span<const DatapathOp> ops) override;
  Result<std::vector<VirtualServer>> listVirtualServers() override;
  Result<VirtualServer> getVirtualServer(const ServiceKey& key) override;
  Result<std::vector<RealServerStatus>> listRealServers(const ServiceKey& key) override;
  Result<void> flush() override;

  // Every op applied successfully, in order; tests assert on it and clear it.
  const std::vector<DatapathOp>& log() const { return log_; }
  void clearLog() { log_.clear(); }
  // Number of apply() calls (batches) so far.
  int applyCalls() const { return applyCalls_; }

  // The next op of `kind` fails with `error` (once), without changing state.
  void failNext(DatapathOp::Kind kind, Error error);
  // Every listing fails with `error` until cleared with std::nullopt.
  void failListings(std::optional<Error> error) { listingError_ = std::move(error); }
  // Sets counters a test wants to see in listRealServers().
  void setStats(const ServiceKey& key, const Endpoint& rs, RealServerStats stats);

 private:
  Result<void> applyOne(const DatapathOp& op);
  void forgetStats(const DatapathOp& op);

  DatapathModel model_;
  std::map<std::pair<ServiceKey, Endpoint>, RealServerStats> stats_;  // of present real servers only
  std::vector<DatapathOp> log_;
  std::vector<std::pair<DatapathOp::Kind, Error>> pendingFailures_;
  std::optional<Error> listingError_;
  int applyCalls_ = 0;
};

}  // namespace lvscare
