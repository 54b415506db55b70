// Shared by the kube-apiserver stand-in (tests/support/apiserver_standin.cpp) and the client load
// generator (bench/vip_load_client.cpp): flag values (durations, addresses), clocks and the one-line
// exit on bad input. Header only: both are small programs outside the product's layers.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace lvscare::standin {

// One line, exit 2: the project's rule for bad input.
[[noreturn]] inline void usageError(const char* program, const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", program, what.c_str());
  std::exit(2);
}

// "1500ms", "2s", "1.5s", "0": milliseconds, at most an hour (every wait here is bounded).
inline std::optional<std::int64_t> parseMillis(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double scale = 1000;
  if (text.ends_with("ms")) {
    scale = 1;
    text.remove_suffix(2);
  } else if (text.ends_with('s')) {
    text.remove_suffix(1);
  }
  std::string number(text);
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !(value >= 0) || value * scale > 3'600'000) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(value * scale);
}

inline std::optional<long> parseCount(std::string_view text, long max) {
  std::string number(text);
  char* end = nullptr;
  const long value = std::strtol(number.c_str(), &end, 10);
  if (number.empty() || end != number.c_str() + number.size() || value < 0 || value > max) return std::nullopt;
  return value;
}

// An IPv4 or IPv6 address with a port: "10.0.0.1:443", "[fd00::1]:443".
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
};

inline std::optional<SocketAddress> parseAddress(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string host(text.substr(0, colon));
  const auto port = parseCount(text.substr(colon + 1), 65535);
  if (!port) return std::nullopt;
  SocketAddress address;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<std::uint16_t>(*port));
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &in6->sin6_addr) != 1) return std::nullopt;
    address.length = sizeof(sockaddr_in6);
    return address;
  }
  auto* in = reinterpret_cast<sockaddr_in*>(&address.storage);
  in->sin_family = AF_INET;
  in->sin_port = htons(static_cast<std::uint16_t>(*port));
  if (inet_pton(AF_INET, host.c_str(), &in->sin_addr) != 1) return std::nullopt;
  address.length = sizeof(sockaddr_in);
  return address;
}

inline std::int64_t epochMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using SteadyClock = std::chrono::steady_clock;

}  // namespace lvscare::standin
