// Passive detection on the nftables datapath (issue 13): conntrack events read on the event loop
// that runs the checks, turned into evidence (ConnectionEvidence) and handed to the care loop,
// which takes the server out at once and confirms with an active check.
#pragma once

#include <cstdint>
#include <memory>

#include "care/care_loop.hpp"
#include "care/connection_evidence.hpp"
#include "lvscare/event_loop.hpp"
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
    std::uint64_t events = 0;    // conntrack events read (everyone's)
    std::uint64_t evidence = 0;  // refused or unanswered connections to our real servers
    std::uint64_t overruns = 0;  // times the kernel dropped events (the socket buffer was full)
  };
  const Counters& counters() const { return counters_; }

 private:
  PassiveDetector(event::EpollDispatcher& loop, CareLoop& care, nftables::ConntrackEventSocket socket,
                  health::Duration unansweredAfter);
  void onReadable();
  void onExpiry();
  void armExpiry();
  void deliver(const Evidence& evidence);

  event::EpollDispatcher& loop_;
  CareLoop& care_;
  nftables::ConntrackEventSocket socket_;
  ConnectionEvidence evidence_;
  std::unique_ptr<event::FdWatch> watch_;
  std::unique_ptr<event::Timer> expiry_;
  Counters counters_;
  bool overrunLogged_ = false;
};

}  // namespace lvscare::care
