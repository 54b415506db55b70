#include "netlink/attributes.hpp"

#include <endian.h>
#include <linux/netlink.h>

#include <cstring>

namespace lvscare::netlink {
namespace {

template <class T>
Result<T> readExact(const Attribute& attribute, std::string_view name) {
  if (attribute.payload.size() != sizeof(T)) {
    return fail(Errc::Malformed, "attribute " + std::string(name) + " has " + std::to_string(attribute.payload.size()) +
                                     " bytes, want " + std::to_string(sizeof(T)));
  }
  T value{};
  std::memcpy(&value, attribute.payload.data(), sizeof value);
  return value;
}

Error missing(std::string_view name) { return Error{Errc::Malformed, 0, "missing attribute " + std::string(name)}; }

}  // namespace

Result<std::uint8_t> Attribute::u8(std::string_view name) const { return readExact<std::uint8_t>(*this, name); }
Result<std::uint16_t> Attribute::u16(std::string_view name) const { return readExact<std::uint16_t>(*this, name); }
Result<std::uint32_t> Attribute::u32(std::string_view name) const { return readExact<std::uint32_t>(*this, name); }
Result<std::uint64_t> Attribute::u64(std::string_view name) const { return readExact<std::uint64_t>(*this, name); }
Result<std::uint16_t> Attribute::be16(std::string_view name) const {
  return readExact<std::uint16_t>(*this, name).map([](std::uint16_t v) { return be16toh(v); });
}
Result<std::uint32_t> Attribute::be32(std::string_view name) const {
  return readExact<std::uint32_t>(*this, name).map([](std::uint32_t v) { return be32toh(v); });
}
Result<std::uint64_t> Attribute::be64(std::string_view name) const {
  return readExact<std::uint64_t>(*this, name).map([](std::uint64_t v) { return be64toh(v); });
}

Result<std::string> Attribute::string(std::string_view name) const {
  const auto* begin = reinterpret_cast<const char*>(payload.data());
  const auto* nul = static_cast<const char*>(std::memchr(begin, 0, payload.size()));
  if (nul == nullptr) return fail(Errc::Malformed, "attribute " + std::string(name) + " is not NUL-terminated");
  return std::string(begin, nul);
}

Result<std::vector<Attribute>> parseAttributes(Bytes buffer) {
  std::vector<Attribute> out;
  std::size_t offset = 0;
  while (offset < buffer.size()) {
    const std::size_t left = buffer.size() - offset;
    if (left < NLA_HDRLEN) {
      return fail(Errc::Malformed, "truncated attribute header: " + std::to_string(left) + " bytes left");
    }
    nlattr header{};
    std::memcpy(&header, buffer.data() + offset, sizeof header);
    if (header.nla_len < NLA_HDRLEN) {
      return fail(Errc::Malformed, "attribute length " + std::to_string(header.nla_len) + " is below its header size");
    }
    if (header.nla_len > left) {
      return fail(Errc::Malformed, "attribute type " + std::to_string(header.nla_type & NLA_TYPE_MASK) + " claims " +
                                       std::to_string(header.nla_len) + " bytes, only " + std::to_string(left) +
                                       " left");
    }
    out.push_back(Attribute{static_cast<std::uint16_t>(header.nla_type & NLA_TYPE_MASK),
                            buffer.subspan(offset + NLA_HDRLEN, header.nla_len - NLA_HDRLEN)});
    // The last attribute's padding may be cut off by the end of the enclosing message or nest.
    offset += std::min<std::size_t>(NLA_ALIGN(header.nla_len), left);
  }
  return out;
}

Result<AttributeTable> AttributeTable::parse(Bytes buffer, std::uint16_t maxType) {
  auto attributes = parseAttributes(buffer);
  if (!attributes) return passOn(attributes);
  AttributeTable table;
  table.byType_.resize(std::size_t{maxType} + 1);
  table.present_.resize(std::size_t{maxType} + 1, false);
  for (const auto& attribute : *attributes) {
    if (attribute.type == 0 || attribute.type > maxType) continue;
    table.byType_[attribute.type] = attribute;
    table.present_[attribute.type] = true;
  }
  return table;
}

const Attribute* AttributeTable::find(std::uint16_t type) const {
  if (type >= present_.size() || !present_[type]) return nullptr;
  return &byType_[type];
}

Result<Attribute> AttributeTable::require(std::uint16_t type, std::string_view name) const {
  if (const auto* attribute = find(type)) return *attribute;
  return fail(missing(name));
}

Result<std::uint8_t> AttributeTable::requireU8(std::uint16_t type, std::string_view name) const {
  return require(type, name).and_then([&](const Attribute& a) { return a.u8(name); });
}
Result<std::uint16_t> AttributeTable::requireU16(std::uint16_t type, std::string_view name) const {
  return require(type, name).and_then([&](const Attribute& a) { return a.u16(name); });
}
Result<std::uint32_t> AttributeTable::requireU32(std::uint16_t type, std::string_view name) const {
  return require(type, name).and_then([&](const Attribute& a) { return a.u32(name); });
}
Result<std::uint64_t> AttributeTable::requireU64(std::uint16_t type, std::string_view name) const {
  return require(type, name).and_then([&](const Attribute& a) { return a.u64(name); });
}
Result<std::uint16_t> AttributeTable::requireBe16(std::uint16_t type, std::string_view name) const {
  return require(type, name).and_then([&](const Attribute& a) { return a.be16(name); });
}
Result<std::uint32_t> AttributeTable::requireBe32(std::uint16_t type, std::string_view name) const {
  return require(type, name).and_then([&](const Attribute& a) { return a.be32(name); });
}
Result<std::string> AttributeTable::requireString(std::uint16_t type, std::string_view name) const {
  return require(type, name).and_then([&](const Attribute& a) { return a.string(name); });
}
Result<AttributeTable> AttributeTable::requireNested(std::uint16_t type, std::uint16_t maxType,
                                                     std::string_view name) const {
  auto attribute = require(type, name);
  if (!attribute) return passOn(attribute);
  auto table = parse(attribute->payload, maxType);
  if (!table) return passOn(table, "in " + std::string(name));
  return table;
}

}  // namespace lvscare::netlink
