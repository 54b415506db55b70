// The YAML tree and go-yaml v2's scalar and key-order rules (pure functions, no libyaml here).
//
// The rules are ports of go-yaml v2.4.0 (gopkg.in/yaml.v2: resolve.go resolve() and
// isBase60Float(), encode.go stringv(), sorter.go keyList.Less()), which sigs.k8s.io/yaml uses (and
// since v1.4.0 vendors unchanged as goyaml.v2). They were checked against the real thing: see
// tests/unit/staticpod/go_reference, which runs sigs.k8s.io/yaml's JSONToYAML on the same data.
#include "staticpod/yaml_tree.hpp"

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace lvscare::staticpod {

YamlNode YamlNode::string(std::string value) {
  YamlNode node;
  node.kind = Kind::String;
  node.text = std::move(value);
  return node;
}

YamlNode YamlNode::literal(std::string value) {
  YamlNode node;
  node.kind = Kind::Literal;
  node.text = std::move(value);
  return node;
}

YamlNode YamlNode::seq() {
  YamlNode node;
  node.kind = Kind::Seq;
  return node;
}

YamlNode YamlNode::stringSeq(const std::vector<std::string>& values) {
  YamlNode node = seq();
  for (const auto& value : values) node.push(string(value));
  return node;
}

YamlNode& YamlNode::set(std::string_view key, YamlNode value) {
  if (YamlNode* existing = find(key)) {
    *existing = std::move(value);
    return *existing;
  }
  entries.push_back(YamlEntry{std::string(key), std::move(value)});
  return entries.back().value;
}

const YamlNode* YamlNode::find(std::string_view key) const {
  if (kind != Kind::Map) return nullptr;
  for (const auto& entry : entries) {
    if (entry.key == key) return &entry.value;
  }
  return nullptr;
}

YamlNode* YamlNode::find(std::string_view key) {
  return const_cast<YamlNode*>(static_cast<const YamlNode*>(this)->find(key));
}

YamlNode& YamlNode::push(YamlNode value) {
  items.push_back(std::move(value));
  return items.back();
}

bool YamlNode::operator==(const YamlNode& other) const {
  return kind == other.kind && text == other.text && entries == other.entries && items == other.items;
}

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool allDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!isDigit(c)) return false;
  }
  return true;
}

// resolve.go's resolveMap: the plain scalars that are null, booleans, special floats or the merge key.
bool inResolveMap(std::string_view s) {
  static constexpr std::string_view kWords[] = {"y",     "Y",     "yes",   "Yes",   "YES",   "true",  "True",  "TRUE",
                                                "on",    "On",    "ON",    "n",     "N",     "no",    "No",    "NO",
                                                "false", "False", "FALSE", "off",   "Off",   "OFF",   "",      "~",
                                                "null",  "Null",  "NULL",  ".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",
                                                ".INF",  "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<"};
  for (auto word : kWords) {
    if (word == s) return true;
  }
  return false;
}

int digitValue(char c) {
  if (isDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// Go's strconv.ParseInt(s, base, 64) / ParseUint succeeded: digits valid for the base and the value
// in range (int64 when signed, else uint64). base 0 means Go's prefixes: 0x, 0o, 0b, leading 0.
bool goParsesAsInteger(std::string_view s, int base) {
  bool negative = false;
  bool sign = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    sign = true;
    s.remove_prefix(1);
  }
  if (base == 0) {
    base = 10;
    if (s.size() >= 2 && s[0] == '0') {
      const char p = static_cast<char>(s[1] | 0x20);
      if (p == 'x' || p == 'o' || p == 'b') {
        base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
        s.remove_prefix(2);
      } else {
        base = 8;
        s.remove_prefix(1);
        if (s.empty()) return true;  // "0" itself
      }
    }
  }
  if (s.empty()) return false;
  std::uint64_t value = 0;
  for (char c : s) {
    const int d = digitValue(c);
    if (d >= base) return false;
    const auto b = static_cast<std::uint64_t>(base);
    if (value > (UINT64_MAX - static_cast<std::uint64_t>(d)) / b) return false;  // beyond uint64
    value = value * b + static_cast<std::uint64_t>(d);
  }
  if (!sign) return true;  // ParseUint covers what ParseInt's int64 range does not
  const std::uint64_t limit = negative ? (std::uint64_t{1} << 63) : (std::uint64_t{1} << 63) - 1;
  return value <= limit;  // a signed value must fit int64 (ParseUint takes no sign)
}

// resolve.go's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool yamlStyleFloat(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && isDigit(s[i])) ++i;
    return i - start;
  };
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

