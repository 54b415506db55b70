#include "care/passive_detector.hpp"

#include "lvscare/log.hpp"
#include "lvscare/probers.hpp"

namespace lvscare::care {

Result<std::unique_ptr<PassiveDetector>> PassiveDetector::start(event::EpollDispatcher& loop, CareLoop& care,
                                                                health::Duration unansweredAfter) {
  auto socket = nftables::ConntrackEventSocket::open();
  if (!socket) return passOn(socket);
  socket->keepOnlyDestination(care.options().service.key.endpoint.address);
  health::ProbeConfig connectOnly;
  connectOnly.scheme = health::Scheme::Tcp;
  connectOnly.timeout = unansweredAfter;
  auto connectProbe = health::makeProberFactory(loop, connectOnly);
  if (!connectProbe) return passOn(connectProbe, "confirming connect");
  std::unique_ptr<PassiveDetector> detector(
      new PassiveDetector(loop, care, std::move(*socket), unansweredAfter, std::move(*connectProbe)));
  auto watch = loop.watch(detector->socket_.fd(), event::fd_event::kRead,
                          [raw = detector.get()](std::uint32_t) { raw->onReadable(); });
  if (!watch) return passOn(watch, "watch conntrack events");
  detector->watch_ = std::move(*watch);
  return detector;
}

PassiveDetector::PassiveDetector(event::EpollDispatcher& loop, CareLoop& care, nftables::ConntrackEventSocket socket,
                                 health::Duration unansweredAfter, health::ProberFactory connectProbe)
    : loop_(loop),
      care_(care),
      socket_(std::move(socket)),
      evidence_(care.options().service.key, care.desired().servers(), unansweredAfter),
      expiry_(loop.createTimer([this] { onExpiry(); })),
      unansweredAfter_(unansweredAfter),
      connectProbe_(std::move(connectProbe)) {}

PassiveDetector::~PassiveDetector() = default;

void PassiveDetector::onReadable() {
  auto batch = socket_.readAvailable();
  if (!batch) {
    logf(LogLevel::Warn, "conntrack events error={}", logValue(batch.error().describe()));
    return;
  }
  counters_.events += batch->events.size() + batch->skipped;
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
  if (found.kind == health::FailureKind::Refused) return confirm(found);
  care_.onEvidence(found.server, found.kind, found.detail);
}

void PassiveDetector::confirm(const Evidence& refused) {
  Confirmation& confirmation = confirmations_[refused.server];
  if (confirmation.busy) return;
  if (!confirmation.prober) {
    confirmation.prober = connectProbe_(refused.server);
    confirmation.deadline = loop_.createTimer([this, server = refused.server] {
      Confirmation& late = confirmations_.at(server);
      late.prober->cancel();
      confirmed(
          server,
          health::ProbeResult{
              false, "timed out after " + health::formatDuration(unansweredAfter_), {}, health::FailureKind::Timeout});
    });
  }
  confirmation.busy = true;
  confirmation.detail = refused.detail;
  confirmation.deadline->arm(unansweredAfter_);
  confirmation.prober->start(
      [this, server = refused.server](const health::ProbeResult& result) { confirmed(server, result); });
}

void PassiveDetector::confirmed(const Endpoint& server, const health::ProbeResult& result) {
  Confirmation& confirmation = confirmations_.at(server);
  if (!confirmation.busy) return;
  confirmation.busy = false;
  confirmation.deadline->cancel();
  if (result.healthy) {
    ++counters_.unconfirmed;
    care_.noteUnconfirmed(server, health::FailureKind::Refused);
    logf(LogLevel::Debug, "evidence rs={} detail={} unconfirmed=\"connected\"", server.toString(),
         logValue(confirmation.detail));
    return;
  }
  care_.onEvidence(server, result.failure, confirmation.detail + ", confirmed: " + result.detail);
}

}  // namespace lvscare::care
