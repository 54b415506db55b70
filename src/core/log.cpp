#include "lvscare/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <mutex>

#include "core/log_writer.hpp"

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

std::string formatLine(LogLevel level, std::string_view text) {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  // Escaped whole: whatever a message echoes, it stays one line and sends nothing raw to a terminal.
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} {}\n", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis, levelName(level), printable(text));
}

namespace {

// One write() per line where the fd allows, so lines from concurrent writers never interleave.
void writeStderr(std::string_view line) {
  while (!line.empty()) {
    const auto written = ::write(STDERR_FILENO, line.data(), line.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // stderr closed or broken: nothing better to do with the line
    line.remove_prefix(static_cast<std::size_t>(written));
  }
}

// Made at the first line and never destroyed, so its thread can outlive static destruction; lines
// still queued at exit are written within AsyncLineWriter::kExitFlush.
AsyncLineWriter* stderrWriter() {
  static AsyncLineWriter* writer = [] {
    auto* made = new AsyncLineWriter(
        writeStderr,
        [](std::uint64_t count) {
          return formatLine(LogLevel::Warn, fmt::format("dropped {} log lines: stderr was not taking them", count));
        },
        kLogQueueBytes);
    std::atexit([] { stderrWriter()->flush(AsyncLineWriter::kExitFlush); });
    return made;
  }();
  return writer;
}

}  // namespace

void logLine(LogLevel level, std::string_view text) {
  if (const auto sink = gSink.load()) {
    sink(level, text);
    return;
  }
  stderrWriter()->push(formatLine(level, text));
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20 || u == 0x7f) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  return out;
}

std::string logValue(std::string_view value) {
  const bool control =
      std::any_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (!value.empty() && !control && value.find_first_of(" \"=") == std::string_view::npos) return std::string(value);
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return printable(out) + "\"";
}

}  // namespace lvscare
