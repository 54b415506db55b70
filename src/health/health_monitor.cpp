#include "lvscare/health_monitor.hpp"

#include <algorithm>
#include <random>
#include <set>

#include "health/check_session.hpp"

namespace lvscare::health {

// One checkAllOnce() call: the targets it waits for, and the events gathered so far.
struct HealthMonitor::Round {
  RoundCallback done;
  std::vector<std::optional<CheckEvent>> events;  // in target order
  std::map<Endpoint, std::size_t> pending;        // target -> index into events
};

namespace {

// Clamped rather than refused: user input is checked by validatePolicy() before it gets here.
MonitorOptions sanitize(MonitorOptions options) {
  CheckPolicy& p = options.policy;
  p.rise = std::max(p.rise, 1);
  p.fall = std::max(p.fall, 1);
  p.interval = std::max<Duration>(p.interval, std::chrono::milliseconds(1));
  p.fastInterval = std::max(p.fastInterval, Duration::zero());
  p.jitter = std::clamp(p.jitter, 0.0, 0.5);
  if (!options.random) {
    auto generator = std::make_shared<std::mt19937_64>(std::random_device{}());
    options.random = [generator] { return std::uniform_real_distribution<double>(0.0, 1.0)(*generator); };
  }
  return options;
}

}  // namespace

HealthMonitor::HealthMonitor(event::Dispatcher& dispatcher, ProberFactory factory, MonitorOptions options,
                             EventCallback onEvent)
    : dispatcher_(dispatcher),
      factory_(std::move(factory)),
      options_(sanitize(std::move(options))),
      onEvent_(std::move(onEvent)),
      roundTimer_(dispatcher.createTimer([this] { finishRounds(); })) {}

HealthMonitor::~HealthMonitor() = default;

void HealthMonitor::setTargets(const std::vector<Endpoint>& targets) {
  std::vector<Endpoint> order;
  std::set<Endpoint> wanted;
  for (const Endpoint& target : targets) {
    if (wanted.insert(target).second) order.push_back(target);
  }
  bool roundEmptied = false;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (wanted.contains(it->first)) {
      ++it;
      continue;
    }
    for (auto& round : rounds_) {
      if (round->pending.erase(it->first) > 0 && round->pending.empty()) roundEmptied = true;
    }
    it = sessions_.erase(it);
  }
  order_ = std::move(order);
  for (const Endpoint& target : order_) {
    auto [it, added] = sessions_.try_emplace(target);
    if (!added) continue;
    it->second = std::make_unique<CheckSession>(dispatcher_, *this, target, factory_(target), options_);
    if (running_) it->second->startPeriodic();
  }
  // Completed from the dispatcher, not from inside setTargets(), which may be called from a callback.
  if (roundEmptied) roundTimer_->arm(Duration::zero());
}

void HealthMonitor::start() {
  running_ = true;
  for (auto& [target, session] : sessions_) session->startPeriodic();
}

void HealthMonitor::stop() {
  running_ = false;
  for (auto& [target, session] : sessions_) session->stopPeriodic();
}

void HealthMonitor::checkAllOnce(RoundCallback done) {
  auto round = std::make_unique<Round>();
  round->done = std::move(done);
  round->events.resize(order_.size());
  for (std::size_t i = 0; i < order_.size(); ++i) round->pending.emplace(order_[i], i);
  rounds_.push_back(std::move(round));
  if (order_.empty()) {
    roundTimer_->arm(Duration::zero());
    return;
  }
  // Probers never complete from inside start(), so no callback runs during this loop.
  for (const Endpoint& target : order_) sessions_.at(target)->checkNow();
}

void HealthMonitor::checkNow(const Endpoint& target) {
  const auto it = sessions_.find(target);
  if (it != sessions_.end()) it->second->checkNow();
}

void HealthMonitor::onCheck(const CheckEvent& event) {
  for (auto& round : rounds_) {
    if (auto it = round->pending.find(event.target); it != round->pending.end()) {
      round->events[it->second] = event;
      round->pending.erase(it);
    }
  }
  if (onEvent_) onEvent_(event);
  finishRounds();
}

void HealthMonitor::finishRounds() {
  // Completed rounds leave the list before their callbacks run, which may start new rounds.
  std::vector<std::unique_ptr<Round>> ready;
  for (auto it = rounds_.begin(); it != rounds_.end();) {
    if ((*it)->pending.empty()) {
      ready.push_back(std::move(*it));
      it = rounds_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& round : ready) {
    std::vector<CheckEvent> events;
    for (auto& event : round->events) {
      if (event) events.push_back(std::move(*event));  // absent: the target was removed meanwhile
    }
    if (round->done) round->done(events);
  }
}

Verdict HealthMonitor::verdict(const Endpoint& target) const {
  auto it = sessions_.find(target);
  return it == sessions_.end() ? Verdict::Unknown : it->second->verdict();
}

std::optional<TargetStatus> HealthMonitor::status(const Endpoint& target) const {
  auto it = sessions_.find(target);
  if (it == sessions_.end()) return std::nullopt;
  return it->second->status();
}

}  // namespace lvscare::health
