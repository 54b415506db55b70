#include "nftables/objects.hpp"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

namespace lvscare::nftables {

using netlink::AttributeTable;
using netlink::MessageBuilder;

namespace {

// The nft element limit per NEWSETELEM: keeps every nest far below 64 KiB for any key size.
constexpr std::size_t kElementsPerMessage = 512;

MessageBuilder builderFor(std::uint16_t command, std::uint16_t flags, std::uint8_t family) {
  MessageBuilder builder(nftType(command), flags);
  builder.nfgenHeader(family, 0);
  return builder;
}

Result<std::optional<std::string>> optionalComment(const AttributeTable& table, std::uint16_t type) {
  const auto* userdata = table.find(type);
  if (userdata == nullptr) return std::optional<std::string>{};
  return parseCommentUserdata(userdata->payload);
}

}  // namespace

std::uint16_t nftType(std::uint16_t command) {
  return static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | command);
}

Result<NfgenPayload> splitNfgen(const MessageView& message) {
  auto attributes = netlink::skipHeader(message, sizeof(nfgenmsg), "nfgenmsg");
  if (!attributes) return passOn(attributes);
  return NfgenPayload{message.payload[0], *attributes};
}

// ---- tables ----

Message newTable(const TableSpec& table, bool exclusive) {
  auto builder = builderFor(NFT_MSG_NEWTABLE, static_cast<std::uint16_t>(NLM_F_CREATE | (exclusive ? NLM_F_EXCL : 0)),
                            table.family);
  builder.putString(NFTA_TABLE_NAME, table.name);
  if (table.flags != 0) builder.putBe32(NFTA_TABLE_FLAGS, table.flags);
  if (!table.comment.empty()) builder.putBytes(NFTA_TABLE_USERDATA, commentUserdata(table.comment));
  return builder.finish();
}

Message deleteTable(std::uint8_t family, std::string_view name) {
  return builderFor(NFT_MSG_DELTABLE, 0, family).putString(NFTA_TABLE_NAME, name).finish();
}

Message getTable(std::uint8_t family, std::string_view name) {
  return builderFor(NFT_MSG_GETTABLE, 0, family).putString(NFTA_TABLE_NAME, name).finish();
}

Message dumpTables(std::uint8_t family) { return builderFor(NFT_MSG_GETTABLE, 0, family).finish(); }

Result<TableInfo> parseTable(const MessageView& message) {
  auto payload = splitNfgen(message);
  if (!payload) return passOn(payload);
  auto table = AttributeTable::parse(payload->attributes, NFTA_TABLE_MAX);
  if (!table) return passOn(table);
  TableInfo info;
  info.family = payload->family;
  auto name = table->requireString(NFTA_TABLE_NAME, "table name");
  if (!name) return passOn(name);
  info.name = std::move(*name);
  if (table->has(NFTA_TABLE_FLAGS)) {
    auto flags = table->requireBe32(NFTA_TABLE_FLAGS, "table flags");
    if (!flags) return passOn(flags);
    info.flags = *flags;
  }
  if (const auto* handle = table->find(NFTA_TABLE_HANDLE)) {
    auto value = handle->be64("table handle");
    if (!value) return passOn(value);
    info.handle = *value;
  }
  auto comment = optionalComment(*table, NFTA_TABLE_USERDATA);
  if (!comment) return passOn(comment);
  info.comment = std::move(*comment);
  return info;
}

// ---- chains ----

Message newChain(const ChainSpec& chain) {
  auto builder = builderFor(NFT_MSG_NEWCHAIN, NLM_F_CREATE, chain.family);
  builder.putString(NFTA_CHAIN_TABLE, chain.table).putString(NFTA_CHAIN_NAME, chain.name);
  if (chain.base) {
    const auto hook = builder.beginNested(NFTA_CHAIN_HOOK);
    builder.putBe32(NFTA_HOOK_HOOKNUM, chain.base->hook)
        .putBe32(NFTA_HOOK_PRIORITY, static_cast<std::uint32_t>(chain.base->priority));
    builder.endNested(hook);
    builder.putBe32(NFTA_CHAIN_POLICY, chain.base->policy).putString(NFTA_CHAIN_TYPE, chain.base->type);
  }
  if (!chain.comment.empty()) builder.putBytes(NFTA_CHAIN_USERDATA, commentUserdata(chain.comment));
  return builder.finish();
}

Message deleteChain(std::uint8_t family, std::string_view table, std::string_view name) {
  return builderFor(NFT_MSG_DELCHAIN, 0, family)
      .putString(NFTA_CHAIN_TABLE, table)
      .putString(NFTA_CHAIN_NAME, name)
      .finish();
}

Message dumpChains(std::uint8_t family, std::string_view table) {
  auto builder = builderFor(NFT_MSG_GETCHAIN, 0, family);
  if (!table.empty()) builder.putString(NFTA_CHAIN_TABLE, table);
  return builder.finish();
}

