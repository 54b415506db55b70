#include "care/care_loop.hpp"

#include <algorithm>
#include <set>

#include "care/reconciler.hpp"
#include "lvscare/log.hpp"

namespace lvscare::care {

CareLoop::CareLoop(event::Dispatcher& dispatcher, Datapath& datapath, HostSetup& host, health::ProberFactory probers,
                   CareLoopOptions options)
    : dispatcher_(dispatcher),
      datapath_(datapath),
      host_(host),
      options_(std::move(options)),
      desired_(options_.service, options_.reals, options_.failOpen, options_.failover),
      monitor_(dispatcher, std::move(probers), options_.monitor, [this](const health::CheckEvent& e) { onCheck(e); }),
      tick_(dispatcher.createTimer([this] { onTick(); })),
      drainTimer_(dispatcher.createTimer([this] { onDrainDeadline(); })),
      soon_(dispatcher.createTimer([this] {
        if (!running_) return;
        ++counters_.soonPasses;
        lastSoon_ = dispatcher_.now();
        reconcileNow();
      })),
      rulesPoll_(options_.reconcileInterval),
      hostPoll_(options_.reconcileInterval),
      readLog_("read " + options_.service.key.toString()),
      applyLog_("program " + options_.service.key.toString()),
      hostLog_(std::string("host setup ") + std::string(host.name())),
      metrics_(desired_.servers(), dispatcher.now(), CareMetrics::WallClock::now()),
      failOpenLog_(options_.service.key.endpoint.toString()),
      keptWeightLog_(options_.service.key.endpoint.toString()) {
  monitor_.setTargets(desired_.servers());
}

CareLoop::~CareLoop() = default;

Result<void> CareLoop::adopt() {
  auto kernel = readKernelState(datapath_, options_.service.key);
  if (!kernel) return passOn(kernel);
  desired_.adopt(kernel->reals);
  int active = 0, draining = 0;
  for (const auto& [server, phase] : desired_.phases()) {
    active += phase == ServerPhase::Active;
    draining += phase == ServerPhase::Draining;
  }
  logf(LogLevel::Info, "adopt vs={} exists={} reals_in_kernel={} active={} draining={} pending={}",
       logValue(options_.service.key.toString()), kernel->exists, kernel->reals.size(), active, draining,
       desired_.phases().size() - static_cast<std::size_t>(active + draining));
  return {};
}

Result<void> CareLoop::start() {
  if (auto adopted = adopt(); !adopted) return adopted;
  running_ = true;
  (void)reconcileRules(Pass::Startup);
  (void)reconcileHost(Pass::Startup);
  monitor_.start();
  const health::TimePoint now = dispatcher_.now();
  nextRulesPoll_ = now + rulesPoll_;
  nextHostPoll_ = now + hostPoll_;
  tick_->arm(std::min(rulesPoll_, hostPoll_));
  return {};
}

void CareLoop::stop() {
  running_ = false;
  monitor_.stop();
  tick_->cancel();
  drainTimer_->cancel();
  soon_->cancel();
}

void CareLoop::reconcileSoon() {
  if (!running_ || soon_->armed()) return;
  health::Duration delay = kSoonDelay;
  if (lastSoon_) delay = std::max(delay, *lastSoon_ + kSoonSpacing - dispatcher_.now());
  soon_->arm(delay);
}

void CareLoop::setPollIntervals(health::Duration rules, health::Duration host) {
  rulesPoll_ = std::max(rules, options_.reconcileInterval);
  hostPoll_ = std::max(host, options_.reconcileInterval);
  // Shorter than before (the watch was lost): due no later than the new interval from now.
  const health::TimePoint now = dispatcher_.now();
  nextRulesPoll_ = std::min(nextRulesPoll_, now + rulesPoll_);
  nextHostPoll_ = std::min(nextHostPoll_, now + hostPoll_);
  if (running_) tick_->arm(std::min(nextRulesPoll_, nextHostPoll_) - now);
}

void CareLoop::runOnce(std::function<void(Result<void>)> done) {
  if (auto adopted = adopt(); !adopted) {
    // Report from the dispatcher, as promised, not from inside this call.
    tick_ = dispatcher_.createTimer([done, error = adopted.error()] { done(fail(error)); });
    tick_->arm(health::Duration::zero());
    return;
  }
  monitor_.checkAllOnce([this, done](const std::vector<health::CheckEvent>&) {
    // The events went through onCheck() already; program what they decided.
    auto rules = reconcileRules(Pass::Startup);
    auto host = reconcileHost(Pass::Startup);
    if (!rules) return done(rules);
    done(host);
  });
}

void CareLoop::onCheck(const health::CheckEvent& event) {
  ++counters_.checks;
  const health::TimePoint now = dispatcher_.now();
  checkLog_.record(event, now);
  metrics_.recordCheck(event, now);
  const auto transition = desired_.onCheck(event, now);
  if (transition) noteTransition(*transition, event.result.detail);
  if (const auto held = desired_.heldUntil(event.target, now); held && event.result.healthy) {
    // Passing, but flap damping holds it out: said once per hold.
    if (heldLogged_.insert(event.target).second) {
      logf(LogLevel::Info, "rs={} held out by flap damping for={}", event.target.toString(),
           health::formatDuration(*held - now));
    }
  } else if (!held) {
    heldLogged_.erase(event.target);
  }
  const bool failOpenChanged = failOpenLog_.update(desired_, event.target);
  if (!transition && !failOpenChanged) return;
  // Act on the verdict at once (a failed server gets weight 0 now, not at the next tick). In
  // run-once mode the round's end programs everything in one pass instead.
  if (running_) (void)reconcileRules(Pass::Transition);
}

void CareLoop::noteTransition(const DesiredState::Transition& transition, std::string_view why) {
  ++counters_.transitions;
  const health::TimePoint now = dispatcher_.now();
  metrics_.recordTransition(transition.server, transition.from, transition.to, now);
  const auto weight = desired_.failingOpen() ? std::optional<std::uint32_t>(1) : weightOf(transition.to);
  std::string drain;
  if (transition.to == ServerPhase::Draining) {
    if (const auto deadline = desired_.drainDeadline(transition.server); deadline && *deadline > now) {
      drain = " drain_for=" + health::formatDuration(desired_.policy().drainTimeout);
    }
    armDrainTimer();
  }
  logf(LogLevel::Info, "rs={} {} -> {} weight={}{} detail={}", transition.server.toString(), toString(transition.from),
       toString(transition.to), weight ? std::to_string(*weight) : std::string("none"), drain, logValue(why));
}

void CareLoop::armDrainTimer() {
  const auto deadline = desired_.nextDrainDeadline();
  if (!deadline) return drainTimer_->cancel();
  drainTimer_->arm(std::max(health::Duration::zero(), *deadline - dispatcher_.now()));
}

void CareLoop::onDrainDeadline() {
  const auto expired = desired_.expireDrains(dispatcher_.now());
  for (const auto& transition : expired) {
    noteTransition(transition, "drain deadline passed after " + health::formatDuration(desired_.policy().drainTimeout));
  }
  armDrainTimer();
  if (!expired.empty() && running_) (void)reconcileRules(Pass::Transition);
}

void CareLoop::onEvidence(const Endpoint& server, health::FailureKind kind, std::string_view detail) {
  const auto outcome = desired_.onEvidence(server, kind, dispatcher_.now());
  metrics_.recordEvidence(
      server, kind, outcome.transition ? CareMetrics::EvidenceOutcome::Acted : CareMetrics::EvidenceOutcome::Ignored);
  if (!outcome.transition) {
    logf(LogLevel::Debug, "evidence rs={} kind={} detail={} ignored={}", server.toString(), health::toString(kind),
         logValue(detail), logValue(outcome.ignored));
    return;
  }
  noteTransition(*outcome.transition, "passive: " + std::string(detail));
  (void)failOpenLog_.update(desired_, server);
  if (running_) (void)reconcileRules(Pass::Transition);
  // Confirm with an active check now: a passing one brings the server back (rise rules apply).
  monitor_.checkNow(server);
}

void CareLoop::onTick() {
  if (!running_) return;
  // Each part when it is due (every tick unless setPollIntervals() made one slower).
  const health::TimePoint now = dispatcher_.now();
  if (now >= nextRulesPoll_) {
    (void)reconcileRules(Pass::Tick);
    nextRulesPoll_ = now + rulesPoll_;
  }
  if (now >= nextHostPoll_) {
    (void)reconcileHost(Pass::Tick);
    nextHostPoll_ = now + hostPoll_;
  }
  // No wake-up while nothing is due: at rest on nftables with the watch working, one every few
  // seconds instead of four a second.
  tick_->arm(std::min(nextRulesPoll_, nextHostPoll_) - now);
}

bool CareLoop::reconcileNow() {
  const auto rules = reconcileRules(Pass::Tick);
  const auto host = reconcileHost(Pass::Tick);
  return rules && host;
}

Result<void> CareLoop::reconcileRules(Pass pass) {
  ++counters_.passes;
  const auto reals = desired_.desiredReals();
  const health::TimePoint begun = dispatcher_.now();
  auto report = reconcile(datapath_, options_.service, reals);
  if (!report) {
    ++counters_.failures;
    readLog_.failed(report.error());
    metrics_.recordRead(passOn(report));
    metrics_.recordRulesPass(false);
    return passOn(report);
  }
  readLog_.succeeded();
  metrics_.recordRead({});
  metrics_.recordOps(report->apply);
  metrics_.recordRulesPass(report->apply.failures.empty());
  keptWeightLog_.update(report->keptWeights);
  if (!report->apply.applied.empty()) {
    // On a tick, a difference is someone else's deletion or edit: say what was put back.
    if (pass == Pass::Tick) {
      ++counters_.repairs;
      recordRuleRepairs(*report, dispatcher_.now() - begun);
    }
    const LogLevel level = pass == Pass::Transition ? LogLevel::Debug : LogLevel::Info;
    if (logEnabled(level)) {
      for (const auto& op : report->apply.applied)
        logf(level, "{} vs={} op={}", pass == Pass::Tick ? "repair" : "program",
             logValue(options_.service.key.toString()), logValue(op.toString()));
    }
  }
  if (!report->apply.failures.empty()) {
    ++counters_.failures;
    const auto& [op, error] = report->apply.failures.front();
    Error described = withContext(error, op.toString());
    applyLog_.failed(described);
    return fail(described);
  }
  applyLog_.succeeded();
  return {};
}

void CareLoop::recordRuleRepairs(const ReconcileReport& report, health::Duration took) {
  // Our whole virtual server gone: with nftables that is our table (one per virtual server).
  if (report.serviceWasMissing) {
    metrics_.recordRepair(datapath_.name() == "nftables" ? RepairPart::NftablesTable : RepairPart::VirtualServer, took);
    return;
  }
  bool service = false, reals = false;
  for (const DatapathOp& op : report.apply.applied) {
    const bool serviceOp = op.kind == DatapathOp::Kind::AddVirtualServer ||
                           op.kind == DatapathOp::Kind::UpdateVirtualServer ||
                           op.kind == DatapathOp::Kind::DeleteVirtualServer;
    (serviceOp ? service : reals) = true;
  }
  if (service) metrics_.recordRepair(RepairPart::VirtualServer, took);
  if (reals) metrics_.recordRepair(RepairPart::RealServer, took);
}

Result<void> CareLoop::reconcileHost(Pass pass) {
  const health::TimePoint begun = dispatcher_.now();
  auto changed = host_.ensure();
  if (!changed) {
    ++counters_.failures;
    hostLog_.failed(changed.error());
    metrics_.recordHostPass(passOn(changed));
    return passOn(changed);
  }
  hostLog_.succeeded();
  metrics_.recordHostPass({});
  if (!changed->empty() && pass == Pass::Tick) {
    ++counters_.repairs;
    std::set<RepairPart> parts;
    for (const auto& what : *changed) parts.insert(partOfHostChange(what));
    for (const RepairPart part : parts) metrics_.recordRepair(part, dispatcher_.now() - begun);
  }
  for (const auto& what : *changed)
    logf(LogLevel::Info, "{} host mode={} made={}", pass == Pass::Tick ? "repair" : "setup", host_.name(),
         logValue(what));
  return {};
}

Result<void> cleanUp(Datapath& datapath, HostSetup& host, const ServiceKey& key) {
  const DatapathOp op = DatapathOp::deleteVirtualServer(key);
  const auto report = applyOps(datapath, std::span<const DatapathOp>(&op, 1));
  Result<void> result;
  if (!report.failures.empty()) result = fail(withContext(report.failures[0].second, op.toString()));
  // The host setup goes even when the rules could not: -C should leave as little as it can.
  if (auto removed = host.remove(); !removed && result) result = removed;
  return result;
}

}  // namespace lvscare::care
