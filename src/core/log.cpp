#include "lvscare/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>

namespace lvscare {
namespace {
std::atomic<LogLevel> gLevel{LogLevel::Info};
std::atomic<LogSink> gSink{nullptr};

std::string_view levelName(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "DEBG";
    case LogLevel::Info: return "INFO";
    case LogLevel::Warn: return "WARN";
    case LogLevel::Error: return "EROR";
  }
  return "?";
}
}  // namespace

void setLogLevel(LogLevel level) { gLevel = level; }
LogLevel logLevel() { return gLevel; }
void setLogSink(LogSink sink) { gSink = sink; }

void logLine(LogLevel level, std::string_view text) {
  if (const auto sink = gSink.load()) {
    sink(level, text);
    return;
  }
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::string line = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} {}\n", utc.tm_year + 1900, utc.tm_mon + 1,
                                 utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis, levelName(level), text);
  // One write() per line, so lines from concurrent writers never interleave.
  [[maybe_unused]] const auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

std::string logValue(std::string_view value) {
  if (!value.empty() && value.find_first_of(" \"=\t") == std::string_view::npos) return std::string(value);
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace lvscare
