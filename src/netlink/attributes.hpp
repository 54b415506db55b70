// Checked parsing of netlink attributes. Every length is validated against what is really there:
// a truncated or overlong attribute is an error, never an out-of-bounds read.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lvscare/result.hpp"

namespace lvscare::netlink {

using Bytes = std::span<const std::uint8_t>;

struct Attribute {
  std::uint16_t type = 0;  // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
  Bytes payload;

  // Fixed-size reads demand the exact size; `name` goes into the error message.
  Result<std::uint8_t> u8(std::string_view name) const;
  Result<std::uint16_t> u16(std::string_view name) const;
  Result<std::uint32_t> u32(std::string_view name) const;
  Result<std::uint64_t> u64(std::string_view name) const;
  Result<std::uint16_t> be16(std::string_view name) const;
  Result<std::uint32_t> be32(std::string_view name) const;
  Result<std::uint64_t> be64(std::string_view name) const;
  // A NUL-terminated string that fits in the payload (trailing padding NULs allowed).
  Result<std::string> string(std::string_view name) const;
};

// Splits a run of attributes. Fails on a header that does not fit, a length below the header size or
// beyond the buffer. Trailing bytes shorter than an attribute header are an error too.
Result<std::vector<Attribute>> parseAttributes(Bytes buffer);

// Attributes indexed by type, for types 1..maxType (higher types are ignored, as newer kernels may
// add attributes). A repeated type keeps the last one, as the kernel's own nla_parse does.
class AttributeTable {
 public:
  static Result<AttributeTable> parse(Bytes buffer, std::uint16_t maxType);

  const Attribute* find(std::uint16_t type) const;
  bool has(std::uint16_t type) const { return find(type) != nullptr; }

  // "missing attribute <name>" when absent; otherwise the typed read.
  Result<Attribute> require(std::uint16_t type, std::string_view name) const;
  Result<std::uint8_t> requireU8(std::uint16_t type, std::string_view name) const;
  Result<std::uint16_t> requireU16(std::uint16_t type, std::string_view name) const;
  Result<std::uint32_t> requireU32(std::uint16_t type, std::string_view name) const;
  Result<std::uint64_t> requireU64(std::uint16_t type, std::string_view name) const;
  Result<std::uint16_t> requireBe16(std::uint16_t type, std::string_view name) const;
  Result<std::uint32_t> requireBe32(std::uint16_t type, std::string_view name) const;
  Result<std::string> requireString(std::uint16_t type, std::string_view name) const;
  Result<AttributeTable> requireNested(std::uint16_t type, std::uint16_t maxType, std::string_view name) const;

 private:
  std::vector<Attribute> byType_;  // index = type; payload.data() == nullptr when absent
  std::vector<bool> present_;
};

}  // namespace lvscare::netlink
