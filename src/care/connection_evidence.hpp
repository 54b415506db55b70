// Passive failure evidence from the connections the kernel balances for our virtual server (issue
// 13): conntrack events in, "this real server refused a client" or "this real server left a
// client's SYN unanswered" out. Pure: events and the clock come in, nothing talks to a kernel.
//
// What counts, for a TCP connection to VIP:port that DNAT sent to one of our real servers:
// - refused: the connection went from SYN_SENT to CLOSE without ever being answered (the server's
//   kernel sent RST to the SYN: nothing listens). A client that aborts after the server's SYN-ACK
//   is not evidence: the server answered.
// - unanswered: still in SYN_SENT `unansweredAfter` after it was first seen (a stopped process, a
//   dead host, a black hole, or an ICMP unreachable, which leaves conntrack in SYN_SENT too).
// Anything the server answered (SYN_RECV or later) is forgotten at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "lvscare/datapath.hpp"
#include "lvscare/health.hpp"
#include "nftables/conntrack_events.hpp"

namespace lvscare::care {

struct Evidence {
  Endpoint server;
  health::FailureKind kind = health::FailureKind::Refused;  // Refused or Timeout
  std::string detail;                                       // "connection from 10.0.0.1:4321 refused"
};

class ConnectionEvidence {
 public:
  // At most this many connections are waited on at once: a SYN flood cannot grow memory without
  // bound (connections beyond it are not tracked, which only delays evidence).
  static constexpr std::size_t kMaxPending = 65536;

  ConnectionEvidence(ServiceKey key, const std::vector<Endpoint>& servers, health::Duration unansweredAfter);

  // One conntrack event; evidence when it completes a refused connection.
  std::optional<Evidence> onEvent(const nftables::ConntrackEvent& event, health::TimePoint now);
  // Connections seen before now - unansweredAfter and still unanswered, oldest first; each once.
  std::vector<Evidence> expire(health::TimePoint now);
  // When the oldest pending connection becomes unanswered evidence.
  std::optional<health::TimePoint> nextExpiry();

  std::size_t pending() const { return pending_.size(); }
  std::uint64_t untracked() const { return untracked_; }  // connections dropped at kMaxPending

 private:
  struct Pending {
    Endpoint server;
    Endpoint client;
    health::TimePoint since;
  };
  const Endpoint* ourServer(const nftables::ConntrackEvent& event) const;

  ServiceKey key_;
  std::set<Endpoint> servers_;
  health::Duration unansweredAfter_;
  std::unordered_map<std::uint32_t, Pending> pending_;  // by conntrack id
  // Pending connections in the order they were seen (times only grow), so expiry never scans
  // them all; an entry whose connection was answered meanwhile is skipped when it comes up.
  std::deque<std::pair<health::TimePoint, std::uint32_t>> order_;
  std::uint64_t untracked_ = 0;
};

}  // namespace lvscare::care
