// The health state machine of one server (Envoy's per-host session is the model): it runs probes
// on injected timers and owns every timing rule in one place: rise/fall thresholds, the interval,
// the faster interval while a server is changing state, jitter, and the probe timeout.
#pragma once

#include <memory>
#include <optional>

#include "lvscare/dispatcher.hpp"
#include "lvscare/health.hpp"
#include "lvscare/health_monitor.hpp"

namespace lvscare::health {

class CheckSession {
 public:
  // `options` belongs to the monitor and outlives the session.
  CheckSession(event::Dispatcher& dispatcher, HealthMonitor& owner, Endpoint target, std::unique_ptr<Prober> prober,
               const MonitorOptions& options);
  CheckSession(const CheckSession&) = delete;
  CheckSession& operator=(const CheckSession&) = delete;

  // Periodic checks: the first one now (spread over the jitter window when jitter is set).
  void startPeriodic();
  void stopPeriodic();
  // One check now, unless one is in flight already (its result then counts).
  void checkNow();

  bool probing() const { return probing_; }
  Verdict verdict() const { return verdict_; }
  TargetStatus status() const;

  // The delay before the next check after a result, before jitter: fastInterval while the last
  // result disagrees with the verdict (the server is changing state), else the interval.
  Duration baseInterval() const;
  // The probe timeout: the configured one, never more than the interval.
  Duration timeout() const;

 private:
  void beginProbe();
  void onTimeout();
  void complete(ProbeResult result);
  Duration jittered(Duration base) const;

  event::Dispatcher& dispatcher_;
  HealthMonitor& owner_;
  Endpoint target_;
  std::unique_ptr<Prober> prober_;
  const MonitorOptions& options_;
  std::unique_ptr<event::Timer> intervalTimer_;
  std::unique_ptr<event::Timer> timeoutTimer_;
  bool periodic_ = false;
  bool probing_ = false;
  TimePoint probeStart_{};
  Verdict verdict_ = Verdict::Unknown;
  int successes_ = 0;
  int failures_ = 0;
  std::optional<ProbeResult> last_;
};

}  // namespace lvscare::health
