// The request side of the metrics endpoint's HTTP/1.x: finding where a request head ends and
// parsing it (request line and header fields). Pure functions with no I/O, so they are unit-tested
// and fuzzed on their own: every byte here comes from whoever connects to the endpoint.
//
// Accepted: "<method> <origin-form target> HTTP/1.<d>" then "name: value" fields, lines ending in
// CRLF or a bare LF (RFC 9112 2.2), up to an empty line. Rejected with the status a server should
// answer: a bad request line or field (400), a version other than 1.x (505), a target that is not
// origin-form or too long (400 / 414). Bodies are never read: the endpoint serves GET and HEAD.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lvscare::observe {

// Where the head in `buffer` ends (just past the empty line), or nullopt if it is not complete.
// `from` lets a caller that appends to the buffer resume the search instead of rescanning it.
std::optional<std::size_t> findHeadEnd(std::string_view buffer, std::size_t from = 0);

struct RequestHead {
  std::string method;
  std::string path;   // the target up to '?'
  std::string query;  // after '?', without it; may be empty
  int minorVersion = 1;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct RequestError {
  int status = 400;
  std::string reason;  // one line, for the response body
};

struct ParsedHead {
  std::optional<RequestHead> head;  // set on success
  RequestError error;               // meaningful when head is empty
};

inline constexpr std::size_t kMaxTargetBytes = 2048;

// Parses a complete head (as delimited by findHeadEnd()).
ParsedHead parseRequestHead(std::string_view head);

// Query helpers: "verbose", "verbose=1" and "verbose=true" are present; "a=b&format=json".
bool queryHas(std::string_view query, std::string_view key);
std::optional<std::string_view> queryValue(std::string_view query, std::string_view key);

}  // namespace lvscare::observe
