#include "observe/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

namespace lvscare::observe {
namespace {

bool toNumber(std::string_view text, std::uint64_t& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

std::optional<std::string> readSmallFile(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::optional<std::uint64_t> openFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  std::uint64_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the directory's own descriptor, open while it was read
}

}  // namespace

std::optional<ProcStat> parseProcStat(std::string_view text) {
  const auto close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  // Field 3 (state) is the first after ")"; collect up to field 24.
  std::string_view fields[25];
  int index = 3;
  while (index <= 24) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) return std::nullopt;
    const auto space = rest.find_first_of(" \n");
    fields[index++] = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space);
  }
  ProcStat stat;
  if (!toNumber(fields[14], stat.utimeTicks) || !toNumber(fields[15], stat.stimeTicks) ||
      !toNumber(fields[22], stat.startTicks) || !toNumber(fields[23], stat.virtualBytes) ||
      !toNumber(fields[24], stat.residentPages))
    return std::nullopt;
  return stat;
}

std::optional<std::uint64_t> parseBootTime(std::string_view procStat) {
  std::size_t at = 0;
  while (at < procStat.size()) {
    const auto end = procStat.find('\n', at);
    const std::string_view line =
        procStat.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (line.starts_with("btime ")) {
      std::uint64_t value = 0;
      if (toNumber(line.substr(6), value)) return value;
      return std::nullopt;
    }
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return std::nullopt;
}

void writeProcessMetrics(MetricsText& out) {
  using Type = MetricsText::Type;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const auto statText = readSmallFile("/proc/self/stat");
  const auto stat = statText ? parseProcStat(*statText) : std::nullopt;
  if (stat) {
    out.family("process_cpu_seconds_total", Type::Counter,
               "CPU time this process has used, user and system, in seconds.");
    out.sample("process_cpu_seconds_total", {}, static_cast<double>(stat->utimeTicks + stat->stimeTicks) / ticks);
    out.family("process_resident_memory_bytes", Type::Gauge, "Memory of this process resident in RAM, in bytes.");
    out.sample("process_resident_memory_bytes", {},
               static_cast<double>(stat->residentPages) * static_cast<double>(::sysconf(_SC_PAGESIZE)));
    out.family("process_virtual_memory_bytes", Type::Gauge, "Address space of this process, in bytes.");
    out.sample("process_virtual_memory_bytes", {}, static_cast<double>(stat->virtualBytes));
  }
  if (const auto fds = openFds()) {
    out.family("process_open_fds", Type::Gauge, "File descriptors this process holds open.");
    out.sample("process_open_fds", {}, static_cast<double>(*fds));
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.family("process_max_fds", Type::Gauge, "How many file descriptors this process may open (RLIMIT_NOFILE).");
    out.sample("process_max_fds", {}, static_cast<double>(limit.rlim_cur));
  }
  // The boot time does not change: read once.
  static const std::optional<std::uint64_t> boot = [] {
    const auto procStat = readSmallFile("/proc/stat");
    return procStat ? parseBootTime(*procStat) : std::nullopt;
  }();
  if (stat && boot) {
    out.family("process_start_time_seconds", Type::Gauge,
               "When this process started, in seconds since the Unix epoch.");
    out.sample("process_start_time_seconds", {},
               static_cast<double>(*boot) + static_cast<double>(stat->startTicks) / ticks);
  }
}

}  // namespace lvscare::observe
