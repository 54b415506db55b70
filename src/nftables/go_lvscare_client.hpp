// Reading and removing what Go LVScare's link mode left, over one NETLINK_NETFILTER socket: the
// iptables-nft tables `ip nat` / `ip filter` (go_lvscare.hpp decides what in them is LVScare's)
// and the ipset VIRTUAL-IP (ipset_codec.hpp).
#pragma once

#include <optional>
#include <string_view>

#include "netlink/socket.hpp"
#include "nftables/go_lvscare.hpp"
#include "nftables/ipset_codec.hpp"

namespace lvscare::nftables {

// The set Go LVScare's link mode creates.
inline constexpr std::string_view kGoLvscareSet = "VIRTUAL-IP";

class GoLvscareClient {
 public:
  // Opens a NETLINK_NETFILTER socket in the calling thread's network namespace.
  static Result<GoLvscareClient> open();

  // One table of family ip with its chains and rules; nullopt when there is no such table.
  Result<std::optional<IptablesTable>> readIptablesTable(std::string_view name);
  // Reads `ip nat` and `ip filter` and picks out LVScare's objects.
  Result<GoLvscareObjects> findObjects();
  // Deletes them in one transaction; Errc::Exists (nothing done) while a foreign rule jumps to
  // one of the chains.
  Result<void> removeObjects(const GoLvscareObjects& objects);

  // ipset. The kernel's protocol must be one we speak (Errc::Unsupported otherwise).
  Result<void> checkIpsetProtocol();
  Result<std::optional<ipset::SetHeader>> findSet(std::string_view name);
  // Errc::NotFound when absent; ipset::inUse(error) while a rule still uses it.
  Result<void> destroySet(std::string_view name);

 private:
  explicit GoLvscareClient(netlink::Socket socket) : socket_(std::move(socket)) {}
  netlink::Socket socket_;
};

}  // namespace lvscare::nftables
