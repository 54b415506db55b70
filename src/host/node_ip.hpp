// The node IP (route mode's gateway; IPv6: the route's source), found as LVScare finds it: the
// --ip setting if given, else the /etc/hosts entry named lvscare.node.ip, else the environment variable
// LVSCARE_NODE_IP.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lvscare/endpoint.hpp"

namespace lvscare::host {

inline constexpr std::string_view kNodeIpHostname = "lvscare.node.ip";
inline constexpr const char* kNodeIpEnv = "LVSCARE_NODE_IP";

// Addresses of every hosts(5) line naming `hostname` (case-insensitive), in file order, as text.
std::vector<std::string> findHostsEntries(std::string_view hostsContent, std::string_view hostname);

struct NodeIpSources {
  std::string flag;      // the caller's own setting (lvscare's --ip); empty when not given
  std::string flagName;  // how messages name it: "--ip", "CARE_IP"
  std::string hostsFile = "/etc/hosts";
  // Reads an environment variable; empty: the process environment.
  std::function<std::optional<std::string>(const char* name)> getenv;
  // When set (the VIP's family), a hosts file with entries of both families yields the matching
  // one (dual-stack nodes); --ip and the environment must match it.
  std::optional<Family> family;
};

// std::nullopt when no source names a node IP (fine for -C and link mode). A source that names
// an invalid address, or one of the wrong family, is an error naming the source; a missing hosts
// file is simply no entry.
Result<std::optional<IpAddress>> lookupNodeIp(const NodeIpSources& sources);

// lookupNodeIp, with "none" an Errc::NotFound error that says how to give one (route mode).
Result<IpAddress> resolveNodeIp(const NodeIpSources& sources);

}  // namespace lvscare::host
