#include "health/http_response_parser.hpp"

#include <cstdio>

#include "health/http_syntax.hpp"

namespace lvscare::health {
namespace {

using http::equalsIgnoreCase;
using http::isText;

constexpr std::string_view kPrefix = "HTTP/";

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// A short, printable excerpt of untrusted bytes for an error message.
std::string excerpt(std::string_view bytes) {
  constexpr std::size_t kMax = 32;
  std::string out = "'";
  for (char c : bytes.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\'' && c != '\\') {
      out += c;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    }
  }
  out += bytes.size() > kMax ? "'..." : "'";
  return out;
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

void HttpResponseParser::reset() { *this = HttpResponseParser(max_); }

HttpResponseParser::State HttpResponseParser::failWith(std::string message) {
  error_ = std::move(message);
  state_ = State::Error;
  return state_;
}

HttpResponseParser::State HttpResponseParser::feed(std::string_view bytes) {
  while (state_ == State::NeedMore && !bytes.empty()) {
    const auto newline = bytes.find('\n');
    const std::size_t take = newline == std::string_view::npos ? bytes.size() : newline + 1;
    if (consumed_ + take > max_) return failWith("response header block over " + std::to_string(max_) + " bytes");
    consumed_ += take;
    line_.append(bytes.substr(0, newline == std::string_view::npos ? take : newline));
    bytes.remove_prefix(take);
    if (newline == std::string_view::npos) {
      // Something that is not HTTP (a TLS alert, an SSH banner) fails now rather than at the timeout.
      const std::size_t n = std::min(line_.size(), kPrefix.size());
      if (!inHeaders_ && std::string_view(line_).substr(0, n) != kPrefix.substr(0, n)) {
        return failWith("not an HTTP response: " + excerpt(line_));
      }
      break;
    }
    std::string_view line = line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    state_ = parseLine(line);
    line_.clear();
  }
  return state_;
}

HttpResponseParser::State HttpResponseParser::parseLine(std::string_view line) {
  if (!inHeaders_) return parseStatusLine(line);
  if (!line.empty()) return parseHeaderLine(line);
  // End of a header block. 101 is final (the connection would switch protocols); other 1xx are
  // interim and a final response follows.
  if (status_ < 200 && status_ != 101) {
    inHeaders_ = false;
    headers_.clear();
    return State::NeedMore;
  }
  return State::Done;
}

HttpResponseParser::State HttpResponseParser::parseStatusLine(std::string_view line) {
  // "HTTP/1.1 200" is 12 bytes; the reason phrase after it is optional, its space too.
  const bool shapeOk = line.size() >= 12 && line.substr(0, 7) == "HTTP/1." && isDigit(line[7]) && line[8] == ' ' &&
                       isDigit(line[9]) && isDigit(line[10]) && isDigit(line[11]) &&
                       (line.size() == 12 || line[12] == ' ');
  if (!shapeOk) {
    const bool http = line.substr(0, kPrefix.size()) == kPrefix;
    return failWith((http ? "bad status line " : "not an HTTP response: ") + excerpt(line));
  }
  const std::string_view reason = line.size() > 12 ? line.substr(13) : std::string_view();
  if (!isText(reason)) return failWith("control byte in status line " + excerpt(line));
  const int status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (status < 100 || status > 599) return failWith("status " + std::to_string(status) + " out of range 100-599");
  status_ = status;
  minor_ = line[7] - '0';
  reason_.assign(reason);
  inHeaders_ = true;
  return State::NeedMore;
}

HttpResponseParser::State HttpResponseParser::parseHeaderLine(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') return failWith("obsolete header line folding " + excerpt(line));
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return failWith("header line without ':' " + excerpt(line));
  const std::string_view name = line.substr(0, colon);
  if (!http::isToken(name)) {
    return failWith("bad header name " + excerpt(line));
  }
  const std::string_view value = trimOws(line.substr(colon + 1));
  if (!isText(value)) return failWith("control byte in header " + excerpt(line));
  headers_.emplace_back(std::string(name), std::string(value));
  return State::NeedMore;
}

std::string_view HttpResponseParser::header(std::string_view name) const {
  for (const auto& [key, value] : headers_) {
    if (equalsIgnoreCase(key, name)) return value;
  }
  return {};
}

}  // namespace lvscare::health
