// Building netlink requests: header, family header, attributes (with nests), explicit byte order.
// Pure: no I/O. The socket stamps the sequence number when it sends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace lvscare::netlink {

// A finished request: its bytes, nlmsghdr first, nlmsg_len filled in.
struct Message {
  std::vector<std::uint8_t> bytes;

  std::uint16_t type() const;
  std::uint16_t flags() const;
  void setSequence(std::uint32_t seq);
  std::uint32_t sequence() const;
};

// One request of a query (Socket::query): a GET, answered by its one reply or by its error (no
// NLM_F_ACK is asked for: the answer says it all), or a dump, answered up to NLMSG_DONE.
struct Query {
  Message message;
  bool dump = false;
};

class MessageBuilder {
 public:
  MessageBuilder(std::uint16_t type, std::uint16_t flags);

  // Family headers, written right after nlmsghdr (call at most one, before any attribute).
  MessageBuilder& genlHeader(std::uint8_t command, std::uint8_t version);
  // nfgenmsg: family (NFPROTO_*), version NFNETLINK_V0, res_id in network byte order.
  MessageBuilder& nfgenHeader(std::uint8_t family, std::uint16_t resourceId);
  // Any fixed header struct (ifinfomsg, rtmsg, ifaddrmsg...), copied as is and padded to 4 bytes.
  MessageBuilder& rawHeader(std::span<const std::uint8_t> header);
  template <class T>
  MessageBuilder& header(const T& value) {
    return rawHeader(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(&value), sizeof value));
  }

  // Attributes. Host byte order unless the name says be (big-endian, network order).
  MessageBuilder& putU8(std::uint16_t type, std::uint8_t value);
  MessageBuilder& putU16(std::uint16_t type, std::uint16_t value);
  MessageBuilder& putU32(std::uint16_t type, std::uint32_t value);
  MessageBuilder& putU64(std::uint16_t type, std::uint64_t value);
  MessageBuilder& putBe16(std::uint16_t type, std::uint16_t value);
  MessageBuilder& putBe32(std::uint16_t type, std::uint32_t value);
  MessageBuilder& putBe64(std::uint16_t type, std::uint64_t value);
  MessageBuilder& putBytes(std::uint16_t type, std::span<const std::uint8_t> value);
  MessageBuilder& putString(std::uint16_t type, std::string_view value);  // NUL-terminated on the wire
  MessageBuilder& putFlag(std::uint16_t type);                            // zero-length attribute

  // Nested attributes: beginNested returns a token for endNested, which fixes the nest's length.
  // `markNested` sets NLA_F_NESTED (nftables wants it; IPVS's old policies accept either).
  std::size_t beginNested(std::uint16_t type, bool markNested = true);
  MessageBuilder& endNested(std::size_t token);

  std::size_t size() const { return bytes_.size(); }
  // False once an attribute or nest grew past netlink's 16-bit length: the caller must split the
  // request (e.g. nftables set elements across several messages) instead of sending it.
  bool fits() const { return fits_; }
  Message finish();  // moves the bytes out: the builder is empty afterwards

 private:
  void putAttribute(std::uint16_t type, const void* data, std::size_t length);
  std::vector<std::uint8_t> bytes_;
  bool fits_ = true;
};

}  // namespace lvscare::netlink
