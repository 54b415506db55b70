#include "cli/flag_values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <cmath>

namespace lvscare::cli {
namespace {

Failure bad(std::string_view flag, std::string_view text, std::string_view why) {
  return fail(Errc::InvalidArgument, fmt::format("{} \"{}\": {}", flag, text, why));
}

constexpr std::string_view kDurationHint = "not a duration (want e.g. 500ms, 10s, 1m)";

}  // namespace

Result<std::chrono::nanoseconds> parseGoDuration(std::string_view flag, std::string_view text) {
  std::string_view rest = text;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    if (rest[0] == '-' && rest != "-0") return bad(flag, text, "must not be negative");
    rest.remove_prefix(1);
  }
  if (rest == "0") return std::chrono::nanoseconds(0);
  if (rest.empty()) return bad(flag, text, kDurationHint);
  long double total = 0;
  while (!rest.empty()) {
    std::size_t i = 0;
    long double value = 0;
    bool digits = false;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
      value = value * 10 + (rest[i++] - '0');
      digits = true;
    }
    if (i < rest.size() && rest[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
        value += (rest[i++] - '0') * scale;
        scale /= 10;
        digits = true;
      }
    }
    if (!digits) return bad(flag, text, kDurationHint);
    std::size_t unitEnd = i;
    while (unitEnd < rest.size() && !(rest[unitEnd] >= '0' && rest[unitEnd] <= '9') && rest[unitEnd] != '.') ++unitEnd;
    const std::string_view unit = rest.substr(i, unitEnd - i);
    long double nanos = 0;
    if (unit == "ns") nanos = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") nanos = 1e3L;
    else if (unit == "ms") nanos = 1e6L;
    else if (unit == "s") nanos = 1e9L;
    else if (unit == "m") nanos = 60e9L;
    else if (unit == "h") nanos = 3600e9L;
    else if (unit.empty()) return bad(flag, text, "missing unit (want e.g. 500ms, 10s, 1m)");
    else return bad(flag, text, fmt::format("unknown unit \"{}\" (want ns, us, ms, s, m or h)", unit));
    total += value * nanos;
    rest.remove_prefix(unitEnd);
  }
  // Go's limit: about 290 years.
  if (total > 9.2e18L) return bad(flag, text, "too long");
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(static_cast<double>(total))));
}

Result<std::chrono::nanoseconds> parseSecondsOrDuration(std::string_view flag, std::string_view text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    auto seconds = parseInteger(flag, text, 0, 9'000'000'000LL);
    if (!seconds) return passOn(seconds);
    return std::chrono::seconds(*seconds);
  }
  if (!text.empty() && text[0] == '-' && text.find_first_not_of("0123456789", 1) == std::string_view::npos &&
      text.size() > 1)
    return bad(flag, text, "must not be negative");
  auto duration = parseGoDuration(flag, text);
  if (!duration && text.find_first_of("0123456789") == std::string_view::npos)
    return bad(flag, text, "not a number of seconds or a duration (want e.g. 5, 500ms, 1m)");
  return duration;
}

Result<bool> parseGoBool(std::string_view flag, std::string_view text) {
  for (std::string_view yes : {"1", "t", "T", "TRUE", "true", "True"})
    if (text == yes) return true;
  for (std::string_view no : {"0", "f", "F", "FALSE", "false", "False"})
    if (text == no) return false;
  return bad(flag, text, "want true or false");
}

Result<long long> parseInteger(std::string_view flag, std::string_view text, long long min, long long max) {
  long long value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != end) return bad(flag, text, "not an integer");
  if (ec == std::errc::result_out_of_range || value < min || value > max)
    return bad(flag, text, fmt::format("want {} to {}", min, max));
  return value;
}

Result<int> parseClampedInt(std::string_view flag, std::string_view text) {
  long long value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != end) return bad(flag, text, "not an integer");
  const bool negative = text.front() == '-';
  if (ec == std::errc::result_out_of_range)
    value = negative ? std::numeric_limits<long long>::min() : std::numeric_limits<long long>::max();
  return static_cast<int>(
      std::clamp<long long>(value, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

Result<std::vector<std::string>> splitList(std::string_view flag, std::string_view text) {
  std::vector<std::string> fields;
  if (text.empty()) return fields;
  std::size_t i = 0;
  for (;;) {
    std::string field;
    if (i < text.size() && text[i] == '"') {
      for (++i;; ++i) {
        if (i >= text.size()) return bad(flag, text, "unterminated quoted field");
        if (text[i] != '"') {
          field += text[i];
        } else if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          ++i;
          break;
        }
      }
      if (i < text.size() && text[i] != ',') return bad(flag, text, "text after a quoted field");
    } else {
      while (i < text.size() && text[i] != ',') {
        if (text[i] == '"') return bad(flag, text, "a '\"' inside a field that is not quoted");
        field += text[i++];
      }
    }
    fields.push_back(std::move(field));
    if (i >= text.size()) return fields;
    ++i;  // the comma; a trailing one gives a last empty field, as in Go
    if (i == text.size()) {
      fields.emplace_back();
      return fields;
    }
  }
}

}  // namespace lvscare::cli