// strconv.ParseFloat succeeds on a yamlStyleFloat string unless it overflows to infinity.
bool goParsesAsFloat(std::string_view s) {
  const std::string copy(s);
  errno = 0;
  const double value = std::strtod(copy.c_str(), nullptr);
  return !(errno == ERANGE && std::isinf(value));
}

// isBase60Float: ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ (YAML 1.1 sexagesimal, "1:20").
bool isBase60Float(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i >= s.size() || !isDigit(s[i])) return false;
  ++i;
  while (i < s.size() && (isDigit(s[i]) || s[i] == '_')) ++i;
  int groups = 0;
  while (i < s.size() && s[i] == ':') {
    ++i;
    // [0-5]?[0-9]: one or two digits, the first of two at most 5.
    if (i >= s.size() || !isDigit(s[i])) return false;
    if (i + 1 < s.size() && isDigit(s[i + 1]) && s[i] <= '5') i += 2;
    else ++i;
    ++groups;
  }
  if (groups == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && (isDigit(s[i]) || s[i] == '_')) ++i;
  }
  return i == s.size();
}

// Go's time.Parse getnum(): one or two digits.
bool takeNumber(std::string_view& s, int& value) {
  if (s.empty() || !isDigit(s[0])) return false;
  value = s[0] - '0';
  std::size_t n = 1;
  if (s.size() > 1 && isDigit(s[1])) {
    value = value * 10 + (s[1] - '0');
    n = 2;
  }
  s.remove_prefix(n);
  return true;
}

bool takeChar(std::string_view& s, char c) {
  if (s.empty() || s[0] != c) return false;
  s.remove_prefix(1);
  return true;
}

int daysIn(int month, int year) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// resolve.go parseTimestamp(): time.Parse with the layouts "2006-1-2T15:4:5.999999999Z07:00" (also
// with 't'), "2006-1-2 15:4:5.999999999" and "2006-1-2".
bool isGoTimestamp(std::string_view s) {
  if (s.size() < 5 || !allDigits(s.substr(0, 4)) || s[4] != '-') return false;
  const int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  s.remove_prefix(5);
  int month = 0;
  int day = 0;
  if (!takeNumber(s, month) || month < 1 || month > 12) return false;
  if (!takeChar(s, '-') || !takeNumber(s, day) || day > daysIn(month, year)) return false;
  if (s.empty()) return true;
  const char separator = s[0];
  if (separator != 'T' && separator != 't' && separator != ' ') return false;
  s.remove_prefix(1);
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!takeNumber(s, hour) || hour > 23 || !takeChar(s, ':')) return false;
  if (!takeNumber(s, minute) || minute > 59 || !takeChar(s, ':')) return false;
  if (!takeNumber(s, second) || second > 59) return false;
  if (s.size() >= 2 && (s[0] == '.' || s[0] == ',') && isDigit(s[1])) {  // optional fraction
    s.remove_prefix(1);
    while (!s.empty() && isDigit(s[0])) s.remove_prefix(1);
  }
  if (separator == ' ') return s.empty();
  if (s == "Z") return true;
  // ±hh:mm, two digits each; Go accepts hours up to 24 and minutes up to 60.
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return false;
  if (!allDigits(s.substr(1, 2)) || !allDigits(s.substr(4, 2))) return false;
  return std::atoi(std::string(s.substr(1, 2)).c_str()) <= 24 && std::atoi(std::string(s.substr(4, 2)).c_str()) <= 60;
}

