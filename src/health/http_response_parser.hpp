// The narrow HTTP/1.x response parser of the health prober: status line and header fields only,
// fed incrementally as bytes arrive. Pure (no I/O), so it is unit-tested and fuzzed on its own.
//
// Accepted: "HTTP/1.<d> <3 digits>[ <reason>]" then header fields "name: value", lines ending in
// CRLF or a bare LF (RFC 9112 2.2 lets a recipient accept LF), up to an empty line. Interim 1xx
// responses (except 101) are skipped, as RFC 9110 15.2 asks of a client. Rejected: any other
// version, a status outside 100..599, header folding, a name that is not a token, control bytes,
// and a header block larger than the cap. The body is never read: the prober closes after it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lvscare::health {

class HttpResponseParser {
 public:
  enum class State : std::uint8_t { NeedMore, Done, Error };

  static constexpr std::size_t kDefaultMaxHeaderBytes = 16 * 1024;

  explicit HttpResponseParser(std::size_t maxHeaderBytes = kDefaultMaxHeaderBytes) : max_(maxHeaderBytes) {}

  // Consumes the next bytes of the response. After Done or Error, further input is ignored.
  State feed(std::string_view bytes);
  State state() const { return state_; }
  void reset();

  // Valid once Done.
  int status() const { return status_; }
  int minorVersion() const { return minor_; }
  const std::string& reason() const { return reason_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  // First value of a header, matched case-insensitively; empty when absent.
  std::string_view header(std::string_view name) const;

  // Why parsing failed, one line ("bad status line", "header block over 16384 bytes", ...).
  const std::string& error() const { return error_; }
  // Bytes consumed across all responses, the skipped 1xx ones included.
  std::size_t consumed() const { return consumed_; }

 private:
  State parseLine(std::string_view line);
  State parseStatusLine(std::string_view line);
  State parseHeaderLine(std::string_view line);
  State failWith(std::string message);

  std::size_t max_;
  State state_ = State::NeedMore;
  bool inHeaders_ = false;  // false: the next line is a status line
  std::string line_;        // the unfinished line so far
  std::size_t consumed_ = 0;
  int status_ = 0;
  int minor_ = 0;
  std::string reason_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string error_;
};

}  // namespace lvscare::health
