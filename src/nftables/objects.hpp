// nftables objects over nfnetlink: requests for tables, chains, sets, set elements and rules, and
// checked decoding of the kernel's replies. Pure: messages in, messages out.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netlink/message.hpp"
#include "netlink/reply.hpp"
#include "nftables/expressions.hpp"

namespace lvscare::nftables {

using netlink::Message;
using netlink::MessageView;

// nfnetlink message type of an NFT_MSG_* command.
std::uint16_t nftType(std::uint16_t command);

// ---- tables ----
struct TableSpec {
  std::uint8_t family = 0;  // NFPROTO_IPV4, NFPROTO_IPV6, ...
  std::string name;
  std::string comment;      // empty: none
  std::uint32_t flags = 0;  // NFT_TABLE_F_*
};
// NLM_F_CREATE without NLM_F_EXCL: no error when the table exists, so "add + delete" deletes a
// table whether or not it is there, inside one transaction and on every kernel.
Message newTable(const TableSpec& table, bool exclusive = false);
Message deleteTable(std::uint8_t family, std::string_view name);
Message getTable(std::uint8_t family, std::string_view name);
Message dumpTables(std::uint8_t family);  // NFPROTO_UNSPEC: every family

struct TableInfo {
  std::uint8_t family = 0;
  std::string name;
  std::uint32_t flags = 0;
  std::uint64_t handle = 0;
  std::optional<std::string> comment;
};
Result<TableInfo> parseTable(const MessageView& message);

// ---- chains ----
struct BaseChain {
  std::uint32_t hook = 0;       // NF_INET_PRE_ROUTING ...
  std::int32_t priority = 0;    // e.g. -100 for dstnat
  std::string type = "filter";  // filter, nat, route
  std::uint32_t policy = 1;     // NF_ACCEPT
};
struct ChainSpec {
  std::uint8_t family = 0;
  std::string table;
  std::string name;
  std::optional<BaseChain> base;
  std::string comment;
};
Message newChain(const ChainSpec& chain);
Message deleteChain(std::uint8_t family, std::string_view table, std::string_view name);
Message dumpChains(std::uint8_t family, std::string_view table);

struct ChainInfo {
  std::uint8_t family = 0;
  std::string table;
  std::string name;
  std::optional<BaseChain> base;
  std::optional<std::string> comment;
};
Result<ChainInfo> parseChain(const MessageView& message);

// ---- sets and maps ----
struct SetSpec {
  std::uint8_t family = 0;
  std::string table;
  std::string name;                       // "__map%d" for an anonymous map: the kernel fills in the number
  std::uint32_t id = 1;                   // ties a rule's lookup to the set inside one transaction
  std::uint32_t flags = 0;                // NFT_SET_*
  std::uint32_t keyType = 0;              // nft's datatype number (4 = integer), for `nft list`
  std::uint32_t keyLength = 0;            // bytes
  std::optional<std::uint32_t> dataType;  // maps: NFT_DATA_VERDICT or a datatype
  std::uint32_t dataLength = 0;
  std::optional<std::uint32_t> sizeHint;  // NFTA_SET_DESC_SIZE
  bool keyHostOrder = false;              // userdata telling nft the key's byte order
};
Message newSet(const SetSpec& set);

struct SetElement {
  ByteVector key;
  std::optional<Verdict> verdict;  // verdict maps
  ByteVector data;                 // data maps
  std::uint32_t flags = 0;         // NFT_SET_ELEM_INTERVAL_END
  bool operator==(const SetElement&) const = default;
};
// One or more NEWSETELEM messages (split so no nest outgrows netlink's 64 KiB attribute limit).
std::vector<Message> newSetElements(std::uint8_t family, std::string_view table, std::string_view set,
                                    std::uint32_t setId, std::span<const SetElement> elements);
// DELSETELEM without elements: empties the set.
Message flushSet(std::uint8_t family, std::string_view table, std::string_view set);
Message dumpSetElements(std::uint8_t family, std::string_view table, std::string_view set);
Result<std::vector<SetElement>> parseSetElements(const MessageView& message);

// ---- rules ----
// `expressions` writes the rule body; `comment` becomes the rule's userdata (shown by nft).
Message newRule(std::uint8_t family, std::string_view table, std::string_view chain,
                const std::function<void(ExpressionList&)>& expressions, std::string_view comment = {});
// DELRULE of one rule, by its handle.
Message deleteRule(std::uint8_t family, std::string_view table, std::string_view chain, std::uint64_t handle);
// DELRULE without a handle: deletes every rule of the chain.
Message flushChain(std::uint8_t family, std::string_view table, std::string_view chain);
Message dumpRules(std::uint8_t family, std::string_view table);  // empty table: every rule

struct RuleInfo {
  std::uint8_t family = 0;
  std::string table;
  std::string chain;
  std::uint64_t handle = 0;
  std::vector<Expression> expressions;  // point into the message they were parsed from
  std::optional<std::string> comment;
};
Result<RuleInfo> parseRule(const MessageView& message);

// The family in a reply's nfgenmsg, and the attributes after it.
struct NfgenPayload {
  std::uint8_t family = 0;
  netlink::Bytes attributes;
};
Result<NfgenPayload> splitNfgen(const MessageView& message);

}  // namespace lvscare::nftables
