#include "care/connection_evidence.hpp"

#include <netinet/in.h>

namespace lvscare::care {

using nftables::ConntrackEventType;
using nftables::TcpState;

ConnectionEvidence::ConnectionEvidence(ServiceKey key, const std::vector<Endpoint>& servers,
                                       health::Duration unansweredAfter)
    : key_(std::move(key)), servers_(servers.begin(), servers.end()), unansweredAfter_(unansweredAfter) {}

const Endpoint* ConnectionEvidence::ourServer(const nftables::ConntrackEvent& event) const {
  if (event.original.protocol != IPPROTO_TCP || key_.protocol != Protocol::Tcp) return nullptr;
  if (!(event.original.destination == key_.endpoint)) return nullptr;
  // After DNAT the reply comes from the real server.
  const auto it = servers_.find(event.reply.source);
  return it == servers_.end() ? nullptr : &*it;
}

std::optional<Evidence> ConnectionEvidence::onEvent(const nftables::ConntrackEvent& event, health::TimePoint now) {
  const Endpoint* server = ourServer(event);
  if (server == nullptr) return std::nullopt;
  const auto found = pending_.find(event.id);
  const TcpState state = event.tcpState.value_or(TcpState::None);
  // Gone before an answer in any state but CLOSE: expired or flushed by someone, not evidence. A
  // destroy in CLOSE is a refusal like an update to CLOSE (below).
  if (event.type == ConntrackEventType::Destroy && state != TcpState::Close) {
    if (found != pending_.end()) pending_.erase(found);
    return std::nullopt;
  }
  switch (state) {
    case TcpState::SynSent:
    case TcpState::None:
      if (found != pending_.end() || event.type != ConntrackEventType::New) return std::nullopt;
      if (pending_.size() >= kMaxPending) {
        ++untracked_;
        return std::nullopt;
      }
      pending_.emplace(event.id, Pending{*server, event.original.source, now});
      order_.emplace_back(now, event.id);
      return std::nullopt;
    case TcpState::Close: {
      if (found == pending_.end()) return std::nullopt;  // closed after an answer: a normal end
      const Pending refused = found->second;
      pending_.erase(found);
      return Evidence{refused.server, health::FailureKind::Refused,
                      "connection from " + refused.client.toString() + " refused"};
    }
    case TcpState::SynRecv:
    case TcpState::Established:
    case TcpState::FinWait:
    case TcpState::CloseWait:
    case TcpState::LastAck:
    case TcpState::TimeWait:
    case TcpState::SynSent2:
      if (found != pending_.end()) pending_.erase(found);  // answered
      return std::nullopt;
  }
  return std::nullopt;
}

std::vector<Evidence> ConnectionEvidence::expire(health::TimePoint now) {
  std::vector<Evidence> out;
  while (!order_.empty() && now - order_.front().first >= unansweredAfter_) {
    const auto [since, id] = order_.front();
    order_.pop_front();
    const auto it = pending_.find(id);
    if (it == pending_.end() || it->second.since != since) continue;  // answered meanwhile
    out.push_back(Evidence{it->second.server, health::FailureKind::Timeout,
                           "connection from " + it->second.client.toString() + " unanswered for " +
                               health::formatDuration(unansweredAfter_)});
    pending_.erase(it);
  }
  return out;
}

std::optional<health::TimePoint> ConnectionEvidence::nextExpiry() {
  while (!order_.empty()) {
    const auto [since, id] = order_.front();
    const auto it = pending_.find(id);
    if (it != pending_.end() && it->second.since == since) return since + unansweredAfter_;
    order_.pop_front();
  }
  return std::nullopt;
}

}  // namespace lvscare::care
