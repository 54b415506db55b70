#include "nftables/client.hpp"

#include <linux/netfilter/nfnetlink.h>

namespace lvscare::nftables {

Result<std::vector<TableInfo>> readTables(netlink::Socket& socket, std::uint8_t family) {
  auto dump = socket.dump(dumpTables(family));
  if (!dump) return passOn(dump);
  std::vector<TableInfo> out;
  out.reserve(dump->messages.size());
  for (const auto& message : dump->messages) {
    auto table = parseTable(message);
    if (!table) return passOn(table);
    out.push_back(std::move(*table));
  }
  return out;
}

Result<TableDump> readRules(netlink::Socket& socket, TableInfo table) {
  TableDump out;
  auto dump = socket.dump(dumpRules(table.family, table.name));
  if (!dump) return passOn(dump);
  out.table = std::move(table);
  out.raw = std::move(*dump);
  out.rules.reserve(out.raw.messages.size());
  for (const auto& message : out.raw.messages) {
    auto rule = parseRule(message);
    if (!rule) return passOn(rule);
    out.rules.push_back(std::move(*rule));
  }
  return out;
}

Result<std::optional<TableDump>> readTable(netlink::Socket& socket, std::uint8_t family, std::string_view name) {
  std::optional<TableInfo> found;
  auto got = socket.request(getTable(family, name), [&](const netlink::MessageView& reply) -> Result<void> {
    auto table = parseTable(reply);
    if (!table) return passOn(table);
    found = std::move(*table);
    return {};
  });
  if (!got && got.error().code == Errc::NotFound) return std::optional<TableDump>{};
  if (!got) return passOn(got, "read table " + std::string(name));
  if (!found) return fail(Errc::Malformed, "no reply to the request for table " + std::string(name));
  auto dump = readRules(socket, std::move(*found));
  if (!dump) return passOn(dump);
  return std::optional<TableDump>(std::move(*dump));
}

Result<std::vector<ChainInfo>> readChains(netlink::Socket& socket, std::uint8_t family, std::string_view table) {
  auto dump = socket.dump(dumpChains(family, table));
  if (!dump) return passOn(dump, "read the chains of table " + std::string(table));
  std::vector<ChainInfo> out;
  for (const auto& message : dump->messages) {
    auto chain = parseChain(message);
    if (!chain) return passOn(chain);
    if (chain->table == table) out.push_back(std::move(*chain));  // the request's filter is the kernel's to honour
  }
  return out;
}

Result<void> commit(netlink::Socket& socket, std::vector<Message>& messages, std::string_view what) {
  if (messages.empty()) return {};
  const auto results = socket.batch(messages, NFNL_SUBSYS_NFTABLES);
  if (!results.front()) return passOn(results.front(), what);
  return {};
}

}  // namespace lvscare::nftables
