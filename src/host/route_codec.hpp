// rtnetlink route messages for route mode, in the main table. Pure: builds requests and decodes
// dump entries, no I/O. The route makes the VIP's traffic leave with the node's address:
//   IPv4: `<VIP>/32 via <node IP> metric 50`, exactly LVScare's route (the kernel accepts a local
//         gateway and sends by the interface holding it, with the node IP as source);
//   IPv6: `<VIP>/128 dev <interface holding the node IP> src <node IP> metric 50`. The same route
//         written for IPv6: the kernel refuses a local address as an IPv6 gateway ("Gateway can
//         not be a local address", ip6_validate_gw), so the interface and the preferred source are
//         named instead (it requires the source to be an address on that interface, and clears it
//         from the route when the address goes).
//   local: `local <VIP> dev lo src <node IP> metric 50` (RouteSpec::local), either family, for IPVS
//         with a real server on this host (see RouteSpec::local).
//
// Ownership rule. Our routes carry rtm_protocol kRouteProtocol (76, unused by iproute2's
// rt_protos and the kernel's RTPROT_* list; `ip route` shows it as "proto 76"), so -C and repair
// recognise them without remembering anything. A route to the VIP in the main table is
//   - Ours:    protocol 76, whatever its gateway or metric (a stale route of ours, e.g. after the
//              node IP changed, is still ours to replace or remove);
//   - Legacy:  protocol boot (what Go LVScare's netlink library and a plain `ip route add` write),
//              gateway == our node IP and metric 50: exactly the route LVScare makes (IPv4; its
//              IPv6 form is refused by the kernel when the node IP is local). It is adopted
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
  IpAddress nodeIp;  // IPv4: the gateway; IPv6: the preferred source
  std::uint32_t metric = kRouteMetric;
  // IPv6 only: the index of the interface holding nodeIp, which the route leaves by. ensureRoute
  // finds it; 0 means not known (then isExactRoute accepts any interface: the kernel only lets
  // the source be an address of the route's own interface).
  int outputInterface = 0;
  // `local <VIP> dev lo src <node IP>` instead of the forms above: the VIP is delivered locally
  // while connections to it still leave with the node IP as source. IPVS needs this for real
  // servers on this host (127.0.0.1): for a local destination it keeps the packet's original route
  // (ip_vs_xmit.c: "skb to local stack, preserve old route"), so behind the `via` route the
  // rewritten packet goes out of the node IP's link instead of to lo and never arrives.
  bool local = false;

  // The local form without a preferred source, for link mode on a kernel without the dummy link
  // type: `local <VIP> dev lo metric 50` makes the VIP an address of this host just as the dummy
  // link's address would (same route type, and the VIP is its own source), with no interface of
  // ours to create. nodeIp holds the VIP itself there.
  static RouteSpec localVip(const IpAddress& vip);
  // The preferred source the route carries: the node IP, or none in the localVip form.
  std::optional<IpAddress> source() const;

  // Both addresses of one family.
  Result<void> validate() const;
  // "10.103.97.12/32 via 192.168.0.2 metric 50", "fd00::1/128 src fd00:1::2 metric 50" (with
  // " dev #<index>" after the prefix once the interface is known),
  // "local 169.254.0.1/32 dev lo src 10.0.0.1 metric 50", "local 169.254.0.1/32 dev lo metric 50".
  std::string toString() const;
};

// One route from a dump, as far as route mode cares.
struct RouteInfo {
  Family family = Family::V4;
  IpAddress destination;  // all zero for a default route
  std::uint8_t prefixLength = 0;
  std::uint32_t table = 0;
  std::uint8_t protocol = 0;
  std::uint8_t type = 0;
  std::uint8_t scope = 0;                    // RT_SCOPE_UNIVERSE; host for local routes
  std::optional<IpAddress> gateway;          // absent for device or multipath routes
  std::optional<IpAddress> preferredSource;  // RTA_PREFSRC
  std::uint32_t metric = 0;
  int outputInterface = 0;

  // For error messages: "10.0.0.1/32 via 192.168.0.9 metric 50 proto 4 table 254",
  // "fd00::1/128 dev #3 src fd00:1::2 metric 50 proto 76 table 254".
  std::string toString() const;
};

enum class RouteOwner { Ours, Legacy, Foreign };

// Requests. The dump asks for the main table's routes of one family, only those of `protocol`
// when it is not 0. The kernel applies that filter only on a socket with strict checking (see
// host/rtnl.hpp), so the caller still filters each entry with isVipRoute.
netlink::Message buildRouteDump(Family family, std::uint8_t protocol = 0);
// The loopback device's index: the same in every network namespace (the kernel's LOOPBACK_IFINDEX).
inline constexpr int kLoopbackIfindex = 1;

// RTM_NEWROUTE for our route; `replace` sets NLM_F_REPLACE (swap a stale or legacy route in place),
// otherwise NLM_F_EXCL so the kernel refuses to stack on an existing route at our metric. IPv6
// needs spec.outputInterface set (RTA_OIF + RTA_PREFSRC instead of RTA_GATEWAY).
netlink::Message buildRouteAdd(const RouteSpec& spec, bool replace);
// RTM_DELROUTE naming `route` exactly (destination, gateway, interface, metric, protocol, table), so
// the kernel can only delete that route and never another one to the same prefix.
netlink::Message buildRouteDelete(const RouteInfo& route);

// Decodes one RTM_NEWROUTE dump message.
Result<RouteInfo> parseRoute(const netlink::MessageView& message);

// A host route (any type) to `vip` in the main table.
bool isVipRoute(const RouteInfo& route, const IpAddress& vip);
// Only meaningful for routes that pass isVipRoute. `nodeIp` may be unknown (clean without --ip):
// then nothing is Legacy.
RouteOwner classifyRoute(const RouteInfo& route, const std::optional<IpAddress>& nodeIp);
// Ours, in the spec's shape (IPv4: its gateway; IPv6: no gateway, its source, its interface when
// known; local: type local on lo with its source) and at its metric: nothing to repair.
bool isExactRoute(const RouteInfo& route, const RouteSpec& spec);

}  // namespace lvscare::host
