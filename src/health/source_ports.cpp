#include "health/source_ports.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "lvscare/socket_address.hpp"

namespace lvscare::health {
namespace {

constexpr std::uint32_t kLastPort = 65535;

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\n") - first + 1);
}

std::optional<std::uint16_t> parsePort(std::string_view text) {
  std::uint32_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [at, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || at != end || text.empty() || value > kLastPort) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::optional<PortRange> parseRange(std::string_view text, std::string_view separator) {
  const auto split = text.find_first_of(separator);
  if (split == std::string_view::npos) {
    auto port = parsePort(text);
    if (!port) return std::nullopt;
    return PortRange{*port, *port};
  }
  auto first = parsePort(trim(text.substr(0, split)));
  auto last = parsePort(trim(text.substr(split + 1)));
  if (!first || !last || *last < *first) return std::nullopt;
  return PortRange{*first, *last};
}

std::optional<std::string> readSmallFile(const char* path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return std::nullopt;
  return text.str();
}

}  // namespace

std::optional<PortRange> parsePortRange(std::string_view text) {
  text = trim(text);
  if (text.find_first_of(" \t") == std::string_view::npos) return std::nullopt;  // two numbers
  return parseRange(text, " \t");
}

std::optional<std::vector<PortRange>> parsePortList(std::string_view text) {
  text = trim(text);
  std::vector<PortRange> ranges;
  while (!text.empty()) {
    const auto comma = text.find(',');
    auto range = parseRange(trim(text.substr(0, comma)), "-");
    if (!range) return std::nullopt;
    ranges.push_back(*range);
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
    if (text.empty()) return std::nullopt;  // a trailing comma
  }
  return ranges;
}

std::vector<PortRange> portsAbove(PortRange ephemeral, const std::vector<PortRange>& reserved) {
  std::vector<PortRange> free;
  // Walks up from just above the range, cutting out each reserved range in turn (they may come in
  // any order and overlap, so each step takes the lowest reserved range above `next`).
  std::uint32_t next = std::uint32_t{ephemeral.last} + 1;
  while (next <= kLastPort) {
    std::uint32_t blockFirst = kLastPort + 1, blockLast = 0;
    for (const auto& range : reserved) {
      if (range.last >= next && range.first < blockFirst) blockFirst = range.first, blockLast = range.last;
    }
    if (blockFirst > next) {
      const std::uint32_t end = std::min(blockFirst - 1, kLastPort);
      free.push_back({static_cast<std::uint16_t>(next), static_cast<std::uint16_t>(end)});
      next = end + 1;
    } else {
      next = blockLast + 1;
    }
  }
  return free;
}

SourcePorts::SourcePorts(std::vector<PortRange> ports) : ports_(std::move(ports)) {
  for (const auto& range : ports_) count_ += std::size_t{range.last} - range.first + 1;
}

std::shared_ptr<const SourcePorts> SourcePorts::ofThisNamespace() {
  const auto rangeText = readSmallFile("/proc/sys/net/ipv4/ip_local_port_range");
  const auto reservedText = readSmallFile("/proc/sys/net/ipv4/ip_local_reserved_ports");
  const auto range = rangeText ? parsePortRange(*rangeText) : std::nullopt;
  const auto reserved = reservedText ? parsePortList(*reservedText) : std::vector<PortRange>{};
  if (!range || !reserved) return std::make_shared<const SourcePorts>();
  return std::make_shared<const SourcePorts>(portsAbove(*range, *reserved));
}

std::uint16_t SourcePorts::at(std::size_t index) const {
  index %= count_;
  for (const auto& range : ports_) {
    const std::size_t size = std::size_t{range.last} - range.first + 1;
    if (index < size) return static_cast<std::uint16_t>(range.first + index);
    index -= size;
  }
  return ports_.front().first;  // not reached: index < count_
}

PortCursor::PortCursor() : next_(std::random_device{}()) {}

StartedConnect startConnect(const Endpoint& target, const SourcePorts* ports, PortCursor& cursor,
                            const std::function<void(int fd)>& configure, int attempts) {
  sockaddr_storage remote;
  const socklen_t remoteLength = toSockaddr(target, remote);
  bool ownPort = ports != nullptr && ports->count() > 0;
  for (int attempt = 0;; ++attempt) {
    if (attempt >= attempts) ownPort = false;  // the last try: the kernel's choice
    UniqueFd fd(::socket(target.address.af(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return {UniqueFd(), errno};
    if (configure) configure(fd.get());
    if (ownPort) {
      const int on = 1;
      (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
      sockaddr_storage local;
      const socklen_t localLength =
          toSockaddr(Endpoint{IpAddress{target.address.family, {}}, ports->at(cursor.take())}, local);
      if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), localLength) != 0) {
        // Held by a listener (EADDRINUSE): the next port. Refused for another reason (a security
        // policy on binding): the kernel's choice from now on.
        if (errno != EADDRINUSE) ownPort = false;
        continue;
      }
    }
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&remote), remoteLength) == 0) return {std::move(fd), 0};
    const int error = errno;
    // EADDRNOTAVAIL: this port and server are taken (a connection of ours, or its TIME_WAIT).
    if (ownPort && error == EADDRNOTAVAIL) continue;
    return {std::move(fd), error};
  }
}

}  // namespace lvscare::health
