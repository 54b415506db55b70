#include "host/routes.hpp"

#include <algorithm>

#include "host/link_codec.hpp"

namespace lvscare::host {

namespace {

Result<std::vector<RouteInfo>> vipRoutesOf(netlink::Socket& rtnl, const IpAddress& vip, std::uint8_t protocol) {
  auto dump = rtnl.dump(buildRouteDump(vip.family, protocol));
  if (!dump) return passOn(dump, "list routes");
  std::vector<RouteInfo> routes;
  for (const auto& message : dump->messages) {
    auto route = parseRoute(message);
    if (!route) return passOn(route, "list routes");
    if (isVipRoute(*route, vip)) routes.push_back(*route);
  }
  return routes;
}

}  // namespace

Result<std::vector<RouteInfo>> vipRoutes(netlink::Socket& rtnl, const IpAddress& vip) {
  return vipRoutesOf(rtnl, vip, 0);
}

Result<int> interfaceHolding(netlink::Socket& rtnl, const IpAddress& address) {
  auto dump = rtnl.dump(buildAddressDump(address.family));
  if (!dump) return passOn(dump, "list addresses");
  int found = 0;
  for (const auto& message : dump->messages) {
    auto info = parseAddress(message);
    if (!info) return passOn(info, "list addresses");
    if (info->address == address && info->index > 0 && (found == 0 || info->index < found)) found = info->index;
  }
  if (found == 0) return fail(Errc::NotFound, "no interface holds " + address.toString());
  return found;
}

Result<Change> ensureRoute(netlink::Socket& rtnl, const RouteSpec& spec) {
  if (auto valid = spec.validate(); !valid) return passOn(valid);
  // The care loop calls this every tick: the common case (our route in place) is answered by the
  // filtered dump of our routes only; the whole table is read only when something must change.
  auto present = hasRoute(rtnl, spec);
  if (!present) return passOn(present);
  if (*present) return Change::Unchanged;
  auto routes = vipRoutes(rtnl, spec.vip);
  if (!routes) return passOn(routes);
  bool replace = false;
  for (const auto& route : *routes) {
    if (route.metric != spec.metric) continue;  // other metrics coexist with ours
    if (classifyRoute(route, spec.nodeIp) == RouteOwner::Foreign) {
      return fail(Errc::Exists, "cannot add route " + spec.toString() +
                                    ": a route that is not ours holds that metric (" + route.toString() +
                                    "); left alone");
    }
    replace = true;
  }
  RouteSpec wanted = spec;
  if (spec.vip.isV6() && !spec.local) {  // the local form leaves by lo
    auto index = interfaceHolding(rtnl, spec.nodeIp);
    if (!index && index.error().code == Errc::NotFound) {
      return fail(Errc::NotFound, "node IP " + spec.nodeIp.toString() +
                                      " is on no interface: IPv6 route mode sends the VIP's traffic out of the "
                                      "interface holding it, with it as source; no route set");
    }
    if (!index) return passOn(index, "find the interface of node IP " + spec.nodeIp.toString());
    wanted.outputInterface = *index;
  }
  if (auto added = rtnl.request(buildRouteAdd(wanted, replace)); !added) {
    return passOn(added, (replace ? "replace route " : "add route ") + wanted.toString());
  }
  return replace ? Change::Replaced : Change::Created;
}

Result<bool> hasRoute(netlink::Socket& rtnl, const RouteSpec& spec) {
  // Only ours matter here: on a strict socket the kernel sends just those, however big the table.
  auto routes = vipRoutesOf(rtnl, spec.vip, kRouteProtocol);
  if (!routes) return passOn(routes);
  return std::any_of(routes->begin(), routes->end(), [&](const RouteInfo& r) { return isExactRoute(r, spec); });
}

Result<Change> removeRoute(netlink::Socket& rtnl, const IpAddress& vip, const std::optional<IpAddress>& nodeIp) {
  auto routes = vipRoutes(rtnl, vip);
  if (!routes) return passOn(routes);
  Change change = Change::Unchanged;
  for (const auto& route : *routes) {
    if (classifyRoute(route, nodeIp) == RouteOwner::Foreign) continue;
    auto removed = rtnl.request(buildRouteDelete(route));
    // Gone already (a concurrent clean): that is what we wanted.
    if (!removed && removed.error().code != Errc::NotFound) {
      return passOn(removed, "delete route " + route.toString());
    }
    change = Change::Removed;
  }
  return change;
}

}  // namespace lvscare::host
