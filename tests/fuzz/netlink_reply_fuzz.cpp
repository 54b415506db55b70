// Feeds arbitrary bytes to the netlink reply parsers: splitting, ACK/extack decoding, attribute
// tables, generic netlink family replies. Any crash or out-of-bounds read is a bug.
#include <cstddef>
#include <cstdint>

#include "netlink/attributes.hpp"
#include "netlink/genl.hpp"
#include "netlink/reply.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lvscare::netlink;
  const Bytes input(data, size);
  if (auto messages = splitMessages(input)) {
    for (const auto& message : *messages) {
      (void)parseAck(message);
      (void)parseFamilyReply(message);
      if (auto table = AttributeTable::parse(message.payload, 16)) {
        for (std::uint16_t type = 1; type <= 16; ++type) {
          (void)table->requireString(type, "s");
          (void)table->requireU32(type, "u");
          (void)table->requireNested(type, 8, "n");
        }
      }
    }
  }
  (void)parseAttributes(input);
  return 0;
}
