// Log lines captured for a test to count.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "lvscare/log.hpp"

namespace lvscare::care::testing {

// Every line logged while it exists (construction clears what an earlier test left).
class LogCapture {
 public:
  LogCapture() {
    lines().clear();
    setLogSink(&collect);
  }
  ~LogCapture() { setLogSink(nullptr); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // Lines containing `text`.
  std::size_t count(std::string_view text) const {
    return static_cast<std::size_t>(std::count_if(
        lines().begin(), lines().end(), [&](const std::string& line) { return line.find(text) != std::string::npos; }));
  }

 private:
  static std::vector<std::string>& lines() {
    static std::vector<std::string> captured;
    return captured;
  }
  static void collect(LogLevel, std::string_view line) { lines().emplace_back(line); }
};

}  // namespace lvscare::care::testing
