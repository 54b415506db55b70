#include "cli/flag_values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include "lvscare/endpoint.hpp"
#include "lvscare/log.hpp"

namespace lvscare::cli {
namespace {

Failure bad(std::string_view flag, std::string_view text, std::string_view why) {
  return fail(Errc::InvalidArgument, fmt::format("{} \"{}\": {}", flag, printable(text), why));
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
  // Go's strconv.Atoi first (a sign allowed: "+5" is 5 s), then time.ParseDuration.
  const std::string_view digits = !text.empty() && (text[0] == '+' || text[0] == '-') ? text.substr(1) : text;
  if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos) {
    auto seconds = parseGoInt(flag, text, 10, false);
    if (!seconds) return passOn(seconds);
    if (*seconds < 0) return bad(flag, text, "must not be negative");
    if (*seconds > 9'000'000'000LL) return bad(flag, text, fmt::format("want 0 to {}", 9'000'000'000LL));
    return std::chrono::seconds(*seconds);
  }
  auto duration = parseGoDuration(flag, text);
  if (!duration && text.find_first_of("0123456789") == std::string_view::npos)
    return bad(flag, text, "not a number of seconds or a duration (want e.g. 5, 500ms, 1m)");
  return duration;
}

Result<long long> parseGoInt(std::string_view flag, std::string_view text, int base, bool clamp) {
  std::string_view rest = text;
  const bool negative = !rest.empty() && rest[0] == '-';
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) rest.remove_prefix(1);
  bool afterPrefix = false;  // Go allows "0x_1f": an underscore right after the base prefix
  if (base == 0) {
    base = 10;
    if (rest.size() > 2 && rest[0] == '0') {
      const char p = static_cast<char>(std::tolower(static_cast<unsigned char>(rest[1])));
      if (p == 'x' || p == 'o' || p == 'b') {
        base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
        rest.remove_prefix(2);
        afterPrefix = true;
      }
    }
    if (base == 10 && rest.size() > 1 && rest[0] == '0') base = 8;
  } else if (rest.find('_') != std::string_view::npos) {
    return bad(flag, text, "not an integer");
  }
  unsigned long long value = 0;
  bool digits = false, overflow = false;
  const unsigned long long limit = negative ? 9223372036854775808ULL : 9223372036854775807ULL;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (c == '_') {
      const bool before = digits || (afterPrefix && i == 0);
      const bool next = i + 1 < rest.size() && std::isxdigit(static_cast<unsigned char>(rest[i + 1]));
      if (!before || !next) return bad(flag, text, "not an integer");
      continue;
    }
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0 || d >= base) return bad(flag, text, "not an integer");
    digits = true;
    if (value > (limit - static_cast<unsigned>(d)) / static_cast<unsigned>(base)) overflow = true;
    if (!overflow) value = value * static_cast<unsigned>(base) + static_cast<unsigned>(d);
  }
  if (!digits) return bad(flag, text, "not an integer");
  if (overflow && !clamp) return bad(flag, text, "out of range");
  if (overflow) value = limit;
  if (negative)
    return value == 9223372036854775808ULL ? std::numeric_limits<long long>::min() : -static_cast<long long>(value);
  return static_cast<long long>(value);
}

Result<bool> parseGoBool(std::string_view flag, std::string_view text) {
  for (std::string_view yes : {"1", "t", "T", "TRUE", "true", "True"})
    if (text == yes) return true;
  for (std::string_view no : {"0", "f", "F", "FALSE", "false", "False"})
    if (text == no) return false;
  return bad(flag, text, "want true or false");
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
  // Go's csv.Reader.Read: blank lines before the record are skipped, and an unquoted line break
  // ends it (a YAML block value's trailing newline is harmless).
  while (!text.empty() && (text[0] == '\n' || text.starts_with("\r\n"))) text.remove_prefix(text[0] == '\n' ? 1 : 2);
  for (std::size_t at = 0; at < text.size(); ++at) {
    if (text[at] == '"') {  // a quoted part may hold line breaks: skip to its closing quote
      for (++at; at < text.size(); ++at) {
        if (text[at] != '"') continue;
        if (at + 1 < text.size() && text[at + 1] == '"') {
          ++at;  // an escaped quote
          continue;
        }
        break;
      }
    } else if (text[at] == '\n') {
      // Go reads no further; text there would be dropped without a word, so it is refused.
      if (text.find_first_not_of("\r\n", at) != std::string_view::npos)
        return bad(flag, text, "text after a line break");
      text = text.substr(0, at > 0 && text[at - 1] == '\r' ? at - 1 : at);
      break;
    }
  }
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

Result<std::vector<std::pair<std::string, std::string>>> parseStringToString(std::string_view flag,
                                                                             std::string_view text) {
  const auto equals = std::count(text.begin(), text.end(), '=');
  if (equals == 0) return bad(flag, text, "want key=value");
  std::vector<std::string> pairs;
  if (equals == 1) {
    const auto first = text.find_first_not_of('"');
    const auto last = text.find_last_not_of('"');
    pairs.emplace_back(text.substr(first, last - first + 1));  // '=' is neither, so both exist
  } else {
    auto split = splitList(flag, text);
    if (!split) return passOn(split);
    pairs = std::move(*split);
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& pair : pairs) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos) return bad(flag, pair, "want key=value");
    out.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
  }
  return out;
}

namespace {
template <class T>
Result<void> typeOnly(const Result<T>& read) {
  if (!read) return passOn(read);
  return {};
}
}  // namespace

std::string_view trimSpace(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n\v\f");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n\v\f") - first + 1);
}

Result<void> goReadsBool(std::string_view flag, std::string_view text) { return typeOnly(parseGoBool(flag, text)); }

Result<void> goReadsDuration(std::string_view flag, std::string_view text) {
  // Go reads a negative duration; whether one is wanted is the flag's own question.
  const std::string_view unsigned_ = text.starts_with('-') && text.size() > 1 ? text.substr(1) : text;
  if (auto read = parseGoDuration(flag, unsigned_); !read) return bad(flag, text, kDurationHint);
  return {};
}

Result<void> goReadsSecondsOrDuration(std::string_view flag, std::string_view text) {
  if (parseGoInt(flag, text, 10, false)) return {};
  if (goReadsDuration(flag, text)) return {};
  return bad(flag, text, "not a number of seconds or a duration (want e.g. 5, 500ms, 1m)");
}

Result<void> goReadsInt(std::string_view flag, std::string_view text) {
  return typeOnly(parseGoInt(flag, text, 0, false));
}

Result<void> goReadsIntSlice(std::string_view flag, std::string_view text) {
  for (std::size_t start = 0;;) {  // strings.Split, not CSV
    const auto comma = text.find(',', start);
    if (auto read = parseGoInt(flag, text.substr(start, comma - start), 10, false); !read) return passOn(read);
    if (comma == std::string_view::npos) return {};
    start = comma + 1;
  }
}

Result<void> goReadsStringSlice(std::string_view flag, std::string_view text) {
  return typeOnly(splitList(flag, text));
}

Result<void> goReadsStringToString(std::string_view flag, std::string_view text) {
  return typeOnly(parseStringToString(flag, text));
}

Result<void> goReadsIp(std::string_view flag, std::string_view text) {
  if (!IpAddress::parse(trimSpace(text))) return bad(flag, text, "not an IP address");
  return {};
}

}  // namespace lvscare::cli
