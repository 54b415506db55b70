// One lvscare per virtual server on a node. Two processes keeping the same VIP:port with different
// real server lists would each delete the other's servers on every pass, and every deletion resets
// that server's established connections. So the first one owns the VIP and any other one waits.
//
// The mark of ownership is a unix socket bound to an abstract name, "\0lvscare/vip/<VIP>:<port>":
//   - abstract names live in the network namespace, so every process that shares the node's network
//     (static pods, host-network containers, other PID namespaces) sees the same one;
//   - the kernel releases the name the instant its holder dies, SIGKILL included: no lock file, no
//     PID to go stale or be reused.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "lvscare/endpoint.hpp"
#include "lvscare/event_loop.hpp"
#include "lvscare/health.hpp"
#include "lvscare/result.hpp"
#include "lvscare/unique_fd.hpp"

namespace lvscare::care {

struct CareConfig;

class VipOwner {
 public:
  // The abstract socket name for `vs` (without the leading NUL): "lvscare/vip/10.103.97.2:6443".
  static std::string nameFor(const Endpoint& vs);
  // Takes ownership of `vs` on this network namespace. Errc::Exists: another process owns it.
  static Result<VipOwner> claim(const Endpoint& vs);

 private:
  explicit VipOwner(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;  // ownership lasts as long as this descriptor is open
};

// A standby: tries `claim` every `retry` on the dispatcher until it succeeds, then calls `owned`
// once with the ownership (or `failed` once with an error other than Errc::Exists).
class VipStandby {
 public:
  using Claim = std::function<Result<VipOwner>()>;
  VipStandby(event::Dispatcher& dispatcher, Claim claim, health::Duration retry, std::function<void(VipOwner)> owned,
             std::function<void(const Error&)> failed);
  void start();
  int attempts() const { return attempts_; }

 private:
  void attempt();

  Claim claim_;
  health::Duration retry_;
  std::function<void(VipOwner)> owned_;
  std::function<void(const Error&)> failed_;
  std::unique_ptr<event::Timer> timer_;
  int attempts_ = 0;
};

// How often a standby tries to take over: the owner's death is noticed within this.
inline constexpr health::Duration kStandbyRetry = std::chrono::milliseconds(200);

// What runCare does before touching the host: own `config.virtualServer` or, while another process
// owns it,
//   care:       say so in one line and stand by on `loop` until the owner goes (then own it and
//               return, so the caller adopts the rules as a restart would) or SIGTERM/SIGINT;
//   --run-once: change nothing and exit 0: the owner keeps the VIP already;
//   -C:         refuse and exit 1: cleaning would pull the VIP from under a running owner.
// Returns the ownership to keep for the rest of the run, or the exit status to return now.
struct VipClaim {
  std::optional<VipOwner> owner;
  std::optional<int> exitStatus;
};
VipClaim claimVip(event::EpollDispatcher& loop, const CareConfig& config);

// SIGHUP (a closed terminal, a supervisor's reload) must not kill the keeper of a VIP: the care
// loop and the standby log it and go on. Nothing is re-read: the TLS context and node IP are fixed
// at start, so a reload is a restart, which adopts the rules without a gap.
void logHangupIgnored();

}  // namespace lvscare::care