Result<ChainInfo> parseChain(const MessageView& message) {
  auto payload = splitNfgen(message);
  if (!payload) return passOn(payload);
  auto table = AttributeTable::parse(payload->attributes, NFTA_CHAIN_MAX);
  if (!table) return passOn(table);
  ChainInfo info;
  info.family = payload->family;
  auto tableName = table->requireString(NFTA_CHAIN_TABLE, "chain table");
  if (!tableName) return passOn(tableName);
  auto name = table->requireString(NFTA_CHAIN_NAME, "chain name");
  if (!name) return passOn(name);
  info.table = std::move(*tableName);
  info.name = std::move(*name);
  if (table->has(NFTA_CHAIN_HOOK)) {
    auto hook = table->requireNested(NFTA_CHAIN_HOOK, NFTA_HOOK_MAX, "chain hook");
    if (!hook) return passOn(hook);
    BaseChain base;
    auto number = hook->requireBe32(NFTA_HOOK_HOOKNUM, "hook number");
    if (!number) return passOn(number);
    auto priority = hook->requireBe32(NFTA_HOOK_PRIORITY, "hook priority");
    if (!priority) return passOn(priority);
    base.hook = *number;
    base.priority = static_cast<std::int32_t>(*priority);
    if (table->has(NFTA_CHAIN_TYPE)) {
      auto type = table->requireString(NFTA_CHAIN_TYPE, "chain type");
      if (!type) return passOn(type);
      base.type = std::move(*type);
    }
    if (table->has(NFTA_CHAIN_POLICY)) {
      auto policy = table->requireBe32(NFTA_CHAIN_POLICY, "chain policy");
      if (!policy) return passOn(policy);
      base.policy = *policy;
    }
    info.base = std::move(base);
  }
  auto comment = optionalComment(*table, NFTA_CHAIN_USERDATA);
  if (!comment) return passOn(comment);
  info.comment = std::move(*comment);
  return info;
}

// ---- sets ----

Message newSet(const SetSpec& set) {
  auto builder = builderFor(NFT_MSG_NEWSET, NLM_F_CREATE, set.family);
  builder.putString(NFTA_SET_TABLE, set.table)
      .putString(NFTA_SET_NAME, set.name)
      .putBe32(NFTA_SET_FLAGS, set.flags)
      .putBe32(NFTA_SET_KEY_TYPE, set.keyType)
      .putBe32(NFTA_SET_KEY_LEN, set.keyLength);
  if (set.dataType) builder.putBe32(NFTA_SET_DATA_TYPE, *set.dataType).putBe32(NFTA_SET_DATA_LEN, set.dataLength);
  builder.putBe32(NFTA_SET_ID, set.id);
  if (set.sizeHint) {
    const auto desc = builder.beginNested(NFTA_SET_DESC);
    builder.putBe32(NFTA_SET_DESC_SIZE, *set.sizeHint);
    builder.endNested(desc);
  }
  if (set.keyHostOrder) {
    // libnftnl's NFTNL_UDATA_SET_KEYBYTEORDER (type 0) = BYTEORDER_HOST_ENDIAN (1), a host u32.
    const std::uint32_t hostOrder = 1;
    ByteVector userdata{0, sizeof hostOrder};
    const auto bytes = u32Bytes(hostOrder);
    userdata.insert(userdata.end(), bytes.begin(), bytes.end());
    builder.putBytes(NFTA_SET_USERDATA, userdata);
  }
  return builder.finish();
}

std::vector<Message> newSetElements(std::uint8_t family, std::string_view table, std::string_view set,
                                    std::uint32_t setId, std::span<const SetElement> elements) {
  std::vector<Message> out;
  for (std::size_t first = 0; first < elements.size(); first += kElementsPerMessage) {
    auto builder = builderFor(NFT_MSG_NEWSETELEM, NLM_F_CREATE, family);
    builder.putString(NFTA_SET_ELEM_LIST_TABLE, table)
        .putString(NFTA_SET_ELEM_LIST_SET, set)
        .putBe32(NFTA_SET_ELEM_LIST_SET_ID, setId);
    const auto list = builder.beginNested(NFTA_SET_ELEM_LIST_ELEMENTS);
    const std::size_t last = std::min(elements.size(), first + kElementsPerMessage);
    for (std::size_t i = first; i < last; ++i) {
      const auto& element = elements[i];
      const auto item = builder.beginNested(NFTA_LIST_ELEM);
      putDataValue(builder, NFTA_SET_ELEM_KEY, element.key);
      if (element.verdict) putDataVerdict(builder, NFTA_SET_ELEM_DATA, *element.verdict);
      if (!element.data.empty()) putDataValue(builder, NFTA_SET_ELEM_DATA, element.data);
      if (element.flags != 0) builder.putBe32(NFTA_SET_ELEM_FLAGS, element.flags);
      builder.endNested(item);
    }
    builder.endNested(list);
    out.push_back(builder.finish());
  }
  return out;
}

Message flushSet(std::uint8_t family, std::string_view table, std::string_view set) {
  return builderFor(NFT_MSG_DELSETELEM, 0, family)
      .putString(NFTA_SET_ELEM_LIST_TABLE, table)
      .putString(NFTA_SET_ELEM_LIST_SET, set)
      .finish();
}

