#include "host/rtnl.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>

namespace lvscare::host {

Result<netlink::Socket> openRouteSocket() {
  auto socket = netlink::Socket::open(NETLINK_ROUTE);
  if (!socket) return socket;
  const int on = 1;
  (void)::setsockopt(socket->fd(), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &on, sizeof on);  // best effort, see header
  return socket;
}

}  // namespace lvscare::host
