// The host setup each mode keeps in place (route, link, none) and what -C removes, composed from
// the parts in host_parts.hpp. Each part owns what it uses (the masquerade its netfilter socket);
// the rtnetlink socket is shared and must outlive them.
#pragma once

#include <memory>

#include "care/datapath_choice.hpp"
#include "care/host_setup.hpp"
#include "host/module_loader.hpp"
#include "lvscare/care.hpp"
#include "netlink/socket.hpp"

namespace lvscare::care {

// IPVS connections are tracked by conntrack only with this set: link mode's masquerade rule needs
// it to match them, and passive detection to see them (run.cpp).
inline constexpr const char* kVsConntrack = "net.ipv4.vs.conntrack";

// Whether the host setup includes the NAT hook (nftables/nat_hook_ruleset.hpp): IPVS connections
// tracked for passive detection, and no NAT of ours otherwise registered.
bool needsNatHook(const CareConfig& config, DatapathKind datapath);

// What the care loop keeps in place for config.mode, with the datapath it programs (IPVS needs a
// local route for real servers on this host in route mode, and conntrack in link mode), with the
// NAT hook where needsNatHook says.
Result<std::unique_ptr<HostSetup>> makeHostSetup(const CareConfig& config, netlink::Socket& rtnl, DatapathKind datapath,
                                                 const ModuleLoader& loader);

// -C: everything of ours for the VIP whatever the mode it ran in: the route, the dummy link's
// address (and the link when nothing else is on it), the masquerade table (when the kernel has
// nf_tables), the NAT hook table. Its remove() is what cleans.
Result<std::unique_ptr<HostSetup>> makeCleanup(const CareConfig& config, netlink::Socket& rtnl);

}  // namespace lvscare::care
