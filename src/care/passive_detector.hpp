// Passive detection (issue 13): conntrack events read on the event loop that runs the checks,
// turned into evidence (ConnectionEvidence) and handed to the care loop, which takes the server out
// at once and confirms with an active check.
//
// A refused connection is first confirmed by one bare TCP connect to the server (well under a
// millisecond on a LAN): conntrack cannot tell the server's RST to a SYN from the client's own
// RST, and a client sends one when its source port meets a TIME_WAIT the server still holds
// from an earlier connection with the same ports (the server answers the SYN with a bare ACK).
// Under steady load that happens every few minutes; taking a healthy server out for it is wrong.
// A SYN left unanswered needs no such confirmation: it has already waited `unansweredAfter`.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "care/care_loop.hpp"
#include "care/connection_evidence.hpp"
#include "lvscare/event_loop.hpp"
#include "lvscare/health.hpp"
#include "nftables/conntrack_events.hpp"

namespace lvscare::care {

class PassiveDetector {
 public:
  // Subscribes to this namespace's conntrack events. `loop` and `care` must outlive the detector.
  static Result<std::unique_ptr<PassiveDetector>> start(event::EpollDispatcher& loop, CareLoop& care,
                                                        health::Duration unansweredAfter);
  ~PassiveDetector();
  PassiveDetector(const PassiveDetector&) = delete;
  PassiveDetector& operator=(const PassiveDetector&) = delete;

  struct Counters {
    std::uint64_t events = 0;       // conntrack events read (everyone's)
    std::uint64_t evidence = 0;     // refused or unanswered connections to our real servers
    std::uint64_t overruns = 0;     // times the kernel dropped events (the socket buffer was full)
    std::uint64_t unconfirmed = 0;  // refusals the confirming connect found to be false (it connected)
  };
  const Counters& counters() const { return counters_; }

 private:
  PassiveDetector(event::EpollDispatcher& loop, CareLoop& care, nftables::ConntrackEventSocket socket,
                  health::Duration unansweredAfter, health::ProberFactory connectProbe);
  void onReadable();
  void onExpiry();
  void armExpiry();
  void deliver(const Evidence& evidence);
  void confirm(const Evidence& refused);
  void confirmed(const Endpoint& server, const health::ProbeResult& result);

  // One confirming connect per server at a time: further refusals meanwhile add nothing.
  struct Confirmation {
    std::unique_ptr<health::Prober> prober;
    std::unique_ptr<event::Timer> deadline;
    std::string detail;  // the refusal being confirmed
    bool busy = false;
  };

  event::EpollDispatcher& loop_;
  CareLoop& care_;
  nftables::ConntrackEventSocket socket_;
  ConnectionEvidence evidence_;
  std::unique_ptr<event::FdWatch> watch_;
  std::unique_ptr<event::Timer> expiry_;
  health::Duration unansweredAfter_;
  health::ProberFactory connectProbe_;
  std::map<Endpoint, Confirmation> confirmations_;
  Counters counters_;
  bool overrunLogged_ = false;
};

}  // namespace lvscare::care
