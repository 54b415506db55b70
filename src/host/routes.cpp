#include "host/routes.hpp"

#include <algorithm>

namespace lvscare::host {

namespace {

Result<std::vector<RouteInfo>> vipRoutesOf(netlink::Socket& rtnl, const IpAddress& vip, std::uint8_t protocol) {
  auto dump = rtnl.dump(buildRouteDump(vip.family, protocol));
  if (!dump) return tl::unexpected(withContext(dump.error(), "list routes"));
  std::vector<RouteInfo> routes;
  for (const auto& message : dump->messages) {
    auto route = parseRoute(message);
    if (!route) return tl::unexpected(withContext(route.error(), "list routes"));
    if (isVipRoute(*route, vip)) routes.push_back(*route);
  }
  return routes;
}

}  // namespace

Result<std::vector<RouteInfo>> vipRoutes(netlink::Socket& rtnl, const IpAddress& vip) { return vipRoutesOf(rtnl, vip, 0); }

Result<Change> ensureRoute(netlink::Socket& rtnl, const RouteSpec& spec) {
  if (auto valid = spec.validate(); !valid) return tl::unexpected(valid.error());
  auto routes = vipRoutes(rtnl, spec.vip);
  if (!routes) return tl::unexpected(routes.error());
  if (std::any_of(routes->begin(), routes->end(), [&](const RouteInfo& r) { return isExactRoute(r, spec); })) {
    return Change::Unchanged;
  }
  bool replace = false;
  for (const auto& route : *routes) {
    if (route.metric != spec.metric) continue;  // other metrics coexist with ours
    if (classifyRoute(route, spec.gateway) == RouteOwner::Foreign) {
      return fail(Errc::Exists, "cannot add route " + spec.toString() + ": a route that is not ours holds that metric (" +
                                    route.toString() + "); left alone");
    }
    replace = true;
  }
  if (auto added = rtnl.request(buildRouteAdd(spec, replace)); !added) {
    return tl::unexpected(withContext(added.error(), (replace ? "replace route " : "add route ") + spec.toString()));
  }
  return replace ? Change::Replaced : Change::Created;
}

Result<bool> hasRoute(netlink::Socket& rtnl, const RouteSpec& spec) {
  // Only ours matter here: on a strict socket the kernel sends just those, however big the table.
  auto routes = vipRoutesOf(rtnl, spec.vip, kRouteProtocol);
  if (!routes) return tl::unexpected(routes.error());
  return std::any_of(routes->begin(), routes->end(), [&](const RouteInfo& r) { return isExactRoute(r, spec); });
}

Result<Change> removeRoute(netlink::Socket& rtnl, const IpAddress& vip, const std::optional<IpAddress>& nodeIp) {
  auto routes = vipRoutes(rtnl, vip);
  if (!routes) return tl::unexpected(routes.error());
  Change change = Change::Unchanged;
  for (const auto& route : *routes) {
    if (classifyRoute(route, nodeIp) == RouteOwner::Foreign) continue;
    auto removed = rtnl.request(buildRouteDelete(route));
    // Gone already (a concurrent clean): that is what we wanted.
    if (!removed && removed.error().code != Errc::NotFound) {
      return tl::unexpected(withContext(removed.error(), "delete route " + route.toString()));
    }
    change = Change::Removed;
  }
  return change;
}

}  // namespace lvscare::host
