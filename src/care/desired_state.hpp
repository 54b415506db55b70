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
// moves; with rise = fall = 1 this is exactly LVScare. FailoverPolicy refines "fail" by what the
// failure says about the server (down or not ready); with drainTimeout 0 it is LVScare's cycle.
enum class ServerPhase : std::uint8_t {
  Pending,   // absent from the kernel and no verdict yet: programmed once it passes
  Active,    // weight 1
  Draining,  // weight 0: no new connections, established ones finish
  Removed,   // deleted after failing again while draining
};
std::string_view toString(ServerPhase phase);

// The weight a phase asks for; nullopt = not in the kernel at all.
std::optional<std::uint32_t> weightOf(ServerPhase phase);

// How a failing server leaves rotation (issue 13), by what its failure says (health::FailureKind):
// - down (refused, unreachable, TLS): nothing there can serve, so an active server is removed at
//   once (and its connections expired by the datapath) instead of first going to weight 0;
// - not ready (a failing HTTP status, like the apiserver's /readyz during its shutdown delay):
//   drained, weight 0 with established connections kept, until drainTimeout has passed; then
//   removed. Further failures meanwhile do not cut the drain short: a server in a graceful
//   shutdown closes its listener while it still finishes in-flight requests;
// - a timeout or anything else: LVScare's sequence (weight 0, removed at the next failed check):
//   a server too busy to answer in time may still be serving, a black-holed one goes a check later.
// drainTimeout 0 gives LVScare's sequence for every failure.
//
// Flap damping: a server that fails again within dampingMax of coming back has flapped; from the
// second flap on it is held out for dampingBase, doubling with each further flap, at most
// dampingMax, even if it passes meanwhile (its first passing check after the hold brings it
// back). dampingBase 0 turns damping off (the default: LVScare has none).
//
// Passive evidence (a connection through the VIP refused or never answered, seen by the datapath)
// takes an active server out at once, unless it is the last active one (evidence from one place
// must never take the whole VIP down). An active check confirms; a passing one brings the server
// back, and then that server's evidence is ignored for evidenceCooldown: a false alarm (a scan,
// a broken client, a full SYN queue) cannot flap it, while a server that really died again is
// taken out again at once.
struct FailoverPolicy {
  health::Duration drainTimeout = std::chrono::seconds(10);
  health::Duration dampingBase{};
  health::Duration dampingMax = std::chrono::seconds(60);
  health::Duration evidenceCooldown = std::chrono::seconds(30);
  // LVScare's behaviour: no drain deadline, no damping.
  static FailoverPolicy lvscare() {
    FailoverPolicy policy;
    policy.drainTimeout = health::Duration::zero();
    return policy;
  }
};

// True for failures that mean nothing on the server can serve: refused, unreachable, TLS.
bool isDown(health::FailureKind kind);

// The phase after one completed check, in LVScare's cycle (no FailoverPolicy refinements).
ServerPhase nextPhase(ServerPhase current, const health::CheckEvent& event);

// The phase a server found in the kernel at start-up is adopted in (no flush, no gap): weight > 0
// is Active, weight 0 is Draining; absent is Pending.
ServerPhase adoptedPhase(const RealServerStatus* inKernel);

class DesiredState {
 public:
  // `reals` may contain duplicates; they count once. Every server starts Pending. With `failOpen`,
  // a set in which every server has been checked and none is Active keeps all of them at weight
  // 1 (see failingOpen()); without it, LVScare's strict per-server rules alone decide.
  DesiredState(VirtualServer service, const std::vector<Endpoint>& reals, bool failOpen = false,
               FailoverPolicy policy = {});

  // Takes each server's phase from the kernel's listing of our virtual server (start-up).
  void adopt(const std::vector<RealServerStatus>& kernel);

  // Applies one check; returns the phase change, if any. Events for servers not in the set are
  // ignored (a check that completes after the set changed).
  struct Transition {
    Endpoint server;
    ServerPhase from;
    ServerPhase to;
  };
  // `now` is the dispatcher's clock (drain deadlines and flap damping).
  std::optional<Transition> onCheck(const health::CheckEvent& event, health::TimePoint now = {});

  // Drained servers whose drain deadline has passed are removed.
  std::vector<Transition> expireDrains(health::TimePoint now);
  // The drain deadline of one server, if it is draining towards one.
  std::optional<health::TimePoint> drainDeadline(const Endpoint& server) const;
  // The earliest drain deadline, if any server is draining towards one.
  std::optional<health::TimePoint> nextDrainDeadline() const;
  // When a server that passes is held out by flap damping; nullopt when it is not.
  std::optional<health::TimePoint> heldUntil(const Endpoint& server, health::TimePoint now) const;

  // Passive evidence against a server (refused: down; timeout: never answered). Returns the
  // transition it caused, or why it was not acted on.
  struct EvidenceOutcome {
    std::optional<Transition> transition;
    std::string ignored;  // "not active", "last active server", "cooldown": empty when acted on
  };
  EvidenceOutcome onEvidence(const Endpoint& server, health::FailureKind kind, health::TimePoint now);

  const VirtualServer& service() const { return service_; }
  const FailoverPolicy& policy() const { return policy_; }
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
  // What the policy remembers of one server beyond its phase.
  struct Record {
    std::optional<health::TimePoint> drainDeadline;  // draining because it said "not ready"
    std::optional<health::TimePoint> cameBack;       // when it last became active after failing
    int flaps = 0;
    health::TimePoint held{};                  // flap damping: not back before this
    bool awaitingConfirmation = false;         // evidence took it out; no check since
    health::TimePoint evidenceIgnoredUntil{};  // a false alarm: evidence ignored until then
  };
  ServerPhase failedPhase(ServerPhase current, health::FailureKind kind, Record& record, health::TimePoint now) const;
  void noteFall(Record& record, health::TimePoint now) const;

  VirtualServer service_;
  FailoverPolicy policy_;
  std::map<Endpoint, ServerPhase> phases_;
  std::map<Endpoint, Record> records_;
  bool failOpen_ = false;
  std::set<Endpoint> checked_;                // servers with at least one completed check
  std::map<Endpoint, std::string> failures_;  // the detail of each server's failing check
};

}  // namespace lvscare::care
