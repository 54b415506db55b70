// Conversions of flag text the way LVScare's Go flags (pflag) read it, with one-line errors that
// name the flag (or the environment variable) and the value.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lvscare/result.hpp"

namespace lvscare::cli {

// Go's time.ParseDuration: "300ms", "1.5h", "2h45m", "0"; units ns, us (µs), ms, s, m, h.
// Negative durations are refused (no flag here wants one).
Result<std::chrono::nanoseconds> parseGoDuration(std::string_view flag, std::string_view text);

// LVScare's --interval: an integer (Go's Atoi: "5", "+5") is seconds, anything else a Go duration.
Result<std::chrono::nanoseconds> parseSecondsOrDuration(std::string_view flag, std::string_view text);

// Go's strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False.
Result<bool> parseGoBool(std::string_view flag, std::string_view text);

// Go's strconv.ParseInt(text, base, 64), base 10 (Atoi: a sign, decimal digits) or 0 (pflag's
// IntVar: also 0x, 0o, 0b and a leading 0 for octal, '_' between digits). Out of int64's range is
// an error, or with `clamp` the nearest end (for a field whose own range check then speaks).
Result<long long> parseGoInt(std::string_view flag, std::string_view text, int base, bool clamp);

// A decimal integer for a field whose range is the library's rule: one beyond int is clamped to
// INT_MIN/INT_MAX, which every such rule refuses, with the range it wants.
Result<int> parseClampedInt(std::string_view flag, std::string_view text);

// pflag's StringSlice for one occurrence: comma-separated, read as one CSV record (a field may be
// double-quoted to hold a comma; a line break ends the record, and text after it, which Go would
// drop, is an error); "" is an empty list.
Result<std::vector<std::string>> splitList(std::string_view flag, std::string_view text);

// pflag's StringToString for one occurrence (LVScare's --health-req-headers): with one '=' the
// whole text is one key=value (surrounding '"' trimmed: "Accept=a,b" is Accept: a,b); with more,
// a CSV record of key=value pairs. No '=' at all is an error.
Result<std::vector<std::pair<std::string, std::string>>> parseStringToString(std::string_view flag,
                                                                             std::string_view text);

// Go's strings.TrimSpace, for ASCII white space.
std::string_view trimSpace(std::string_view text);

// Whether Go reads `text` as the value of one of LVScare's flag types (pflag's Set would succeed);
// the error says why not, naming `flag`. Checks the type only: what the value must meet besides
// (a negative interval, say) is checked where it is used.
using GoTypeCheck = Result<void> (*)(std::string_view flag, std::string_view text);
Result<void> goReadsBool(std::string_view flag, std::string_view text);
Result<void> goReadsDuration(std::string_view flag, std::string_view text);           // time.ParseDuration
Result<void> goReadsSecondsOrDuration(std::string_view flag, std::string_view text);  // Atoi, else ParseDuration
Result<void> goReadsInt(std::string_view flag, std::string_view text);                // ParseInt(text, 0, 64)
Result<void> goReadsIntSlice(std::string_view flag, std::string_view text);           // Atoi of each comma part
Result<void> goReadsStringSlice(std::string_view flag, std::string_view text);        // one CSV record
Result<void> goReadsStringToString(std::string_view flag, std::string_view text);
Result<void> goReadsIp(std::string_view flag, std::string_view text);  // net.ParseIP, spaces trimmed

}  // namespace lvscare::cli
