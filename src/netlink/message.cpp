#include "netlink/message.hpp"

#include <endian.h>
#include <linux/genetlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <cstring>

namespace lvscare::netlink {
namespace {
constexpr std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

template <class T>
void writeAt(std::vector<std::uint8_t>& bytes, std::size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}
template <class T>
T readAt(const std::vector<std::uint8_t>& bytes, std::size_t offset) {
  T value{};
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}
}  // namespace

std::uint16_t Message::type() const { return readAt<std::uint16_t>(bytes, offsetof(nlmsghdr, nlmsg_type)); }
std::uint16_t Message::flags() const { return readAt<std::uint16_t>(bytes, offsetof(nlmsghdr, nlmsg_flags)); }
std::uint32_t Message::sequence() const { return readAt<std::uint32_t>(bytes, offsetof(nlmsghdr, nlmsg_seq)); }
void Message::setSequence(std::uint32_t seq) { writeAt(bytes, offsetof(nlmsghdr, nlmsg_seq), seq); }

MessageBuilder::MessageBuilder(std::uint16_t type, std::uint16_t flags) {
  bytes_.reserve(256);
  bytes_.resize(NLMSG_HDRLEN);
  nlmsghdr header{};
  header.nlmsg_type = type;
  header.nlmsg_flags = flags;
  std::memcpy(bytes_.data(), &header, sizeof header);
}

MessageBuilder& MessageBuilder::rawHeader(std::span<const std::uint8_t> header) {
  const std::size_t offset = bytes_.size();
  bytes_.resize(offset + align4(header.size()), 0);
  std::memcpy(bytes_.data() + offset, header.data(), header.size());
  return *this;
}

MessageBuilder& MessageBuilder::genlHeader(std::uint8_t command, std::uint8_t version) {
  genlmsghdr header{};
  header.cmd = command;
  header.version = version;
  return this->header(header);
}

MessageBuilder& MessageBuilder::nfgenHeader(std::uint8_t family, std::uint16_t resourceId) {
  nfgenmsg header{};
  header.nfgen_family = family;
  header.version = NFNETLINK_V0;
  header.res_id = htobe16(resourceId);
  return this->header(header);
}

void MessageBuilder::putAttribute(std::uint16_t type, const void* data, std::size_t length) {
  const std::size_t offset = bytes_.size();
  if (NLA_HDRLEN + length > 0xffff) fits_ = false;
  bytes_.resize(offset + NLA_HDRLEN + align4(length), 0);
  nlattr attribute{};
  attribute.nla_len = static_cast<std::uint16_t>(NLA_HDRLEN + length);
  attribute.nla_type = type;
  std::memcpy(bytes_.data() + offset, &attribute, sizeof attribute);
  if (length > 0) std::memcpy(bytes_.data() + offset + NLA_HDRLEN, data, length);
}

MessageBuilder& MessageBuilder::putU8(std::uint16_t type, std::uint8_t value) {
  putAttribute(type, &value, sizeof value);
  return *this;
}
MessageBuilder& MessageBuilder::putU16(std::uint16_t type, std::uint16_t value) {
  putAttribute(type, &value, sizeof value);
  return *this;
}
MessageBuilder& MessageBuilder::putU32(std::uint16_t type, std::uint32_t value) {
  putAttribute(type, &value, sizeof value);
  return *this;
}
MessageBuilder& MessageBuilder::putU64(std::uint16_t type, std::uint64_t value) {
  putAttribute(type, &value, sizeof value);
  return *this;
}
MessageBuilder& MessageBuilder::putBe16(std::uint16_t type, std::uint16_t value) {
  return putU16(type, htobe16(value));
}
MessageBuilder& MessageBuilder::putBe32(std::uint16_t type, std::uint32_t value) {
  return putU32(type, htobe32(value));
}
MessageBuilder& MessageBuilder::putBe64(std::uint16_t type, std::uint64_t value) {
  return putU64(type, htobe64(value));
}
MessageBuilder& MessageBuilder::putBytes(std::uint16_t type, std::span<const std::uint8_t> value) {
  putAttribute(type, value.data(), value.size());
  return *this;
}
MessageBuilder& MessageBuilder::putString(std::uint16_t type, std::string_view value) {
  std::vector<std::uint8_t> terminated(value.begin(), value.end());
  terminated.push_back(0);
  putAttribute(type, terminated.data(), terminated.size());
  return *this;
}
MessageBuilder& MessageBuilder::putFlag(std::uint16_t type) {
  putAttribute(type, nullptr, 0);
  return *this;
}

std::size_t MessageBuilder::beginNested(std::uint16_t type, bool markNested) {
  const std::size_t token = bytes_.size();
  putAttribute(static_cast<std::uint16_t>(markNested ? (type | NLA_F_NESTED) : type), nullptr, 0);
  return token;
}

MessageBuilder& MessageBuilder::endNested(std::size_t token) {
  if (bytes_.size() - token > 0xffff) fits_ = false;
  writeAt(bytes_, token + offsetof(nlattr, nla_len), static_cast<std::uint16_t>(bytes_.size() - token));
  return *this;
}

Message MessageBuilder::finish() {
  writeAt(bytes_, offsetof(nlmsghdr, nlmsg_len), static_cast<std::uint32_t>(bytes_.size()));
  return Message{std::move(bytes_)};
}

}  // namespace lvscare::netlink
