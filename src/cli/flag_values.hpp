// Conversions of flag text the way LVScare's Go flags (pflag) read it, with one-line errors that
// name the flag (or the environment variable) and the value.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "lvscare/result.hpp"

namespace lvscare::cli {

// Go's time.ParseDuration: "300ms", "1.5h", "2h45m", "0"; units ns, us (µs), ms, s, m, h.
// Negative durations are refused (no flag here wants one).
Result<std::chrono::nanoseconds> parseGoDuration(std::string_view flag, std::string_view text);

// LVScare's --interval: a bare integer is seconds, anything else a Go duration.
Result<std::chrono::nanoseconds> parseSecondsOrDuration(std::string_view flag, std::string_view text);

// Go's strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False.
Result<bool> parseGoBool(std::string_view flag, std::string_view text);

// A decimal integer within [min, max].
Result<long long> parseInteger(std::string_view flag, std::string_view text, long long min, long long max);

// A decimal integer for a field whose range is the library's rule: one beyond int is clamped to
// INT_MIN/INT_MAX, which every such rule refuses, with the range it wants.
Result<int> parseClampedInt(std::string_view flag, std::string_view text);

// pflag's StringSlice for one occurrence: comma-separated, read as a CSV record (a field may be
// double-quoted to hold a comma); "" is an empty list.
Result<std::vector<std::string>> splitList(std::string_view flag, std::string_view text);

}  // namespace lvscare::cli
