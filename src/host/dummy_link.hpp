// Link mode on the host: a dummy interface (default `lvscare`) that is up and holds the VIP as a
// host address (/32, /128), over an rtnetlink socket the caller keeps open.
//
// Ownership rule: an interface of that name is ours to change only if its kind is "dummy". Any
// other kind (a veth, a NIC...) is never touched: ensure and remove fail with Errc::Foreign. On
// remove, the VIP goes, and the link itself only once it holds no other address (IPv6 link-local
// aside): another VIP on it (a second lvscare instance, an admin) keeps it alive.
#pragma once

#include <string>

#include "host/change.hpp"
#include "host/link_codec.hpp"
#include "host/module_loader.hpp"
#include "netlink/socket.hpp"

namespace lvscare::host {

struct DummyLinkSpec {
  std::string name = kDefaultInterface;
  IpAddress vip;
};

// Idempotent. Created when the link was made, Replaced when an existing one was brought up or
// given the VIP, Unchanged when all was in place. If the kernel does not know the dummy kind, the
// module is loaded with `loadModule` (when given) and the creation retried once; if it still does
// not, Errc::Unsupported "the kernel has no dummy link type".
Result<Change> ensureDummyLink(netlink::Socket& rtnl, const DummyLinkSpec& spec, const ModuleLoader& loadModule = {});

// True when the link exists, is a dummy, is up and holds the VIP (for repair).
Result<bool> hasDummyLink(netlink::Socket& rtnl, const DummyLinkSpec& spec);

// Removed when the VIP or the link went, Unchanged when neither was there.
Result<Change> removeDummyLink(netlink::Socket& rtnl, const DummyLinkSpec& spec);

// The link by name; Errc::NotFound when there is none.
Result<LinkInfo> findLink(netlink::Socket& rtnl, std::string_view name);
// Every address on one link, both families.
Result<std::vector<AddressInfo>> linkAddresses(netlink::Socket& rtnl, int index);

}  // namespace lvscare::host
