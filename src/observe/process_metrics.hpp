// The standard process_* metrics every Prometheus client library exports, read from /proc on each
// scrape: CPU seconds, resident and virtual memory, open and maximum file descriptors, start time.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "observe/exposition.hpp"

namespace lvscare::observe {

// The fields of /proc/<pid>/stat that the metrics use (proc(5): utime 14, stime 15, starttime 22,
// vsize 23, rss 24, counted from 1).
struct ProcStat {
  std::uint64_t utimeTicks = 0;
  std::uint64_t stimeTicks = 0;
  std::uint64_t startTicks = 0;  // after boot
  std::uint64_t virtualBytes = 0;
  std::uint64_t residentPages = 0;
};

// Parses the text of /proc/<pid>/stat. The command name may hold spaces and parentheses, so the
// fields are counted from its last ')'.
std::optional<ProcStat> parseProcStat(std::string_view text);

// "btime <seconds>" of /proc/stat: when the system booted, in seconds since the epoch.
std::optional<std::uint64_t> parseBootTime(std::string_view procStat);

// Appends the process_* families for this process. Families whose source cannot be read are left
// out rather than reported as 0.
void writeProcessMetrics(MetricsText& out);

}  // namespace lvscare::observe
