// Health checking of a set of servers: one check session per server, all probing concurrently on
// one dispatcher, so a black-holed server never delays another's verdict. A CheckEvent is reported
// after every completed check; the care loop acts on each one.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "lvscare/dispatcher.hpp"
#include "lvscare/health.hpp"

namespace lvscare::health {

class CheckSession;

struct MonitorOptions {
  CheckPolicy policy;
  // Per probe; a probe never runs longer than policy.interval either.
  Duration timeout = std::chrono::seconds(10);
  // Uniform in [0, 1), for jitter. Empty: a generator seeded from std::random_device. Tests inject
  // their own to pin the jitter.
  std::function<double()> random;
};

// The state of one server as the monitor knows it.
struct TargetStatus {
  Endpoint target;
  Verdict verdict = Verdict::Unknown;
  int consecutiveSuccesses = 0;
  int consecutiveFailures = 0;
  bool probing = false;
  std::optional<ProbeResult> last;  // the most recent completed check
};

class HealthMonitor {
 public:
  using EventCallback = std::function<void(const CheckEvent&)>;
  // One event per target of the round, in the order the targets were given.
  using RoundCallback = std::function<void(const std::vector<CheckEvent>&)>;

  // Out-of-range policy values are clamped (see validatePolicy() for user input). The dispatcher
  // and the probers the factory makes must outlive the monitor. Callbacks may call any method
  // of the monitor but must not destroy it (stop the dispatcher instead).
  HealthMonitor(event::Dispatcher& dispatcher, ProberFactory factory, MonitorOptions options,
                EventCallback onEvent = {});
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // The servers to check. Servers that stay keep their verdict and counters (keepalived's reload
  // model); new ones start Unknown and, when running, are checked at once; removed ones are dropped,
  // their probe in flight cancelled. Duplicates count once.
  void setTargets(const std::vector<Endpoint>& targets);
  std::vector<Endpoint> targets() const { return order_; }

  // Periodic checking: start() checks every target now (or within the jitter spread) and then
  // every interval; stop() schedules no more checks and keeps the verdicts (a probe in flight
  // still completes and reports). Destroying the monitor cancels everything.
  void start();
  void stop();
  bool running() const { return running_; }

  // Exactly one check of every current target, all concurrently; `done` runs once they have all
  // completed (for --run-once). Works whether or not start() was called; a target already being
  // probed counts that probe. Events also go to the event callback as usual. With no targets,
  // `done` runs from the dispatcher soon after, with an empty list.
  void checkAllOnce(RoundCallback done);

  // One check of `target` now, outside the schedule (unless one is in flight: its result counts).
  // For evidence from elsewhere that the server may have failed. Ignored for an unknown target.
  void checkNow(const Endpoint& target);

  void setEventCallback(EventCallback onEvent) { onEvent_ = std::move(onEvent); }

  Verdict verdict(const Endpoint& target) const;  // Unknown for a server not in the set
  std::optional<TargetStatus> status(const Endpoint& target) const;

 private:
  struct Round;
  friend class CheckSession;
  void onCheck(const CheckEvent& event);
  void finishRounds();

  event::Dispatcher& dispatcher_;
  ProberFactory factory_;
  MonitorOptions options_;
  EventCallback onEvent_;
  std::vector<Endpoint> order_;
  std::map<Endpoint, std::unique_ptr<CheckSession>> sessions_;
  std::vector<std::unique_ptr<Round>> rounds_;
  std::unique_ptr<event::Timer> roundTimer_;  // completes rounds that have nothing to wait for
  bool running_ = false;
};

}  // namespace lvscare::health
