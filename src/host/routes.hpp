// Route mode on the host: ensure, check and remove `<VIP>/32 via <node IP> metric 50` (IPv6:
// `<VIP>/128 dev <interface holding the node IP> src <node IP> metric 50`) in the main table, over
// an rtnetlink socket (host::openRouteSocket) the caller keeps open. Which routes count as ours,
// and why IPv6 differs, is defined in host/route_codec.hpp.
#pragma once

#include <optional>

#include "host/change.hpp"
#include "host/route_codec.hpp"
#include "netlink/socket.hpp"

namespace lvscare::host {

// Idempotent. Unchanged when our exact route is there; Replaced when a stale route of ours or
// LVScare's legacy route held our metric (swapped atomically, no moment without a route); Created
// otherwise. Errc::Exists when a foreign route to the VIP holds our metric (it is left alone).
// IPv6: the interface is looked up (interfaceHolding) only when the route must be written; when
// no interface holds the node IP, Errc::NotFound naming it and nothing is changed (the caller
// retries: the address may come later, e.g. while the node is still booting).
Result<Change> ensureRoute(netlink::Socket& rtnl, const RouteSpec& spec);

// True when exactly our route is there (for repair).
Result<bool> hasRoute(netlink::Socket& rtnl, const RouteSpec& spec);

// Removes every route of ours to the VIP (any gateway or metric) and, when the node IP is known,
// LVScare's legacy route. Foreign routes stay. Removed when something went, else Unchanged.
Result<Change> removeRoute(netlink::Socket& rtnl, const IpAddress& vip, const std::optional<IpAddress>& nodeIp);

// The index of the interface holding `address` (the lowest, if several do), from an address dump;
// Errc::NotFound when none does.
Result<int> interfaceHolding(netlink::Socket& rtnl, const IpAddress& address);

// Every route to the VIP in the main table (ours or not), for checks and diagnostics.
Result<std::vector<RouteInfo>> vipRoutes(netlink::Socket& rtnl, const IpAddress& vip);

}  // namespace lvscare::host
