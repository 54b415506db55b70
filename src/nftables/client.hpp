// The few kernel round trips the nftables layer makes, over one NETLINK_NETFILTER socket: read
// tables and their rules, commit a transaction. Shared by NftDatapath and NftHostRules.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "netlink/socket.hpp"
#include "nftables/objects.hpp"

namespace lvscare::nftables {

struct TableDump {
  TableInfo table;
  std::vector<RuleInfo> rules;
  netlink::Dump raw;  // the buffers `rules` point into
};

// Every table of `family` (NFPROTO_UNSPEC: all families).
Result<std::vector<TableInfo>> readTables(netlink::Socket& socket, std::uint8_t family);
// The rules of one table, in chain order.
Result<TableDump> readRules(netlink::Socket& socket, TableInfo table);
// One table and its rules; std::nullopt when the kernel has no such table.
Result<std::optional<TableDump>> readTable(netlink::Socket& socket, std::uint8_t family, std::string_view name);
// The chains of one table.
Result<std::vector<ChainInfo>> readChains(netlink::Socket& socket, std::uint8_t family, std::string_view table);
// One nfnetlink transaction: all of `messages` or none. The first failure, with `what` as context.
Result<void> commit(netlink::Socket& socket, std::vector<Message>& messages, std::string_view what);

}  // namespace lvscare::nftables
