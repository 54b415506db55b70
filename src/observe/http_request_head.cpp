#include "observe/http_request_head.hpp"

#include "health/http_syntax.hpp"

namespace lvscare::observe {
namespace http = health::http;

std::optional<std::size_t> findHeadEnd(std::string_view buffer, std::size_t from) {
  // Resume one line ending back, so a "\r\n\r\n" split across calls is still found.
  std::size_t at = from >= 3 ? from - 3 : 0;
  while (at < buffer.size()) {
    const auto lf = buffer.find('\n', at);
    if (lf == std::string_view::npos) return std::nullopt;
    // An empty line: LF right after the previous LF, or after a CR that follows it.
    if (lf >= 1 && buffer[lf - 1] == '\n') return lf + 1;
    if (lf >= 2 && buffer[lf - 1] == '\r' && buffer[lf - 2] == '\n') return lf + 1;
    at = lf + 1;
  }
  return std::nullopt;
}

namespace {

ParsedHead failure(int status, std::string reason) {
  return ParsedHead{std::nullopt, RequestError{status, std::move(reason)}};
}

// The next line without its ending; advances `rest` past it.
std::string_view nextLine(std::string_view& rest) {
  const auto lf = rest.find('\n');
  std::string_view line = rest.substr(0, lf);
  rest = lf == std::string_view::npos ? std::string_view() : rest.substr(lf + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool isTargetChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f;  // visible ASCII: no space, no control byte, no obs-text
}

std::string_view trimWhitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

ParsedHead parseRequestHead(std::string_view head) {
  std::string_view rest = head;
  std::string_view line = nextLine(rest);
  // RFC 9112 2.2: a server should ignore at least one empty line before the request line.
  if (line.empty()) line = nextLine(rest);

  const auto firstSpace = line.find(' ');
  const auto lastSpace = line.rfind(' ');
  if (firstSpace == std::string_view::npos || firstSpace == lastSpace) return failure(400, "bad request line");
  const std::string_view method = line.substr(0, firstSpace);
  const std::string_view target = line.substr(firstSpace + 1, lastSpace - firstSpace - 1);
  const std::string_view version = line.substr(lastSpace + 1);
  if (!http::isToken(method)) return failure(400, "bad request method");
  if (target.size() > kMaxTargetBytes) return failure(414, "request target too long");
  if (target.empty() || target[0] != '/') return failure(400, "request target is not a path");
  for (const char c : target) {
    if (!isTargetChar(c)) return failure(400, "bad byte in request target");
  }
  if (version.size() != 8 || !version.starts_with("HTTP/")) return failure(400, "bad HTTP version");
  if (version[5] != '1' || version[6] != '.' || version[7] < '0' || version[7] > '9')
    return failure(505, "HTTP version not supported");

  RequestHead out;
  out.method = std::string(method);
  const auto question = target.find('?');
  out.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) out.query = std::string(target.substr(question + 1));
  out.minorVersion = version[7] - '0';

  while (!rest.empty()) {
    line = nextLine(rest);
    if (line.empty()) break;  // the end of the head
    if (line.front() == ' ' || line.front() == '\t') return failure(400, "obsolete header folding");
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return failure(400, "header field without a colon");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trimWhitespace(line.substr(colon + 1));
    if (!http::isToken(name)) return failure(400, "bad header field name");
    if (!http::isText(value)) return failure(400, "bad byte in header field value");
    out.headers.emplace_back(std::string(name), std::string(value));
  }
  return ParsedHead{std::move(out), {}};
}

std::optional<std::string_view> queryValue(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != key) continue;
    return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
  }
  return std::nullopt;
}

bool queryHas(std::string_view query, std::string_view key) {
  const auto value = queryValue(query, key);
  return value && *value != "0" && *value != "false";
}

}  // namespace lvscare::observe
