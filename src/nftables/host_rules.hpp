// NftHostRules: installs, checks and removes the per-VIP tables of ours that serve the host rather
// than a datapath, over nfnetlink: the masquerade table link mode needs (masq_ruleset.hpp), used
// with either datapath, and the NAT hook that tracked IPVS connections need (nat_hook_ruleset.hpp).
// The care loop's host setup calls it.
#pragma once

#include <memory>

#include "netlink/socket.hpp"
#include "nftables/client.hpp"
#include "nftables/masq_ruleset.hpp"
#include "nftables/nat_hook_ruleset.hpp"

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

  // The same three for the VIP's NAT hook table.
  Result<void> installNatHook(const IpAddress& vip);
  Result<bool> natHookInstalled(const IpAddress& vip);
  Result<void> removeNatHook(const IpAddress& vip);

 private:
  // Table `name` and its rules, std::nullopt when absent; Errc::Foreign when it is not ours.
  Result<std::optional<TableDump>> readOurTable(std::uint8_t family, const std::string& name);
  // Creates or replaces table `name` with `build` in one transaction, unless a table of that name
  // is not ours.
  Result<void> replaceTable(std::uint8_t family, const std::string& name, std::vector<Message> build,
                            std::string_view what);
  Result<void> removeTable(std::uint8_t family, const std::string& name, std::string_view what);

  explicit NftHostRules(netlink::Socket socket) : socket_(std::move(socket)) {}
  netlink::Socket socket_;
};

}  // namespace lvscare::nftables
