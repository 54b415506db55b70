// Test support: what ipvsadm (a client we did not write) prints, parsed back into our model, so a
// test can demand that what we programmed is exactly what ipvsadm shows.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "lvscare/datapath.hpp"

namespace lvscare::testing {

struct IpvsTable {
  struct Service {
    VirtualServer server;
    std::map<Endpoint, RealServer> reals;
    bool operator==(const Service&) const = default;
  };
  std::map<ServiceKey, Service> services;

  bool operator==(const IpvsTable&) const = default;
  std::string toString() const;  // one line per service and real server, for failure messages
};

// `ipvsadm -S -n`: rules (no thresholds; ipvsadm does not save them).
Result<IpvsTable> parseIpvsadmSave(std::string_view text);
// `ipvsadm -L -n`: the listing (no thresholds either).
Result<IpvsTable> parseIpvsadmList(std::string_view text);
// `ipvsadm -L -n --thresholds`: sets upper/lower thresholds of the real servers already in `table`.
Result<void> mergeIpvsadmThresholds(std::string_view text, IpvsTable& table);
// `ipvsadm -L -n --timeout`: {tcp, tcpfin, udp}.
Result<std::array<std::uint32_t, 3>> parseIpvsadmTimeouts(std::string_view text);
// `ipvsadm -L -n --stats`: connections per real server.
Result<std::map<std::pair<ServiceKey, Endpoint>, std::uint64_t>> parseIpvsadmConnections(std::string_view text);

// Runs a shell command, returns its standard output; a non-zero exit is an error with its output.
Result<std::string> runCommand(const std::string& command);

}  // namespace lvscare::testing
