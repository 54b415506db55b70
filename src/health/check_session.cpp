#include "health/check_session.hpp"

#include <algorithm>
#include <cmath>

namespace lvscare::health {

CheckSession::CheckSession(event::Dispatcher& dispatcher, HealthMonitor& owner, Endpoint target,
                           std::unique_ptr<Prober> prober, const MonitorOptions& options)
    : dispatcher_(dispatcher),
      owner_(owner),
      target_(target),
      prober_(std::move(prober)),
      options_(options),
      intervalTimer_(dispatcher.createTimer([this] { beginProbe(); })),
      timeoutTimer_(dispatcher.createTimer([this] { onTimeout(); })) {}

void CheckSession::startPeriodic() {
  if (periodic_) return;
  periodic_ = true;
  if (probing_) return;  // the probe in flight schedules the next one when it completes
  // Spread the first checks of many servers over the jitter window instead of firing together.
  const auto spread =
      std::chrono::duration<double, std::nano>(options_.policy.interval) * options_.policy.jitter * options_.random();
  intervalTimer_->arm(std::chrono::duration_cast<Duration>(spread));
}

void CheckSession::stopPeriodic() {
  // A probe in flight still completes (within its timeout) and reports: a round of
  // checkAllOnce() may be waiting for it.
  periodic_ = false;
  intervalTimer_->cancel();
}

void CheckSession::checkNow() {
  if (probing_) return;
  intervalTimer_->cancel();
  beginProbe();
}

TargetStatus CheckSession::status() const {
  return TargetStatus{target_, verdict_, successes_, failures_, probing_, last_};
}

Duration CheckSession::baseInterval() const {
  const CheckPolicy& p = options_.policy;
  const bool changing =
      (successes_ > 0 && verdict_ != Verdict::Healthy) || (failures_ > 0 && verdict_ != Verdict::Unhealthy);
  return changing && p.fastInterval > Duration::zero() ? p.fastInterval : p.interval;
}

Duration CheckSession::timeout() const {
  const Duration interval = options_.policy.interval;
  return options_.timeout > Duration::zero() ? std::min(options_.timeout, interval) : interval;
}

Duration CheckSession::jittered(Duration base) const {
  const double jitter = options_.policy.jitter;
  if (jitter <= 0) return base;
  // base * (1 + jitter * u), u uniform in [-1, 1).
  const double factor = 1.0 + jitter * (2.0 * options_.random() - 1.0);
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::nano>(base) * factor);
}

void CheckSession::beginProbe() {
  probing_ = true;
  probeStart_ = dispatcher_.now();
  timeoutTimer_->arm(timeout());
  prober_->start([this](ProbeResult result) {
    timeoutTimer_->cancel();
    complete(std::move(result));
  });
}

void CheckSession::onTimeout() {
  const std::string_view stage = prober_->stage();
  prober_->cancel();
  ProbeResult result;
  result.failure = FailureKind::Timeout;
  result.detail = "timed out after " + formatDuration(timeout());
  if (!stage.empty()) result.detail += " (" + std::string(stage) + ")";
  complete(std::move(result));
}

void CheckSession::complete(ProbeResult result) {
  const TimePoint now = dispatcher_.now();
  probing_ = false;
  result.latency = now - probeStart_;
  const Verdict before = verdict_;
  const CheckPolicy& p = options_.policy;
  if (result.healthy) {
    ++successes_;
    failures_ = 0;
    if (successes_ >= p.rise) verdict_ = Verdict::Healthy;
  } else {
    ++failures_;
    successes_ = 0;
    if (failures_ >= p.fall) verdict_ = Verdict::Unhealthy;
  }
  if (periodic_) {
    // The interval runs from the start of this probe, so a slow server is still checked once per
    // interval; never earlier than now, so probes of one server never overlap.
    const TimePoint next = probeStart_ + jittered(baseInterval());
    intervalTimer_->arm(std::max(Duration::zero(), next - now));
  }
  last_ = result;
  const CheckEvent event{target_, std::move(result), verdict_, verdict_ != before, successes_, failures_};
  // Last: the monitor's callbacks may change the target set and so destroy this session.
  owner_.onCheck(event);
}

}  // namespace lvscare::health
