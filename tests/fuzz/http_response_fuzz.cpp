// libFuzzer target for the health prober's HTTP response parser: it reads bytes from any server
// we probe, so it must never crash, hang or read out of bounds, whatever arrives, however split.
// The first input byte chooses how the rest is cut into reads, as the socket would.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "health/http_response_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  lvscare::health::HttpResponseParser whole(1024);
  const auto wholeState = whole.feed(input);

  lvscare::health::HttpResponseParser pieces(1024);
  auto state = lvscare::health::HttpResponseParser::State::NeedMore;
  for (std::size_t at = 0; at < input.size(); at += chunk) state = pieces.feed(input.substr(at, chunk));

  // However the bytes are split, the outcome is the same.
  if (state != wholeState) std::abort();
  if (state == lvscare::health::HttpResponseParser::State::Done) {
    if (whole.status() < 100 || whole.status() > 599 || whole.status() != pieces.status()) std::abort();
    if (whole.consumed() > input.size() || whole.consumed() > 1024) std::abort();
    if (whole.headers() != pieces.headers()) std::abort();
  }
  return 0;
}
