// One line per event: "<time> <LEVEL> <event> key=value ...". Library code logs at debug at most;
// the caller that decides what to do about an error logs it once.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace lvscare {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void setLogLevel(LogLevel level);
LogLevel logLevel();
inline bool logEnabled(LogLevel level) { return level >= logLevel(); }

// Writes one line to stderr (or the sink a test installed).
void logLine(LogLevel level, std::string_view text);

using LogSink = void (*)(LogLevel, std::string_view line);
void setLogSink(LogSink sink);  // nullptr restores stderr

template <class... Args>
void logf(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (logEnabled(level)) logLine(level, fmt::format(format, std::forward<Args>(args)...));
}

// Quotes a value for key=value output when it contains spaces, quotes or '='.
std::string logValue(std::string_view value);

}  // namespace lvscare
