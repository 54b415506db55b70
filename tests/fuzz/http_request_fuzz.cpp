// libFuzzer target for the metrics endpoint's request parser: anyone who can connect to the
// endpoint chooses these bytes, so finding the head and parsing it must never crash, hang or read
// out of bounds. The first input byte chooses how the rest arrives in reads, as the server sees it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "observe/http_request_head.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lvscare::observe;
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  const auto whole = findHeadEnd(input);
  // Resuming the search after each read finds the same end as one scan of everything.
  std::string buffer;
  std::optional<std::size_t> pieces;
  for (std::size_t at = 0; at < input.size() && !pieces; at += chunk) {
    const std::size_t before = buffer.size();
    buffer.append(input.substr(at, chunk));
    pieces = findHeadEnd(buffer, before);
  }
  if (whole != pieces) std::abort();
  if (!whole) return 0;
  if (*whole > input.size() || *whole < 2 || input[*whole - 1] != '\n') std::abort();

  const ParsedHead parsed = parseRequestHead(input.substr(0, *whole));
  if (parsed.head) {
    if (parsed.head->path.empty() || parsed.head->path[0] != '/') std::abort();
    if (parsed.head->path.size() + parsed.head->query.size() > kMaxTargetBytes) std::abort();
    if (parsed.head->minorVersion < 0 || parsed.head->minorVersion > 9) std::abort();
    for (const char c : parsed.head->path)
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) std::abort();
    (void)queryHas(parsed.head->query, "verbose");
    (void)queryValue(parsed.head->query, "format");
  } else if (parsed.error.status < 400 || parsed.error.status > 599 || parsed.error.reason.empty()) {
    std::abort();
  }
  return 0;
}
