// The Datapath contract as a value: the virtual servers and their real servers a datapath holds,
// and how one op changes them. Every datapath keeps the same contract, the one the kernel's IPVS
// keeps (its errno in brackets):
//   - adding a virtual server or a real server that is there: Errc::Exists (EEXIST);
//   - updating or deleting a virtual server that is absent: Errc::NotFound (ESRCH);
//   - any real-server op on an absent virtual server: Errc::NotFound (ESRCH);
//   - updating or deleting a real server that is absent: Errc::NotFound (ENOENT);
//   - deleting a virtual server deletes its real servers; updating it keeps them;
//   - a refused op changes nothing.
// Pure: FakeDatapath is this model, and NftDatapath computes each transaction with it. The same
// cases run against the model, nftables and IPVS (tests/support/datapath_contract.hpp).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lvscare/datapath.hpp"

namespace lvscare {

// One virtual server and its real servers.
struct ServiceState {
  VirtualServer service;
  std::vector<RealServer> reals;  // unique endpoints, sorted by endpoint

  const RealServer* findReal(const Endpoint& endpoint) const;
  bool operator==(const ServiceState&) const = default;
};

// The contract's one wording of an absent virtual server: "virtual server TCP 10.0.0.1:80 does not
// exist" (Errc::NotFound), for listings of it too.
Failure absentService(const ServiceKey& key);

class DatapathModel {
 public:
  // A datapath's own limit, checked on a service as an op would leave it (not called when the op
  // deletes the service). A failure refuses the op.
  using Admission = std::function<Result<void>(const ServiceState& next)>;

  // Applies `op`, or leaves the model as it was and says why not (the contract above).
  Result<void> apply(const DatapathOp& op, const Admission& admit = {});

  const ServiceState* find(const ServiceKey& key) const;                             // null when absent
  const ServiceState& at(const ServiceKey& key) const { return services_.at(key); }  // throws when absent
  const std::map<ServiceKey, ServiceState>& services() const { return services_; }
  bool empty() const { return services_.empty(); }
  void clear() { services_.clear(); }
  // Takes a service as a kernel holds it (adoption), replacing any of its key.
  void set(ServiceState state);

  // One line per virtual server and per real server, for test failure output.
  std::string toString() const;
  bool operator==(const DatapathModel&) const = default;

 private:
  Result<void> commit(const ServiceKey& key, ServiceState next, const Admission& admit);
  Result<void> applyToReals(ServiceState& state, const DatapathOp& op, const Admission& admit);

  std::map<ServiceKey, ServiceState> services_;
};

}  // namespace lvscare
