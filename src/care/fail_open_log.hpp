// Says when the care loop starts and stops failing open (DesiredState::failingOpen()): on entry one
// line per real server with why its check failed, then one line saying that every server is kept
// at weight 1; on exit one line naming the server that passed. Nothing while the state holds.
#pragma once

#include <cstdint>
#include <string>

#include "care/desired_state.hpp"

namespace lvscare::care {

class FailOpenLog {
 public:
  explicit FailOpenLog(std::string service) : service_(std::move(service)) {}

  // Compares the state with the last one seen and logs a change. Returns true when it changed
  // (the kernel then needs a reconcile pass). `cause` is the server whose check just completed.
  bool update(const DesiredState& desired, const Endpoint& cause);

  bool failingOpen() const { return failingOpen_; }
  std::uint64_t episodes() const { return episodes_; }  // times fail-open was entered

 private:
  std::string service_;
  bool failingOpen_ = false;
  std::uint64_t episodes_ = 0;
};

}  // namespace lvscare::care
