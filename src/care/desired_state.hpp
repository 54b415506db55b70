// What the kernel should hold for our virtual server: the service itself and, for each real server
// of --rs, whether it is programmed and with which weight. Pure: health verdicts come in as
// CheckEvents, the kernel state at start-up comes in as a listing; nothing here talks to a kernel.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lvscare/datapath.hpp"
#include "lvscare/health.hpp"

namespace lvscare::care {

// Where one real server stands in LVScare's cycle:
//   fail and weight != 0 -> weight 0; fail and weight 0 -> delete;
//   pass and weight 0 -> weight 1;    pass and absent   -> add with weight 1.
// "fail" and "pass" are verdicts, so rise/fall thresholds (CheckPolicy) apply before a server
// moves; with rise = fall = 1 this is exactly LVScare.
enum class ServerPhase : std::uint8_t {
  Pending,   // absent from the kernel and no verdict yet: programmed once it passes
  Active,    // weight 1
  Draining,  // weight 0: no new connections, established ones finish
  Removed,   // deleted after failing again while draining
};
std::string_view toString(ServerPhase phase);

// The weight a phase asks for; nullopt = not in the kernel at all.
std::optional<std::uint32_t> weightOf(ServerPhase phase);

// The phase after one completed check.
ServerPhase nextPhase(ServerPhase current, const health::CheckEvent& event);

// The phase a server found in the kernel at start-up is adopted in (no flush, no gap): weight > 0
// is Active, weight 0 is Draining; absent is Pending.
ServerPhase adoptedPhase(const RealServerStatus* inKernel);

class DesiredState {
 public:
  // `reals` may contain duplicates; they count once. Every server starts Pending. With `failOpen`,
  // a set in which every server has been checked and none is Active keeps all of them at weight
  // 1 (see failingOpen()); without it, LVScare's strict per-server rules alone decide.
  DesiredState(VirtualServer service, const std::vector<Endpoint>& reals, bool failOpen = false);

  // Takes each server's phase from the kernel's listing of our virtual server (start-up).
  void adopt(const std::vector<RealServerStatus>& kernel);

  // Applies one check; returns the phase change, if any. Events for servers not in the set are
  // ignored (a check that completes after the set changed).
  struct Transition {
    Endpoint server;
    ServerPhase from;
    ServerPhase to;
  };
  std::optional<Transition> onCheck(const health::CheckEvent& event);

  const VirtualServer& service() const { return service_; }
  ServerPhase phase(const Endpoint& server) const;  // Pending for a server not in the set
  const std::map<Endpoint, ServerPhase>& phases() const { return phases_; }
  std::vector<Endpoint> servers() const;

  // The real servers the kernel should hold, with their weights, in endpoint order.
  std::vector<RealServer> desiredReals() const;

  // Fail-open: every server has completed at least one check and none passes (no server Active).
  // Then every server is desired at weight 1, whatever its phase: a checker-side problem (a 401
  // from /healthz, a wrong path or certificate, a firewall on the checks only) must not take the
  // VIP down. It ends at the first server that passes; phases move as usual meanwhile.
  bool failingOpen() const;
  bool failOpenEnabled() const { return failOpen_; }
  // Why a server's most recent check failed; empty once it passed (or before any check).
  std::string lastFailure(const Endpoint& server) const;

 private:
  VirtualServer service_;
  std::map<Endpoint, ServerPhase> phases_;
  bool failOpen_ = false;
  std::set<Endpoint> checked_;                // servers with at least one completed check
  std::map<Endpoint, std::string> failures_;  // the detail of each server's failing check
};

}  // namespace lvscare::care
