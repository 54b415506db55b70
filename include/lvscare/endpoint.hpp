// IP addresses and host:port endpoints, parsed strictly: every bad string gets one clear message.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "lvscare/result.hpp"

namespace lvscare {

enum class Family : std::uint8_t { V4 = 4, V6 = 6 };

struct IpAddress {
  Family family = Family::V4;
  // Network byte order. IPv4 uses the first 4 bytes, the rest stay zero (the IPVS wire format
  // carries 16 bytes for both families, zero-padded).
  std::array<std::uint8_t, 16> bytes{};

  static Result<IpAddress> parse(std::string_view text);
  static IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d);

  bool isV4() const { return family == Family::V4; }
  bool isV6() const { return family == Family::V6; }
  bool isLoopback() const;
  bool isUnspecified() const;        // 0.0.0.0, ::
  bool isMulticast() const;          // 224.0.0.0/4, ff00::/8
  bool isLimitedBroadcast() const;   // 255.255.255.255
  bool isV4Mapped() const;           // ::ffff:a.b.c.d, an IPv4 address written as IPv6
  std::size_t size() const { return isV4() ? 4 : 16; }
  int af() const;  // AF_INET or AF_INET6
  unsigned prefixBits() const { return isV4() ? 32 : 128; }
  std::string toString() const;

  auto operator<=>(const IpAddress&) const = default;
};

struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;

  // "1.2.3.4:6443" or "[fd00::1]:6443". Port 1..65535; no host names.
  static Result<Endpoint> parse(std::string_view text);
  // "1.2.3.4:6443" or "[fd00::1]:6443".
  std::string toString() const;

  auto operator<=>(const Endpoint&) const = default;
};

}  // namespace lvscare
