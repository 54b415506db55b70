// Feeds arbitrary bytes to the IPVS reply decoders, both as a stream of netlink messages and as one
// message's payload (so the decoders see inputs the splitter would have rejected). Any crash or
// out-of-bounds read is a bug; every failure must be a Result error.
#include <cstddef>
#include <cstdint>

#include "ipvs/ipvs_codec.hpp"
#include "netlink/reply.hpp"

namespace {

void decodeAll(const lvscare::netlink::MessageView& message) {
  using namespace lvscare::ipvs;
  (void)decodeService(message);
  (void)decodeDest(message, lvscare::Family::V4);
  (void)decodeDest(message, lvscare::Family::V6);
  (void)decodeTimeouts(message);
  (void)decodeInfo(message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lvscare::netlink;
  const Bytes input(data, size);
  if (auto messages = splitMessages(input)) {
    for (const auto& message : *messages) decodeAll(message);
  }
  MessageView raw;
  raw.payload = input;
  decodeAll(raw);
  return 0;
}
