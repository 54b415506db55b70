// Test support: a table built as batch messages, parsed back as if the kernel had dumped it.
#pragma once

#include <linux/netfilter/nf_tables.h>

#include <vector>

#include "nftables/objects.hpp"

namespace lvscare::nftables {

struct BuiltTable {
  std::vector<Message> messages;  // the parsed views point into these
  TableInfo table;
  std::vector<RuleInfo> rules;
};

inline BuiltTable parseBuilt(std::vector<Message> messages) {
  BuiltTable out;
  out.messages = std::move(messages);
  for (const auto& message : out.messages) {
    auto views = netlink::splitMessages(message.bytes);
    if (!views || views->size() != 1) continue;
    if (message.type() == nftType(NFT_MSG_NEWTABLE)) out.table = parseTable(views->front()).value();
    if (message.type() == nftType(NFT_MSG_NEWRULE)) out.rules.push_back(parseRule(views->front()).value());
  }
  return out;
}

}  // namespace lvscare::nftables
