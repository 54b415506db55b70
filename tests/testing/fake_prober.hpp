// Probers for tests: each target answers as the test says, on the dispatcher's clock (use with
// FakeDispatcher). By default a target is healthy and answers with no latency; a hanging target
// never answers, so the check session's timeout or a manual complete() ends its probe.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "lvscare/dispatcher.hpp"
#include "lvscare/health.hpp"

namespace lvscare::health {

class FakeProbers {
 public:
  explicit FakeProbers(event::Dispatcher& dispatcher) : dispatcher_(dispatcher) {}
  ~FakeProbers();
  FakeProbers(const FakeProbers&) = delete;
  FakeProbers& operator=(const FakeProbers&) = delete;

  // The factory to hand to HealthMonitor. This object must outlive the probers it makes.
  ProberFactory factory();

  // How probes of `target` started from now on answer.
  void setHealthy(const Endpoint& target, bool healthy, Duration latency = {});
  void setResult(const Endpoint& target, ProbeResult result, Duration latency = {});
  void setHanging(const Endpoint& target);

  // Completes the probe in flight for `target` now; false when there is none.
  bool complete(const Endpoint& target, ProbeResult result);

  int started(const Endpoint& target) const;    // probes started so far
  int cancelled(const Endpoint& target) const;  // probes cancelled (timeout, removal)
  int inFlight() const;                         // all targets
  bool probing(const Endpoint& target) const;

 private:
  class FakeProber;
  struct Behaviour {
    bool hang = false;
    ProbeResult result{true, "fake ok", {}};
    Duration latency{};
  };
  struct Counters {
    int started = 0;
    int cancelled = 0;
  };

  event::Dispatcher& dispatcher_;
  std::map<Endpoint, Behaviour> behaviour_;
  std::map<Endpoint, Counters> counters_;
  std::set<FakeProber*> live_;
};

}  // namespace lvscare::health
