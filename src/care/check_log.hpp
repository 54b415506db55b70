// Health-check log lines that do not flood (LVScare logged every check at debug level: sealos #302,
// #563). Per real server, a check whose outcome (pass or fail, and its detail) repeats the previous
// one is counted, not logged. A new outcome is logged once with how often the previous one
// repeated; a failure that goes on is summarised once per `summaryEvery`. Phase changes are the
// care loop's own lines, one each, and are not affected.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "lvscare/health.hpp"

namespace lvscare::care {

class CheckLog {
 public:
  explicit CheckLog(health::Duration summaryEvery = std::chrono::minutes(10)) : summaryEvery_(summaryEvery) {}

  void record(const health::CheckEvent& event, health::TimePoint now);
  std::uint64_t lines() const { return lines_; }  // written so far (for tests)

 private:
  struct Run {
    bool healthy = false;
    std::string detail;
    std::uint64_t count = 0;  // checks with this outcome in a row, the first included
    health::TimePoint since{};
    health::TimePoint lastLine{};
  };
  health::Duration summaryEvery_;
  std::map<Endpoint, Run> runs_;
  std::uint64_t lines_ = 0;
};

}  // namespace lvscare::care
