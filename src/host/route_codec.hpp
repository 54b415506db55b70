// rtnetlink route messages for route mode: `<VIP>/32 via <node IP> metric 50` (IPv6: /128) in the
// main table. Pure: builds requests and decodes dump entries, no I/O.
//
// Ownership rule. Our routes carry rtm_protocol kRouteProtocol (76, unused by iproute2's
// rt_protos and the kernel's RTPROT_* list; `ip route` shows it as "proto 76"), so -C and repair
// recognise them without remembering anything. A route to the VIP in the main table is
//   - Ours:    protocol 76, whatever its gateway or metric (a stale route of ours, e.g. after the
//              node IP changed, is still ours to replace or remove);
//   - Legacy:  protocol boot (what Go LVScare's netlink library and a plain `ip route add` write),
//              gateway == our node IP and metric 50: exactly the route LVScare makes. It is adopted
//              (replaced by ours, atomically) on ensure and removed on clean, so we are a drop-in;
//   - Foreign: anything else. Never replaced or removed; if it sits at our metric, ensure fails
//              with Errc::Exists instead of taking it over.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "lvscare/endpoint.hpp"
#include "netlink/message.hpp"
#include "netlink/reply.hpp"

namespace lvscare::host {

inline constexpr std::uint8_t kRouteProtocol = 76;
inline constexpr std::uint32_t kRouteMetric = 50;

struct RouteSpec {
  IpAddress vip;
  IpAddress gateway;  // the node IP
  std::uint32_t metric = kRouteMetric;

  // Both addresses of one family.
  Result<void> validate() const;
  std::string toString() const;  // "10.103.97.12/32 via 192.168.0.2 metric 50"
};

// One route from a dump, as far as route mode cares.
struct RouteInfo {
  Family family = Family::V4;
  IpAddress destination;  // all zero for a default route
  std::uint8_t prefixLength = 0;
  std::uint32_t table = 0;
  std::uint8_t protocol = 0;
  std::uint8_t type = 0;
  std::optional<IpAddress> gateway;  // absent for device or multipath routes
  std::uint32_t metric = 0;
  int outputInterface = 0;

  std::string toString() const;  // for error messages: "10.0.0.1/32 via 192.168.0.9 metric 50 proto 4"
};

enum class RouteOwner { Ours, Legacy, Foreign };

// Requests. The dump asks for the main table's routes of one family, only those of `protocol`
// when it is not 0. The kernel applies that filter only on a socket with strict checking (see
// host/rtnl.hpp), so the caller still filters each entry with isVipRoute.
netlink::Message buildRouteDump(Family family, std::uint8_t protocol = 0);
// RTM_NEWROUTE for our route; `replace` sets NLM_F_REPLACE (swap a stale or legacy route in place),
// otherwise NLM_F_EXCL so the kernel refuses to stack on an existing route at our metric.
netlink::Message buildRouteAdd(const RouteSpec& spec, bool replace);
// RTM_DELROUTE naming `route` exactly (destination, gateway, metric, protocol, table), so the kernel
// can only delete that route and never another one to the same prefix.
netlink::Message buildRouteDelete(const RouteInfo& route);

// Decodes one RTM_NEWROUTE dump message.
Result<RouteInfo> parseRoute(const netlink::MessageView& message);

// A host route (any type) to `vip` in the main table.
bool isVipRoute(const RouteInfo& route, const IpAddress& vip);
// Only meaningful for routes that pass isVipRoute. `nodeIp` may be unknown (clean without --ip):
// then nothing is Legacy.
RouteOwner classifyRoute(const RouteInfo& route, const std::optional<IpAddress>& nodeIp);
// Ours, with the spec's gateway and metric: nothing to repair.
bool isExactRoute(const RouteInfo& route, const RouteSpec& spec);

}  // namespace lvscare::host
