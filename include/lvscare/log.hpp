// One line per event: "<time> <LEVEL> <event> key=value ...". Library code logs at debug at most;
// the caller that decides what to do about an error logs it once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace lvscare {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void setLogLevel(LogLevel level);
LogLevel logLevel();
inline bool logEnabled(LogLevel level) { return level >= logLevel(); }

// Writes one line to stderr (or the sink a test installed). Never waits for stderr's reader: the
// line is queued for a writer thread (at most kLogQueueBytes; beyond that lines are dropped,
// counted, and a "dropped N log lines" line follows once stderr takes lines again).
void logLine(LogLevel level, std::string_view text);
inline constexpr std::size_t kLogQueueBytes = 256 * 1024;

// "<time> <LEVEL> <text>\n", with `text` passed through printable().
std::string formatLine(LogLevel level, std::string_view text);

using LogSink = void (*)(LogLevel, std::string_view line);
void setLogSink(LogSink sink);  // nullptr restores stderr

template <class... Args>
void logf(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (logEnabled(level)) logLine(level, fmt::format(format, std::forward<Args>(args)...));
}

// Quotes a value for key=value output when it contains spaces, quotes, '=' or control characters
// (those written as escapes).
std::string logValue(std::string_view value);

// Text as it may be printed in a one-line message: control characters written as escapes (\n, \r,
// \t, \x1b), so echoed input can neither forge a second line nor reach a terminal raw.
std::string printable(std::string_view text);

}  // namespace lvscare