Message dumpSetElements(std::uint8_t family, std::string_view table, std::string_view set) {
  return builderFor(NFT_MSG_GETSETELEM, 0, family)
      .putString(NFTA_SET_ELEM_LIST_TABLE, table)
      .putString(NFTA_SET_ELEM_LIST_SET, set)
      .finish();
}

Result<std::vector<SetElement>> parseSetElements(const MessageView& message) {
  auto payload = splitNfgen(message);
  if (!payload) return passOn(payload);
  auto table = AttributeTable::parse(payload->attributes, NFTA_SET_ELEM_LIST_MAX);
  if (!table) return passOn(table);
  std::vector<SetElement> out;
  const auto* list = table->find(NFTA_SET_ELEM_LIST_ELEMENTS);
  if (list == nullptr) return out;
  auto items = netlink::parseAttributes(list->payload);
  if (!items) return passOn(items);
  for (const auto& item : *items) {
    if (item.type != NFTA_LIST_ELEM)
      return fail(Errc::Malformed, "set elements: unexpected attribute " + std::to_string(item.type));
    auto fields = AttributeTable::parse(item.payload, NFTA_SET_ELEM_MAX);
    if (!fields) return passOn(fields);
    SetElement element;
    auto keyNest = fields->require(NFTA_SET_ELEM_KEY, "set element key");
    if (!keyNest) return passOn(keyNest);
    auto key = parseData(keyNest->payload, "set element key");
    if (!key) return passOn(key);
    if (key->verdict) return fail(Errc::Malformed, "set element key holds a verdict");
    element.key = std::move(key->value);
    if (const auto* dataNest = fields->find(NFTA_SET_ELEM_DATA)) {
      auto data = parseData(dataNest->payload, "set element data");
      if (!data) return passOn(data);
      element.verdict = std::move(data->verdict);
      element.data = std::move(data->value);
    }
    if (fields->has(NFTA_SET_ELEM_FLAGS)) {
      auto flags = fields->requireBe32(NFTA_SET_ELEM_FLAGS, "set element flags");
      if (!flags) return passOn(flags);
      element.flags = *flags;
    }
    out.push_back(std::move(element));
  }
  return out;
}

// ---- rules ----

Message newRule(std::uint8_t family, std::string_view table, std::string_view chain,
                const std::function<void(ExpressionList&)>& expressions, std::string_view comment) {
  auto builder = builderFor(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, family);
  builder.putString(NFTA_RULE_TABLE, table).putString(NFTA_RULE_CHAIN, chain);
  ExpressionList list(builder, NFTA_RULE_EXPRESSIONS);
  expressions(list);
  list.finish();
  if (!comment.empty()) builder.putBytes(NFTA_RULE_USERDATA, commentUserdata(comment));
  return builder.finish();
}

Message deleteRule(std::uint8_t family, std::string_view table, std::string_view chain, std::uint64_t handle) {
  return builderFor(NFT_MSG_DELRULE, 0, family)
      .putString(NFTA_RULE_TABLE, table)
      .putString(NFTA_RULE_CHAIN, chain)
      .putBe64(NFTA_RULE_HANDLE, handle)
      .finish();
}

Message flushChain(std::uint8_t family, std::string_view table, std::string_view chain) {
  return builderFor(NFT_MSG_DELRULE, 0, family)
      .putString(NFTA_RULE_TABLE, table)
      .putString(NFTA_RULE_CHAIN, chain)
      .finish();
}

Message dumpRules(std::uint8_t family, std::string_view table) {
  auto builder = builderFor(NFT_MSG_GETRULE, 0, family);
  if (!table.empty()) builder.putString(NFTA_RULE_TABLE, table);
  return builder.finish();
}

Result<RuleInfo> parseRule(const MessageView& message) {
  auto payload = splitNfgen(message);
  if (!payload) return passOn(payload);
  auto table = AttributeTable::parse(payload->attributes, NFTA_RULE_MAX);
  if (!table) return passOn(table);
  RuleInfo info;
  info.family = payload->family;
  auto tableName = table->requireString(NFTA_RULE_TABLE, "rule table");
  if (!tableName) return passOn(tableName);
  auto chain = table->requireString(NFTA_RULE_CHAIN, "rule chain");
  if (!chain) return passOn(chain);
  info.table = std::move(*tableName);
  info.chain = std::move(*chain);
  if (const auto* handle = table->find(NFTA_RULE_HANDLE)) {
    auto value = handle->be64("rule handle");
    if (!value) return passOn(value);
    info.handle = *value;
  }
  if (const auto* list = table->find(NFTA_RULE_EXPRESSIONS)) {
    auto expressions = parseExpressionList(list->payload);
    if (!expressions) return passOn(expressions);
    info.expressions = std::move(*expressions);
  }
  auto comment = optionalComment(*table, NFTA_RULE_USERDATA);
  if (!comment) return passOn(comment);
  info.comment = std::move(*comment);
  return info;
}

}  // namespace lvscare::nftables
