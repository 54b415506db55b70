// Source ports for lvscare's own connections to real servers (checks, canaries, confirming
// connects), taken from above the kernel's ephemeral range so that they never share a port with a
// client's connection through the VIP.
//
// Why: IPVS knows a connection through the VIP by its client's address and port and its real
// server's. A client on the node that connects to the VIP from port P, while lvscare holds a
// connection of its own from P to the same real server (a canary lives for hours), gets a
// connection that IPVS and conntrack cannot tell from lvscare's: its handshake never completes and
// the client times out (reproduced in the test VM, and seen as random timeouts in the failover
// benchmark). The kernel gives clients ports inside net.ipv4.ip_local_port_range only, so ports
// above it rule the collision out. Ports the admin reserved (ip_local_reserved_ports) are skipped,
// and so is any port a socket already holds (bind fails: a listener keeps its port). Our sockets
// set SO_REUSEADDR, so a server that starts later on such a port still binds it if it sets
// SO_REUSEADDR too (most servers do); one that does not fails while a canary (or a check's
// TIME_WAIT) holds that very port: its port belongs in ip_local_reserved_ports. The sysctls are
// read when a prober factory or a canary watch is made (at start). When nothing is free above the
// range (it ends at 65535, or all is reserved) the kernel chooses, as before.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "lvscare/endpoint.hpp"
#include "lvscare/unique_fd.hpp"

namespace lvscare::health {

struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;  // inclusive
  bool operator==(const PortRange&) const = default;
};

// "32768\t60999\n", as /proc/sys/net/ipv4/ip_local_port_range reads; nullopt when malformed.
std::optional<PortRange> parsePortRange(std::string_view text);
// "" or "8080,9000-9100\n", as /proc/sys/net/ipv4/ip_local_reserved_ports reads; nullopt when malformed.
std::optional<std::vector<PortRange>> parsePortList(std::string_view text);
// The ports above `ephemeral` that are not `reserved`, in ascending ranges.
std::vector<PortRange> portsAbove(PortRange ephemeral, const std::vector<PortRange>& reserved);

class SourcePorts {
 public:
  explicit SourcePorts(std::vector<PortRange> ports = {});
  // From this network namespace's sysctls; empty (the kernel chooses) when they cannot be read.
  static std::shared_ptr<const SourcePorts> ofThisNamespace();

  std::size_t count() const { return count_; }
  std::uint16_t at(std::size_t index) const;  // index modulo count(); count() must not be 0

 private:
  std::vector<PortRange> ports_;
  std::size_t count_ = 0;
};

// Where one caller (one prober, one canary) is in the ports: each goes round on its own, from a
// random start, so that a port comes back to the same server only after all the others (a closed
// connection's TIME_WAIT blocks the same ports and server for a minute).
class PortCursor {
 public:
  PortCursor();  // a random start
  explicit PortCursor(std::size_t start) : next_(start) {}
  std::size_t take() { return next_++; }

 private:
  std::size_t next_;
};

// A non-blocking TCP connect to `target` started from one of `ports` (the kernel's choice when
// there are none, or when `attempts` ports in a row are taken). `configure` sets options on the
// socket before it connects. error: 0 connected, EINPROGRESS, or the errno of socket() or connect().
struct StartedConnect {
  UniqueFd fd;
  int error = 0;
};
StartedConnect startConnect(const Endpoint& target, const SourcePorts* ports, PortCursor& cursor,
                            const std::function<void(int fd)>& configure = {}, int attempts = 8);

}  // namespace lvscare::health
