// `lvscare status` output, rendered by the daemon: JSON for programs, a table for people.
#include <fmt/format.h>

#include <algorithm>

#include "care/care_endpoint.hpp"

namespace lvscare::care {
namespace {

std::string jsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (u < 0x20) out += fmt::format("\\u{:04x}", u);
    else out += c;
  }
  return out + "\"";
}

std::string jsonOptional(const std::optional<std::string>& text) { return text ? jsonString(*text) : "null"; }
std::string jsonNumber(double value) { return fmt::format("{:.6f}", value); }
template <class T>
std::string jsonOptionalNumber(const std::optional<T>& value) {
  return value ? fmt::format("{}", *value) : "null";
}

// "850us", "12ms", "3.2s", "5m3s", "2h4m", "3d2h": short and readable.
std::string age(double seconds) {
  if (seconds < 0.001) return fmt::format("{}us", static_cast<long>(seconds * 1e6));
  if (seconds < 1) return fmt::format("{}ms", static_cast<long>(seconds * 1e3));
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  const long s = static_cast<long>(seconds);
  if (s < 3600) return fmt::format("{}m{}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{}h", s / 86400, s % 86400 / 3600);
}

std::string orDash(std::string_view text) { return text.empty() ? "-" : std::string(text); }

}  // namespace

std::string statusJson(const StatusReport& r) {
  std::string out = "{";
  out += fmt::format(R"("virtual_server":{},"datapath":{},"mode":{},"scheduler":{},"interval_seconds":{},)",
                     jsonString(r.virtualServer), jsonString(r.datapath), jsonString(r.mode), jsonString(r.scheduler),
                     jsonNumber(r.intervalSeconds));
  out += fmt::format(
      R"("uptime_seconds":{},"last_round_age_seconds":{},"live":{},"ready":{},"kernel_error":{},"host_error":{},)",
      jsonNumber(r.uptimeSeconds), r.lastRoundAgeSeconds ? jsonNumber(*r.lastRoundAgeSeconds) : "null", r.live, r.ready,
      jsonOptional(r.kernelError), jsonOptional(r.hostError));
  out += R"("real_servers":[)";
  for (std::size_t i = 0; i < r.servers.size(); ++i) {
    const auto& s = r.servers[i];
    if (i > 0) out += ',';
    std::string last = "null";
    if (s.lastHealthy) {
      last = fmt::format(R"({{"result":{},"reason":{},"detail":{},"latency_seconds":{}}})",
                         jsonString(*s.lastHealthy ? "success" : "failure"), jsonString(s.lastReason),
                         jsonString(s.lastDetail), jsonNumber(s.lastLatencySeconds));
    }
    out += fmt::format(
        R"({{"address":{},"state":{},"desired_weight":{},"kernel_weight":{},"last_check":{},"last_error":{},"since_change_seconds":{}}})",
        jsonString(s.address), jsonString(s.state), jsonOptionalNumber(s.desiredWeight),
        jsonOptionalNumber(s.kernelWeight), last, s.lastError.empty() ? "null" : jsonString(s.lastError),
        jsonNumber(s.sinceChangeSeconds));
  }
  out += R"(],"differences":[)";
  for (std::size_t i = 0; i < r.differences.size(); ++i) out += (i > 0 ? "," : "") + jsonString(r.differences[i]);
  out += "]}\n";
  return out;
}

std::string statusTable(const StatusReport& r) {
  std::string out = fmt::format("virtual server {}  datapath {}  mode {}  scheduler {}  interval {}\n", r.virtualServer,
                                r.datapath, r.mode, r.scheduler, age(r.intervalSeconds));
  out += fmt::format("live {}  ready {}  last check round {}  up {}\n", r.live ? "yes" : "NO", r.ready ? "yes" : "NO",
                     r.lastRoundAgeSeconds ? age(*r.lastRoundAgeSeconds) + " ago" : std::string("none yet"),
                     age(r.uptimeSeconds));
  if (r.kernelError) out += "kernel: cannot read our virtual server: " + *r.kernelError + "\n";
  if (r.hostError) out += "host setup: " + *r.hostError + "\n";
  out += '\n';

  struct Row {
    std::string cells[7];
  };
  std::vector<Row> rows;
  rows.push_back({{"REAL SERVER", "STATE", "WEIGHT", "LAST CHECK", "LATENCY", "CHANGED", "LAST ERROR"}});
  for (const auto& s : r.servers) {
    Row row;
    row.cells[0] = s.address;
    row.cells[1] = s.state;
    row.cells[2] = s.kernelWeight ? std::to_string(*s.kernelWeight) : "-";
    if (s.desiredWeight != s.kernelWeight)
      row.cells[2] += " (want " + (s.desiredWeight ? std::to_string(*s.desiredWeight) : std::string("none")) + ")";
    row.cells[3] = s.lastHealthy ? fmt::format("{} ({})", *s.lastHealthy ? "ok" : s.lastReason, s.lastDetail) : "-";
    row.cells[4] = s.lastHealthy ? age(s.lastLatencySeconds) : "-";
    row.cells[5] = age(s.sinceChangeSeconds) + " ago";
    row.cells[6] = orDash(s.lastError);
    rows.push_back(std::move(row));
  }
  std::size_t width[7] = {};
  for (const auto& row : rows)
    for (int i = 0; i < 6; ++i) width[i] = std::max(width[i], row.cells[i].size());
  for (const auto& row : rows) {
    std::string line;
    for (int i = 0; i < 6; ++i) line += fmt::format("{:<{}}  ", row.cells[i], width[i]);
    line += row.cells[6];
    out += line + "\n";
  }
  out += '\n';
  if (r.kernelError) out += "differences: unknown (the kernel could not be read)\n";
  else if (r.differences.empty()) out += "the kernel holds what lvscare wants\n";
  else {
    out += "differences (what lvscare would change in the kernel):\n";
    for (const auto& d : r.differences) out += "  " + d + "\n";
  }
  return out;
}

}  // namespace lvscare::care
