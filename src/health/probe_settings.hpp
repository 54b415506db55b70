// Settings that depend on each other, decided once before the probers are made, with a note for
// every one the user might not expect (no silent option):
//   - TLS verification: --health-insecure-skip-verify defaults to true (LVScare), but a CA file,
//     client certificate or key, or server name given without the flag turns verification on;
//     given explicitly as true, the CA is unused and a warning says so.
//   - TLS files or a server name with --health-schem http or tcp are unused: a warning says so.
//   - A probe timeout above the check interval is cut to the interval: a warning says so.
//   - Intervals and the timeout below their floors (kMinInterval, kMinTimeout) are raised to them,
//     LVScare accepts any value, but an interval of 1ns checks in a busy loop (21 % of a core) and a
//     timeout of 1ns fails a healthy server: a warning says so.
// Pure: no files, no logging; the caller logs the notes.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "lvscare/health.hpp"

namespace lvscare::health {

struct ProbeSettingNote {
  bool warning = false;  // false: information
  std::string text;      // one line, naming the flags
};

struct ResolvedProbeSettings {
  ProbeConfig probe;  // insecureSkipVerify decided, timeout at most the interval
  std::vector<ProbeSettingNote> notes;
};

inline constexpr Duration kMinInterval = std::chrono::milliseconds(100);
inline constexpr Duration kMinTimeout = std::chrono::milliseconds(100);

// `interval` is the check interval after resolvePolicy().
ResolvedProbeSettings resolveProbeSettings(ProbeConfig probe, Duration interval);

struct ResolvedPolicy {
  CheckPolicy policy;  // interval and fast interval at least kMinInterval (a fast interval of 0 stays off)
  std::vector<ProbeSettingNote> notes;
};
ResolvedPolicy resolvePolicy(CheckPolicy policy);

}  // namespace lvscare::health
