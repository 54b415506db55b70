// NftHostRules: installs, checks and removes the per-VIP masquerade table link mode needs
// (masq_ruleset.hpp), over nfnetlink. Used with either datapath; the care loop's host setup calls it.
#pragma once

#include <memory>

#include "netlink/socket.hpp"
#include "nftables/masq_ruleset.hpp"

namespace lvscare::nftables {

class NftHostRules {
 public:
  // Opens a NETLINK_NETFILTER socket in the calling thread's network namespace.
  static Result<NftHostRules> open();

  // Tables named like ours without our mark are never touched: Errc::Foreign (ownership.hpp).
  // Creates or replaces the VIP's masquerade table in one transaction (idempotent).
  Result<void> install(const MasqueradeSpec& spec);
  // True when the VIP's table is there, intact, and uses spec.markBit; false when it is absent or
  // damaged (install() then replaces it). Two round trips: cheap enough for every reconcile.
  Result<bool> installed(const MasqueradeSpec& spec);
  // Deletes the VIP's table; Errc::NotFound when there is none. Never touches another table.
  Result<void> remove(const IpAddress& vip);

 private:
  explicit NftHostRules(netlink::Socket socket) : socket_(std::move(socket)) {}
  netlink::Socket socket_;
};

}  // namespace lvscare::nftables
