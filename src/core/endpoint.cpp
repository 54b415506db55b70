#include "lvscare/endpoint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "lvscare/socket_address.hpp"

namespace lvscare {

IpAddress IpAddress::v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  IpAddress ip;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty()) return fail(Errc::InvalidArgument, "empty IP address");
  if (text.size() >= INET6_ADDRSTRLEN)
    return fail(Errc::InvalidArgument, "'" + std::string(text) + "' is not an IP address");
  const std::string copy(text);  // inet_pton needs a terminated string
  IpAddress ip;
  if (copy.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, copy.c_str(), ip.bytes.data()) == 1) return ip;
  } else if (inet_pton(AF_INET6, copy.c_str(), ip.bytes.data()) == 1) {
    ip.family = Family::V6;
    return ip;
  }
  return fail(Errc::InvalidArgument, "'" + copy + "' is not an IP address");
}

bool IpAddress::isLoopback() const {
  if (isV4()) return bytes[0] == 127;
  static constexpr std::array<std::uint8_t, 16> kLoopback6{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return bytes == kLoopback6;
}

bool IpAddress::isUnspecified() const {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

bool IpAddress::isMulticast() const { return isV4() ? (bytes[0] & 0xf0) == 0xe0 : bytes[0] == 0xff; }

bool IpAddress::isLimitedBroadcast() const {
  return isV4() && bytes[0] == 255 && bytes[1] == 255 && bytes[2] == 255 && bytes[3] == 255;
}

bool IpAddress::isV4Mapped() const {
  if (isV4()) return false;
  return std::all_of(bytes.begin(), bytes.begin() + 10, [](std::uint8_t b) { return b == 0; }) && bytes[10] == 0xff &&
         bytes[11] == 0xff;
}

int IpAddress::af() const { return isV4() ? AF_INET : AF_INET6; }

std::string IpAddress::toString() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(af(), bytes.data(), buffer, sizeof buffer);
  return buffer;
}

Result<Endpoint> Endpoint::parse(std::string_view text) {
  // Built by appending: GCC 12's -Wrestrict misfires on `"'" + std::string(...)` at -O2 and above.
  std::string quoted(1, '\'');
  quoted.append(text).push_back('\'');
  std::string_view host;
  std::string_view port;
  if (text.empty()) return fail(Errc::InvalidArgument, "empty address, want host:port");
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos)
      return fail(Errc::InvalidArgument, quoted + ": missing ']' after IPv6 address");
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':')
      return fail(Errc::InvalidArgument, quoted + ": missing port, want [addr]:port");
    port = rest.substr(1);
    if (host.find(':') == std::string_view::npos)
      return fail(Errc::InvalidArgument, quoted + ": brackets are only for IPv6 addresses");
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail(Errc::InvalidArgument, quoted + ": missing port, want host:port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return fail(Errc::InvalidArgument, quoted + ": an IPv6 address needs brackets, as [addr]:port");
    }
  }
  auto address = IpAddress::parse(host);
  if (!address) return fail(Errc::InvalidArgument, quoted + ": " + address.error().message);
  if (port.empty()) return fail(Errc::InvalidArgument, quoted + ": missing port");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || port.front() == '+') {
    return fail(Errc::InvalidArgument, quoted + ": port '" + std::string(port) + "' is not a number");
  }
  if (value == 0 || value > 65535) {
    return fail(Errc::InvalidArgument, quoted + ": port " + std::string(port) + " is out of range 1-65535");
  }
  return Endpoint{*address, static_cast<std::uint16_t>(value)};
}

std::string Endpoint::toString() const {
  std::string text =
      address.isV6() ? std::string(1, '[').append(address.toString()).append("]:") : address.toString().append(1, ':');
  return text.append(std::to_string(port));
}

socklen_t toSockaddr(const Endpoint& endpoint, sockaddr_storage& storage) {
  std::memset(&storage, 0, sizeof storage);
  if (endpoint.address.isV4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(endpoint.port);
    std::memcpy(&in->sin_addr, endpoint.address.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(endpoint.port);
  std::memcpy(&in6->sin6_addr, endpoint.address.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

}  // namespace lvscare
