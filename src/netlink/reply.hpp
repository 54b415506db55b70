// Splitting a received buffer into netlink messages and decoding ACKs / errors. Pure and checked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netlink/attributes.hpp"

namespace lvscare::netlink {

struct MessageView {
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::uint32_t sequence = 0;
  std::uint32_t portId = 0;
  Bytes payload;  // after nlmsghdr
};

// Fails on a header that does not fit, a length below the header or beyond the buffer.
Result<std::vector<MessageView>> splitMessages(Bytes buffer);

// An NLMSG_ERROR message (an ACK when error == 0) or the status carried by NLMSG_DONE.
struct Ack {
  int error = 0;              // 0 or a negative errno, as the kernel sends it
  std::string extackMessage;  // NLMSGERR_ATTR_MSG, when the kernel gave one
  std::uint32_t extackOffset = 0;
};
Result<Ack> parseAck(const MessageView& message);

// An Error for a failed ACK: code from errno, message "<strerror>: <extack text>".
Error errorFromAck(const Ack& ack);

// The payload after a generic netlink header (genlmsghdr), or after nfgenmsg for nfnetlink.
Result<Bytes> skipHeader(const MessageView& message, std::size_t headerSize, std::string_view what);

}  // namespace lvscare::netlink
