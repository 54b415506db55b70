// The care loop: health events move each real server through LVScare's cycle (DesiredState), and a
// reconcile pass makes the kernel match (one read of our virtual server, one batch of ops). The pass
// runs right after every phase change and on a short tick (reconcileInterval), so anything of ours
// deleted by someone else (ipvsadm -C, kube-proxy's flush, ip link del, ip route del, nft flush
// ruleset) is back within a tick, without waiting for a health check; what the kernel announces
// (kernel_watch.hpp) is back within milliseconds through reconcileSoon().
//
// Everything runs on one Dispatcher; nothing blocks but the netlink round trips themselves.
// Start-up adopts what the kernel has (no flush, no moment without rules); stop() leaves the rules.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "care/care_metrics.hpp"
#include "care/check_log.hpp"
#include "care/desired_state.hpp"
#include "care/fail_open_log.hpp"
#include "care/failure_log.hpp"
#include "care/host_setup.hpp"
#include "care/kept_weights.hpp"
#include "lvscare/datapath.hpp"
#include "lvscare/dispatcher.hpp"
#include "lvscare/health.hpp"
#include "lvscare/health_monitor.hpp"

namespace lvscare::care {

struct CareLoopOptions {
  VirtualServer service;
  std::vector<Endpoint> reals;
  health::MonitorOptions monitor;  // policy (interval, rise/fall, ...) and probe timeout
  health::Duration reconcileInterval = std::chrono::milliseconds(250);
  // When every server has been checked and none passes, keep them all at weight 1 (DesiredState).
  bool failOpen = true;
  // Down versus drain, flap damping, how passive evidence is taken (DesiredState).
  FailoverPolicy failover;
};

class CareLoop {
 public:
  // The dispatcher, datapath, host setup and the probers the factory makes must outlive the loop.
  CareLoop(event::Dispatcher& dispatcher, Datapath& datapath, HostSetup& host, health::ProberFactory probers,
           CareLoopOptions options);
  ~CareLoop();
  CareLoop(const CareLoop&) = delete;
  CareLoop& operator=(const CareLoop&) = delete;

  // Adopts the kernel's state of our virtual server, programs it (foreign real servers on it are
  // removed, a missing virtual server is created), sets the host up, then starts health checks
  // and the reconcile tick. Fails only when the kernel cannot be read at all.
  Result<void> start();
  // No more checks or ticks; the rules stay as they are.
  void stop();

  // --run-once: adopt, exactly one health round, program the result and set the host up; `done`
  // runs from the dispatcher once that is finished, with the first error if anything failed.
  void runOnce(std::function<void(Result<void>)> done);

  // One reconcile pass of the rules and the host, now. Returns false if something failed.
  bool reconcileNow();

  // Passive evidence from the datapath against one real server (a connection through the VIP
  // refused by it or never answered): taken out at once when the policy allows (DesiredState::
  // onEvidence), then an active check right away confirms or brings it back.
  void onEvidence(const Endpoint& server, health::FailureKind kind, std::string_view detail);
  // Evidence a confirming connect found false (passive_detector.hpp): only counted.
  void noteUnconfirmed(const Endpoint& server, health::FailureKind kind) {
    metrics_.recordEvidence(server, kind, CareMetrics::EvidenceOutcome::Unconfirmed);
  }
  // A canary connection opened, closed or died (health/canary.hpp): counted for the metrics.
  void noteCanary(const Endpoint& server, health::CanaryEvent event) { metrics_.recordCanary(server, event); }
  // The kernel announced a change that may concern our rules or host setup (kernel_watch.hpp): one
  // pass of both a few milliseconds from now. Calls within that delay share the pass, so a burst
  // of announcements costs one pass; a pass is never started from inside another. Such passes are
  // at least kSoonSpacing apart, so a change that keeps coming back (someone fighting our rules,
  // or our own writes announced back unrecognised and never converging) costs at most a few
  // passes a second, never a busy loop.
  void reconcileSoon();
  static constexpr health::Duration kSoonDelay = std::chrono::milliseconds(5);
  static constexpr health::Duration kSoonSpacing = std::chrono::milliseconds(50);
  // How often the tick reads the rules and the host setup (both reconcileInterval by default).
  // What the kernel announces needs reading only as a fallback: with a working watch, nftables'
  // rules and the host setup can be polled every few seconds; IPVS announces nothing, so its rules
  // stay at reconcileInterval. Takes effect from the next tick.
  void setPollIntervals(health::Duration rules, health::Duration host);

  const DesiredState& desired() const { return desired_; }
  const CareLoopOptions& options() const { return options_; }
  // What the loop has done, for the metrics endpoint and `lvscare status`.
  const CareMetrics& metrics() const { return metrics_; }

  struct Counters {
    std::uint64_t checks = 0;       // check events received
    std::uint64_t transitions = 0;  // phase changes
    std::uint64_t passes = 0;       // reconcile passes
    std::uint64_t soonPasses = 0;   // passes run because the kernel announced a change
    std::uint64_t repairs = 0;      // passes that found the kernel or host differing and fixed it
    std::uint64_t failures = 0;     // passes with a failure (read, op or host)
  };
  const Counters& counters() const { return counters_; }

 private:
  Result<void> adopt();
  void onCheck(const health::CheckEvent& event);
  void onTick();
  void onDrainDeadline();
  void armDrainTimer();
  // Logs a phase change and counts it; `why` is the check's or the evidence's detail.
  void noteTransition(const DesiredState::Transition& transition, std::string_view why);
  enum class Pass : std::uint8_t { Startup, Transition, Tick };
  // Returns the first error of the pass, if any.
  Result<void> reconcileRules(Pass pass);
  Result<void> reconcileHost(Pass pass);
  void recordRuleRepairs(const ReconcileReport& report, health::Duration took);

  event::Dispatcher& dispatcher_;
  Datapath& datapath_;
  HostSetup& host_;
  CareLoopOptions options_;
  DesiredState desired_;
  health::HealthMonitor monitor_;
  std::unique_ptr<event::Timer> tick_;
  std::unique_ptr<event::Timer> drainTimer_;  // the earliest drain deadline
  std::set<Endpoint> heldLogged_;             // servers whose flap-damping hold was logged
  std::unique_ptr<event::Timer> soon_;        // reconcileSoon()'s coalesced pass
  std::optional<health::TimePoint> lastSoon_;
  health::Duration rulesPoll_;
  health::Duration hostPoll_;
  health::TimePoint nextRulesPoll_{};
  health::TimePoint nextHostPoll_{};
  FailureLog readLog_;
  FailureLog applyLog_;
  FailureLog hostLog_;
  CheckLog checkLog_;
  CareMetrics metrics_;
  FailOpenLog failOpenLog_;
  KeptWeightLog keptWeightLog_;
  Counters counters_;
  bool running_ = false;
};

// -C: deletes our virtual server (if there) and undoes the host setup. Touches nothing else.
Result<void> cleanUp(Datapath& datapath, HostSetup& host, const ServiceKey& key);

}  // namespace lvscare::care
