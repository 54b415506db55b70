#include "nftables/client.hpp"

#include <linux/netfilter/nfnetlink.h>

#include "nftables/try.hpp"

namespace lvscare::nftables {

Result<std::vector<TableInfo>> readTables(netlink::Socket& socket, std::uint8_t family) {
  NFT_TRY(dump, socket.dump(dumpTables(family)));
  std::vector<TableInfo> out;
  out.reserve(dump->messages.size());
  for (const auto& message : dump->messages) {
    NFT_TRY(table, parseTable(message));
    out.push_back(std::move(*table));
  }
  return out;
}

Result<TableDump> readRules(netlink::Socket& socket, TableInfo table) {
  TableDump out;
  NFT_TRY(dump, socket.dump(dumpRules(table.family, table.name)));
  out.table = std::move(table);
  out.raw = std::move(*dump);
  out.rules.reserve(out.raw.messages.size());
  for (const auto& message : out.raw.messages) {
    NFT_TRY(rule, parseRule(message));
    out.rules.push_back(std::move(*rule));
  }
  return out;
}

Result<std::optional<TableDump>> readTable(netlink::Socket& socket, std::uint8_t family, std::string_view name) {
  std::optional<TableInfo> found;
  auto got = socket.request(getTable(family, name), [&](const netlink::MessageView& reply) -> Result<void> {
    NFT_TRY(table, parseTable(reply));
    found = std::move(*table);
    return {};
  });
  if (!got && got.error().code == Errc::NotFound) return std::optional<TableDump>{};
  if (!got) return tl::unexpected(withContext(got.error(), "read table " + std::string(name)));
  if (!found) return fail(Errc::Malformed, "no reply to the request for table " + std::string(name));
  NFT_TRY(dump, readRules(socket, std::move(*found)));
  return std::optional<TableDump>(std::move(*dump));
}

Result<void> commit(netlink::Socket& socket, std::vector<Message>& messages, std::string_view what) {
  if (messages.empty()) return {};
  const auto results = socket.batch(messages, NFNL_SUBSYS_NFTABLES);
  if (!results.front()) return tl::unexpected(withContext(results.front().error(), what));
  return {};
}

}  // namespace lvscare::nftables
