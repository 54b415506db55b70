#include "netlink/reply.hpp"

#include <linux/netlink.h>

#include <cstring>

namespace lvscare::netlink {

Result<std::vector<MessageView>> splitMessages(Bytes buffer) {
  std::vector<MessageView> out;
  std::size_t offset = 0;
  while (offset < buffer.size()) {
    const std::size_t left = buffer.size() - offset;
    if (left < NLMSG_HDRLEN)
      return fail(Errc::Malformed, "truncated netlink header: " + std::to_string(left) + " bytes left");
    nlmsghdr header{};
    std::memcpy(&header, buffer.data() + offset, sizeof header);
    if (header.nlmsg_len < NLMSG_HDRLEN) {
      return fail(Errc::Malformed,
                  "netlink message length " + std::to_string(header.nlmsg_len) + " is below its header size");
    }
    if (header.nlmsg_len > left) {
      return fail(Errc::Malformed, "netlink message claims " + std::to_string(header.nlmsg_len) + " bytes, only " +
                                       std::to_string(left) + " left");
    }
    out.push_back(MessageView{header.nlmsg_type, header.nlmsg_flags, header.nlmsg_seq, header.nlmsg_pid,
                              buffer.subspan(offset + NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN)});
    offset += std::min<std::size_t>(NLMSG_ALIGN(header.nlmsg_len), left);
  }
  return out;
}

Result<Ack> parseAck(const MessageView& message) {
  Ack ack;
  if (message.type == NLMSG_DONE) {
    // A dump's end carries an int status (0, or a negative errno) and, since 4.19, ext-ack TLVs.
    if (message.payload.size() >= sizeof(int)) std::memcpy(&ack.error, message.payload.data(), sizeof(int));
    if (message.payload.size() > sizeof(int) && (message.flags & NLM_F_ACK_TLVS)) {
      auto tlvs = AttributeTable::parse(message.payload.subspan(sizeof(int)), NLMSGERR_ATTR_MAX);
      if (tlvs) {
        if (const auto* text = tlvs->find(NLMSGERR_ATTR_MSG))
          ack.extackMessage = text->string("extack message").value_or("");
      }
    }
    return ack;
  }
  if (message.type != NLMSG_ERROR)
    return fail(Errc::Malformed, "not an error message: type " + std::to_string(message.type));
  if (message.payload.size() < sizeof(nlmsgerr)) {
    return fail(Errc::Malformed, "truncated netlink error: " + std::to_string(message.payload.size()) + " bytes");
  }
  nlmsgerr error{};
  std::memcpy(&error, message.payload.data(), sizeof error);
  ack.error = error.error;
  if (!(message.flags & NLM_F_ACK_TLVS)) return ack;
  // The echoed request follows: only its header when capped, else the whole of it.
  std::size_t echoed = sizeof error;
  if (!(message.flags & NLM_F_CAPPED)) {
    if (error.msg.nlmsg_len < NLMSG_HDRLEN) return fail(Errc::Malformed, "netlink error echoes a bad request header");
    echoed = sizeof(error.error) + NLMSG_ALIGN(error.msg.nlmsg_len);
  }
  if (echoed > message.payload.size()) return fail(Errc::Malformed, "netlink error echo runs past the message");
  auto tlvs = AttributeTable::parse(message.payload.subspan(echoed), NLMSGERR_ATTR_MAX);
  if (!tlvs) return passOn(tlvs, "extended ack");
  if (const auto* text = tlvs->find(NLMSGERR_ATTR_MSG)) {
    auto value = text->string("extack message");
    if (!value) return passOn(value);
    ack.extackMessage = *value;
  }
  if (const auto* offset = tlvs->find(NLMSGERR_ATTR_OFFS)) ack.extackOffset = offset->u32("extack offset").value_or(0);
  return ack;
}

Error errorFromAck(const Ack& ack) {
  const int err = -ack.error;
  std::string message = std::strerror(err);
  if (!ack.extackMessage.empty()) message += ": " + ack.extackMessage;
  return Error{errcFromErrno(err), err, std::move(message)};
}

Result<Bytes> skipHeader(const MessageView& message, std::size_t headerSize, std::string_view what) {
  const std::size_t aligned = NLMSG_ALIGN(headerSize);
  if (message.payload.size() < aligned) {
    return fail(Errc::Malformed,
                "truncated " + std::string(what) + " header: " + std::to_string(message.payload.size()) + " bytes");
  }
  return message.payload.subspan(aligned);
}

}  // namespace lvscare::netlink