// resolve("", s) != !!str for hints 'D' (digit) and 'S' (sign).
bool numberLikeResolves(std::string_view in) {
  if (isGoTimestamp(in)) return true;
  std::string plain;
  for (char c : in) {
    if (c != '_') plain += c;
  }
  if (goParsesAsInteger(plain, 0)) return true;
  if (yamlStyleFloat(plain) && goParsesAsFloat(plain)) return true;
  const std::string_view p = plain;
  if (p.starts_with("0b")) return goParsesAsInteger(p.substr(2), 2);
  // Appended, not `"-" + std::string(...)`: GCC 12's -Wrestrict misfires on that at -O2 and above.
  if (p.starts_with("-0b")) return goParsesAsInteger(std::string(1, '-').append(p.substr(3)), 2);
  return false;
}

}  // namespace

bool goYamlResolvesToNonString(std::string_view value) {
  if (value.empty()) return true;  // null
  const char first = value[0];
  char hint = 0;
  if (first == '+' || first == '-') hint = 'S';
  else if (isDigit(first)) hint = 'D';
  else if (std::string_view("yYnNtTfFoO~").find(first) != std::string_view::npos) hint = 'M';
  else if (first == '.') hint = '.';
  if (hint == 0) return false;  // no hint: always a string (so "<<" too, despite the map)
  if (inResolveMap(value)) return true;
  switch (hint) {
    case 'M': return false;
    case '.': return yamlStyleFloat(value) && goParsesAsFloat(value);  // starts with '.': ".5"
    default: return numberLikeResolves(value);
  }
}

bool goYamlNeedsQuotes(std::string_view value) {
  // go-yaml v2 reads "1:20" back as a string, but writes it quoted for YAML 1.1 readers (base 60).
  return isBase60Float(value) || goYamlResolvesToNonString(value);
}

namespace {

// Decodes one UTF-8 code point (a stray or truncated byte comes out as itself).
char32_t nextRune(std::string_view s, std::size_t& i) {
  const auto b = static_cast<unsigned char>(s[i++]);
  const int extra = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
  if (extra == 0 || b >= 0xf8 || i + static_cast<std::size_t>(extra) > s.size()) return b;
  char32_t rune = b & (0x3fu >> extra);
  for (int k = 0; k < extra; ++k) rune = (rune << 6) | (static_cast<unsigned char>(s[i++]) & 0x3fu);
  return rune;
}

std::u32string runes(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) out += nextRune(s, i);
  return out;
}

// unicode.IsLetter for ASCII; every non-ASCII code point counts as a letter (an approximation that
// only matters for non-ASCII keys, which manifests do not have).
bool isLetter(char32_t r) { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r >= 0x80; }
bool isDigitRune(char32_t r) { return r >= '0' && r <= '9'; }

}  // namespace

bool goYamlKeyLess(std::string_view a, std::string_view b) {
  const std::u32string ar = runes(a);
  const std::u32string br = runes(b);
  for (std::size_t i = 0; i < ar.size() && i < br.size(); ++i) {
    if (ar[i] == br[i]) continue;
    const bool al = isLetter(ar[i]);
    const bool bl = isLetter(br[i]);
    if (al && bl) return ar[i] < br[i];
    if (al || bl) return bl;
    // Digit runs compare by value; a run that started earlier with a non-zero digit makes the
    // zeros significant (go-yaml's "an = bn = 1").
    std::int64_t an = 0;
    std::int64_t bn = 0;
    if (ar[i] == '0' || br[i] == '0') {
      for (std::size_t j = i; j-- > 0 && isDigitRune(ar[j]);) {
        if (ar[j] != '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    std::size_t ai = i;
    std::size_t bi = i;
    for (; ai < ar.size() && isDigitRune(ar[ai]); ++ai) an = an * 10 + static_cast<std::int64_t>(ar[ai] - '0');
    for (; bi < br.size() && isDigitRune(br[bi]); ++bi) bn = bn * 10 + static_cast<std::int64_t>(br[bi] - '0');
    if (an != bn) return an < bn;
    if (ai != bi) return ai < bi;
    return ar[i] < br[i];
  }
  return ar.size() < br.size();
}

}  // namespace lvscare::staticpod
