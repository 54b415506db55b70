// The rtnetlink socket the host functions (routes, dummy link) take. Open it once and keep it.
#pragma once

#include "netlink/socket.hpp"

namespace lvscare::host {

// NETLINK_ROUTE with strict checking of dump requests (NETLINK_GET_STRICT_CHK, Linux 4.20+): the
// kernel then filters route dumps by table and protocol and address dumps by link, so a repair
// check stays small on a node with thousands of routes. On older kernels the option is refused
// and the same dumps come unfiltered: every caller filters each entry itself, with the same result.
Result<netlink::Socket> openRouteSocket();

}  // namespace lvscare::host
