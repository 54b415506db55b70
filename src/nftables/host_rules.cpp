#include "nftables/host_rules.hpp"

#include <linux/netlink.h>

#include "nftables/client.hpp"
#include "nftables/lb_ruleset.hpp"
#include "nftables/ownership.hpp"

namespace lvscare::nftables {

Result<NftHostRules> NftHostRules::open() {
  auto socket = netlink::Socket::open(NETLINK_NETFILTER);
  if (!socket) return passOn(socket);
  return NftHostRules(std::move(*socket));
}

Result<std::optional<TableDump>> NftHostRules::readOurTable(std::uint8_t family, const std::string& name) {
  auto dump = readTable(socket_, family, name);
  if (!dump) return passOn(dump);
  if (*dump && !carriesOurMark((*dump)->table)) return fail(foreignTable((*dump)->table));
  return dump;
}

Result<void> NftHostRules::replaceTable(std::uint8_t family, const std::string& name, std::vector<Message> build,
                                        std::string_view what) {
  auto dump = readOurTable(family, name);
  if (!dump) return passOn(dump);
  // add (no error if present) + delete + create: a replace that cannot fail on "exists" or "absent".
  std::vector<Message> messages{newTable(TableSpec{family, name, {}, 0}), deleteTable(family, name)};
  for (auto& message : build) messages.push_back(std::move(message));
  return commit(socket_, messages, what);
}

Result<void> NftHostRules::removeTable(std::uint8_t family, const std::string& name, std::string_view what) {
  auto dump = readOurTable(family, name);
  if (!dump) return passOn(dump);
  if (!*dump) return fail(Errc::NotFound, "no table " + name);
  std::vector<Message> messages{deleteTable(family, name)};
  return commit(socket_, messages, what);
}

Result<void> NftHostRules::install(const MasqueradeSpec& spec) {
  auto valid = validateMasquerade(spec);
  if (!valid) return passOn(valid);
  return replaceTable(nfFamily(spec.vip.family), masqTableName(spec.vip), buildMasqTable(spec),
                      "install masquerade for " + spec.vip.toString());
}

Result<bool> NftHostRules::installed(const MasqueradeSpec& spec) {
  auto valid = validateMasquerade(spec);
  if (!valid) return passOn(valid);
  auto dump = readOurTable(nfFamily(spec.vip.family), masqTableName(spec.vip));
  if (!dump) return passOn(dump);
  if (!*dump) return false;
  auto decoded = decodeMasqTable((*dump)->table, (*dump)->rules);
  return decoded && *decoded == spec;
}

Result<void> NftHostRules::remove(const IpAddress& vip) {
  return removeTable(nfFamily(vip.family), masqTableName(vip), "remove masquerade for " + vip.toString());
}

Result<void> NftHostRules::installNatHook(const IpAddress& vip) {
  return replaceTable(nfFamily(vip.family), natHookTableName(vip), buildNatHookTable(vip),
                      "install the NAT hook for " + vip.toString());
}

Result<bool> NftHostRules::natHookInstalled(const IpAddress& vip) {
  const auto family = nfFamily(vip.family);
  const auto name = natHookTableName(vip);
  auto dump = readOurTable(family, name);
  if (!dump) return passOn(dump);
  if (!*dump) return false;
  auto chains = readChains(socket_, family, name);
  if (!chains) return passOn(chains);
  return isIntactNatHookTable(vip, (*dump)->table, *chains, (*dump)->rules);
}

Result<void> NftHostRules::removeNatHook(const IpAddress& vip) {
  return removeTable(nfFamily(vip.family), natHookTableName(vip), "remove the NAT hook for " + vip.toString());
}

}  // namespace lvscare::nftables
