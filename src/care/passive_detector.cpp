#include "care/passive_detector.hpp"

#include "lvscare/log.hpp"

namespace lvscare::care {

Result<std::unique_ptr<PassiveDetector>> PassiveDetector::start(event::EpollDispatcher& loop, CareLoop& care,
                                                                health::Duration unansweredAfter) {
  auto socket = nftables::ConntrackEventSocket::open();
  if (!socket) return passOn(socket);
  std::unique_ptr<PassiveDetector> detector(new PassiveDetector(loop, care, std::move(*socket), unansweredAfter));
  auto watch = loop.watch(detector->socket_.fd(), event::fd_event::kRead,
                          [raw = detector.get()](std::uint32_t) { raw->onReadable(); });
  if (!watch) return passOn(watch, "watch conntrack events");
  detector->watch_ = std::move(*watch);
  return detector;
}

PassiveDetector::PassiveDetector(event::EpollDispatcher& loop, CareLoop& care, nftables::ConntrackEventSocket socket,
                                 health::Duration unansweredAfter)
    : loop_(loop),
      care_(care),
      socket_(std::move(socket)),
      evidence_(care.options().service.key, care.desired().servers(), unansweredAfter),
      expiry_(loop.createTimer([this] { onExpiry(); })) {}

PassiveDetector::~PassiveDetector() = default;

void PassiveDetector::onReadable() {
  auto batch = socket_.readAvailable();
  if (!batch) {
    logf(LogLevel::Warn, "conntrack events error={}", logValue(batch.error().describe()));
    return;
  }
  counters_.events += batch->events.size();
  if (batch->overran) {
    ++counters_.overruns;
    // Lost events only delay evidence (the active checks go on): said once, then counted.
    if (!overrunLogged_) {
      logf(LogLevel::Warn, "conntrack events overran: some connections were not seen; active checks still run");
      overrunLogged_ = true;
    }
  }
  const health::TimePoint now = loop_.now();
  for (const auto& event : batch->events) {
    if (auto found = evidence_.onEvent(event, now)) deliver(*found);
  }
  armExpiry();
}

void PassiveDetector::onExpiry() {
  for (const auto& found : evidence_.expire(loop_.now())) deliver(found);
  armExpiry();
}

void PassiveDetector::armExpiry() {
  const auto next = evidence_.nextExpiry();
  if (!next) return expiry_->cancel();
  expiry_->arm(std::max(health::Duration::zero(), *next - loop_.now()));
}

void PassiveDetector::deliver(const Evidence& found) {
  ++counters_.evidence;
  care_.onEvidence(found.server, found.kind, found.detail);
}

}  // namespace lvscare::care
