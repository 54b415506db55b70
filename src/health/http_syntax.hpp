// Character classes of HTTP (RFC 9110 5.6), shared by the request builder and the response parser.
#pragma once

#include <algorithm>
#include <string_view>

namespace lvscare::health::http {

// tchar: what header names and methods are made of.
inline bool isTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

inline bool isToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), isTokenChar); }

// Field values and reason phrases: HTAB, SP, visible ASCII and obs-text; no other control byte.
inline bool isTextChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

inline bool isText(std::string_view s) { return std::all_of(s.begin(), s.end(), isTextChar); }

inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [&](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace lvscare::health::http
