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

Result<void> NftHostRules::install(const MasqueradeSpec& spec) {
  auto valid = validateMasquerade(spec);
  if (!valid) return passOn(valid);
  const auto family = nfFamily(spec.vip.family);
  const auto name = masqTableName(spec.vip);
  auto dump = readTable(socket_, family, name);
  if (!dump) return passOn(dump);
  if (*dump && !carriesOurMark((*dump)->table)) return fail(foreignTable((*dump)->table));
  // add (no error if present) + delete + create: a replace that cannot fail on "exists" or "absent".
  std::vector<Message> messages{newTable(TableSpec{family, name, {}, 0}), deleteTable(family, name)};
  for (auto& message : buildMasqTable(spec)) messages.push_back(std::move(message));
  return commit(socket_, messages, "install masquerade for " + spec.vip.toString());
}

Result<bool> NftHostRules::installed(const MasqueradeSpec& spec) {
  auto valid = validateMasquerade(spec);
  if (!valid) return passOn(valid);
  auto dump = readTable(socket_, nfFamily(spec.vip.family), masqTableName(spec.vip));
  if (!dump) return passOn(dump);
  if (!*dump) return false;
  if (!carriesOurMark((*dump)->table)) return fail(foreignTable((*dump)->table));
  auto decoded = decodeMasqTable((*dump)->table, (*dump)->rules);
  return decoded && *decoded == spec;
}

Result<void> NftHostRules::remove(const IpAddress& vip) {
  auto dump = readTable(socket_, nfFamily(vip.family), masqTableName(vip));
  if (!dump) return passOn(dump);
  if (!*dump) return fail(Errc::NotFound, "no table " + masqTableName(vip));
  if (!carriesOurMark((*dump)->table)) return fail(foreignTable((*dump)->table));
  std::vector<Message> messages{deleteTable(nfFamily(vip.family), masqTableName(vip))};
  return commit(socket_, messages, "remove masquerade for " + vip.toString());
}

}  // namespace lvscare::nftables
