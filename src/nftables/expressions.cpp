#include "nftables/expressions.hpp"

#include <endian.h>
#include <linux/netfilter/nf_tables.h>

#include <cstring>

namespace lvscare::nftables {

using netlink::AttributeTable;
using netlink::MessageBuilder;

ByteVector be16Bytes(std::uint16_t value) {
  const std::uint16_t wire = htobe16(value);
  ByteVector out(sizeof wire);
  std::memcpy(out.data(), &wire, sizeof wire);
  return out;
}

ByteVector be32Bytes(std::uint32_t value) {
  const std::uint32_t wire = htobe32(value);
  ByteVector out(sizeof wire);
  std::memcpy(out.data(), &wire, sizeof wire);
  return out;
}

ByteVector u32Bytes(std::uint32_t value) {
  ByteVector out(sizeof value);
  std::memcpy(out.data(), &value, sizeof value);
  return out;
}

void putDataValue(MessageBuilder& builder, std::uint16_t type, Bytes value) {
  const auto token = builder.beginNested(type);
  builder.putBytes(NFTA_DATA_VALUE, value);
  builder.endNested(token);
}

void putDataVerdict(MessageBuilder& builder, std::uint16_t type, const Verdict& verdict) {
  const auto outer = builder.beginNested(type);
  const auto inner = builder.beginNested(NFTA_DATA_VERDICT);
  builder.putBe32(NFTA_VERDICT_CODE, static_cast<std::uint32_t>(verdict.code));
  if (!verdict.chain.empty()) builder.putString(NFTA_VERDICT_CHAIN, verdict.chain);
  builder.endNested(inner);
  builder.endNested(outer);
}

ExpressionList::ExpressionList(MessageBuilder& builder, std::uint16_t listType)
    : builder_(builder), listToken_(builder.beginNested(listType)) {}

std::size_t ExpressionList::begin(std::string_view name) {
  elementToken_ = builder_.beginNested(NFTA_LIST_ELEM);
  builder_.putString(NFTA_EXPR_NAME, name);
  return builder_.beginNested(NFTA_EXPR_DATA);
}

void ExpressionList::end(std::size_t dataToken) {
  builder_.endNested(dataToken);
  builder_.endNested(elementToken_);
}

ExpressionList& ExpressionList::payload(std::uint32_t base, std::uint32_t offset, std::uint32_t length,
                                        std::uint32_t dreg) {
  const auto data = begin("payload");
  builder_.putBe32(NFTA_PAYLOAD_DREG, dreg)
      .putBe32(NFTA_PAYLOAD_BASE, base)
      .putBe32(NFTA_PAYLOAD_OFFSET, offset)
      .putBe32(NFTA_PAYLOAD_LEN, length);
  end(data);
  return *this;
}

ExpressionList& ExpressionList::cmp(std::uint32_t sreg, std::uint32_t op, Bytes value) {
  const auto data = begin("cmp");
  builder_.putBe32(NFTA_CMP_SREG, sreg).putBe32(NFTA_CMP_OP, op);
  putDataValue(builder_, NFTA_CMP_DATA, value);
  end(data);
  return *this;
}

ExpressionList& ExpressionList::metaLoad(std::uint32_t key, std::uint32_t dreg) {
  const auto data = begin("meta");
  builder_.putBe32(NFTA_META_KEY, key).putBe32(NFTA_META_DREG, dreg);
  end(data);
  return *this;
}

ExpressionList& ExpressionList::metaSet(std::uint32_t key, std::uint32_t sreg) {
  const auto data = begin("meta");
  builder_.putBe32(NFTA_META_KEY, key).putBe32(NFTA_META_SREG, sreg);
  end(data);
  return *this;
}

ExpressionList& ExpressionList::ctLoad(std::uint32_t key, std::uint32_t dreg, std::optional<std::uint8_t> direction) {
  const auto data = begin("ct");
  builder_.putBe32(NFTA_CT_KEY, key).putBe32(NFTA_CT_DREG, dreg);
  if (direction) builder_.putU8(NFTA_CT_DIRECTION, *direction);
  end(data);
  return *this;
}

ExpressionList& ExpressionList::bitwise(std::uint32_t sreg, std::uint32_t dreg, Bytes mask, Bytes xorValue) {
  const auto data = begin("bitwise");
  builder_.putBe32(NFTA_BITWISE_SREG, sreg)
      .putBe32(NFTA_BITWISE_DREG, dreg)
      .putBe32(NFTA_BITWISE_LEN, static_cast<std::uint32_t>(mask.size()));
  putDataValue(builder_, NFTA_BITWISE_MASK, mask);
  putDataValue(builder_, NFTA_BITWISE_XOR, xorValue);
  end(data);
  return *this;
}

ExpressionList& ExpressionList::numgen(std::uint32_t dreg, std::uint32_t modulus, std::uint32_t type,
                                       std::uint32_t offset) {
  const auto data = begin("numgen");
  builder_.putBe32(NFTA_NG_DREG, dreg)
      .putBe32(NFTA_NG_MODULUS, modulus)
      .putBe32(NFTA_NG_TYPE, type)
      .putBe32(NFTA_NG_OFFSET, offset);
  end(data);
  return *this;
}

ExpressionList& ExpressionList::jhash(std::uint32_t sreg, std::uint32_t dreg, std::uint32_t length,
                                      std::uint32_t modulus, std::uint32_t seed) {
  const auto data = begin("hash");
  builder_.putBe32(NFTA_HASH_SREG, sreg)
      .putBe32(NFTA_HASH_DREG, dreg)
      .putBe32(NFTA_HASH_LEN, length)
      .putBe32(NFTA_HASH_MODULUS, modulus)
      .putBe32(NFTA_HASH_SEED, seed)
      .putBe32(NFTA_HASH_OFFSET, 0)
      .putBe32(NFTA_HASH_TYPE, NFT_HASH_JENKINS);
  end(data);
  return *this;
}

ExpressionList& ExpressionList::byteorderHton(std::uint32_t sreg, std::uint32_t dreg, std::uint32_t length,
                                              std::uint32_t size) {
  const auto data = begin("byteorder");
  builder_.putBe32(NFTA_BYTEORDER_SREG, sreg)
      .putBe32(NFTA_BYTEORDER_DREG, dreg)
      .putBe32(NFTA_BYTEORDER_OP, NFT_BYTEORDER_HTON)
      .putBe32(NFTA_BYTEORDER_LEN, length)
      .putBe32(NFTA_BYTEORDER_SIZE, size);
  end(data);
  return *this;
}

ExpressionList& ExpressionList::lookup(std::string_view set, std::uint32_t setId, std::uint32_t sreg,
                                       std::optional<std::uint32_t> dreg) {
  const auto data = begin("lookup");
  builder_.putBe32(NFTA_LOOKUP_SREG, sreg);
  if (dreg) builder_.putBe32(NFTA_LOOKUP_DREG, *dreg);
  builder_.putString(NFTA_LOOKUP_SET, set).putBe32(NFTA_LOOKUP_SET_ID, setId);
  end(data);
  return *this;
}

ExpressionList& ExpressionList::immediateData(std::uint32_t dreg, Bytes value) {
  const auto data = begin("immediate");
  builder_.putBe32(NFTA_IMMEDIATE_DREG, dreg);
  putDataValue(builder_, NFTA_IMMEDIATE_DATA, value);
  end(data);
  return *this;
}

ExpressionList& ExpressionList::immediateVerdict(std::int32_t code, std::string_view chain) {
  const auto data = begin("immediate");
  builder_.putBe32(NFTA_IMMEDIATE_DREG, kRegVerdict);
  putDataVerdict(builder_, NFTA_IMMEDIATE_DATA, Verdict{code, std::string(chain)});
  end(data);
  return *this;
}

ExpressionList& ExpressionList::nat(std::uint32_t type, std::uint32_t family, std::uint32_t addressReg,
                                    std::optional<std::uint32_t> protoReg, std::uint32_t flags) {
  const auto data = begin("nat");
  builder_.putBe32(NFTA_NAT_TYPE, type).putBe32(NFTA_NAT_FAMILY, family).putBe32(NFTA_NAT_REG_ADDR_MIN, addressReg);
  if (protoReg) builder_.putBe32(NFTA_NAT_REG_PROTO_MIN, *protoReg);
  if (flags != 0) builder_.putBe32(NFTA_NAT_FLAGS, flags);
  end(data);
  return *this;
}

ExpressionList& ExpressionList::reject(std::uint32_t type, std::uint8_t icmpCode) {
  const auto data = begin("reject");
  builder_.putBe32(NFTA_REJECT_TYPE, type).putU8(NFTA_REJECT_ICMP_CODE, icmpCode);
  end(data);
  return *this;
}

ExpressionList& ExpressionList::masquerade() {
  end(begin("masq"));
  return *this;
}

ExpressionList& ExpressionList::counter(std::uint64_t packets, std::uint64_t bytes) {
  const auto data = begin("counter");
  if (packets != 0 || bytes != 0) builder_.putBe64(NFTA_COUNTER_BYTES, bytes).putBe64(NFTA_COUNTER_PACKETS, packets);
  end(data);
  return *this;
}

void ExpressionList::finish() {
  if (finished_) return;
  builder_.endNested(listToken_);
  finished_ = true;
}

// ---- decoding ----

Result<Data> parseData(Bytes nest, std::string_view what) {
  auto table = AttributeTable::parse(nest, NFTA_DATA_MAX);
  if (!table) return passOn(table, what);
  Data out;
  if (const auto* value = table->find(NFTA_DATA_VALUE)) {
    out.value.assign(value->payload.begin(), value->payload.end());
    return out;
  }
  auto verdictNest = table->requireNested(NFTA_DATA_VERDICT, NFTA_VERDICT_MAX, std::string(what) + " verdict");
  if (!verdictNest) return passOn(verdictNest);
  auto code = verdictNest->requireBe32(NFTA_VERDICT_CODE, "verdict code");
  if (!code) return passOn(code);
  Verdict verdict{static_cast<std::int32_t>(*code), {}};
  if (verdictNest->has(NFTA_VERDICT_CHAIN)) {
    auto chain = verdictNest->requireString(NFTA_VERDICT_CHAIN, "verdict chain");
    if (!chain) return passOn(chain);
    verdict.chain = *chain;
  }
  out.verdict = std::move(verdict);
  return out;
}

Result<std::vector<Expression>> parseExpressionList(Bytes list) {
  auto elements = netlink::parseAttributes(list);
  if (!elements) return passOn(elements, "rule expressions");
  std::vector<Expression> out;
  out.reserve(elements->size());
  for (const auto& element : *elements) {
    if (element.type != NFTA_LIST_ELEM)
      return fail(Errc::Malformed, "rule expressions: unexpected attribute " + std::to_string(element.type));
    auto table = AttributeTable::parse(element.payload, NFTA_EXPR_MAX);
    if (!table) return passOn(table, "expression");
    auto name = table->requireString(NFTA_EXPR_NAME, "expression name");
    if (!name) return passOn(name);
    Expression expression{*name, {}};
    if (const auto* data = table->find(NFTA_EXPR_DATA)) expression.attributes = data->payload;
    out.push_back(std::move(expression));
  }
  return out;
}

namespace {

Result<AttributeTable> expressionTable(const Expression& expression, std::string_view name, std::uint16_t maxType) {
  if (expression.name != name) {
    return fail(Errc::Malformed, "expected expression " + std::string(name) + ", found " + expression.name);
  }
  auto table = AttributeTable::parse(expression.attributes, maxType);
  if (!table) return passOn(table, std::string(name) + " expression");
  return table;
}

Result<std::optional<std::uint32_t>> optionalBe32(const AttributeTable& table, std::uint16_t type,
                                                  std::string_view name) {
  if (!table.has(type)) return std::optional<std::uint32_t>{};
  auto value = table.requireBe32(type, name);
  if (!value) return passOn(value);
  return std::optional<std::uint32_t>(*value);
}

}  // namespace

Result<CounterValue> decodeCounter(const Expression& expression) {
  auto table = expressionTable(expression, "counter", NFTA_COUNTER_MAX);
  if (!table) return passOn(table);
  CounterValue out;
  if (const auto* packets = table->find(NFTA_COUNTER_PACKETS)) {
    auto value = packets->be64("counter packets");
    if (!value) return passOn(value);
    out.packets = *value;
  }
  if (const auto* bytes = table->find(NFTA_COUNTER_BYTES)) {
    auto value = bytes->be64("counter bytes");
    if (!value) return passOn(value);
    out.bytes = *value;
  }
  return out;
}

Result<ImmediateValue> decodeImmediate(const Expression& expression) {
  auto table = expressionTable(expression, "immediate", NFTA_IMMEDIATE_MAX);
  if (!table) return passOn(table);
  auto dreg = table->requireBe32(NFTA_IMMEDIATE_DREG, "immediate dreg");
  if (!dreg) return passOn(dreg);
  auto nest = table->require(NFTA_IMMEDIATE_DATA, "immediate data");
  if (!nest) return passOn(nest);
  auto data = parseData(nest->payload, "immediate data");
  if (!data) return passOn(data);
  return ImmediateValue{*dreg, std::move(*data)};
}

Result<NatValue> decodeNat(const Expression& expression) {
  auto table = expressionTable(expression, "nat", NFTA_NAT_MAX);
  if (!table) return passOn(table);
  NatValue out;
  auto type = table->requireBe32(NFTA_NAT_TYPE, "nat type");
  if (!type) return passOn(type);
  auto family = table->requireBe32(NFTA_NAT_FAMILY, "nat family");
  if (!family) return passOn(family);
  auto address = optionalBe32(*table, NFTA_NAT_REG_ADDR_MIN, "nat address register");
  if (!address) return passOn(address);
  auto proto = optionalBe32(*table, NFTA_NAT_REG_PROTO_MIN, "nat proto register");
  if (!proto) return passOn(proto);
  auto flags = optionalBe32(*table, NFTA_NAT_FLAGS, "nat flags");
  if (!flags) return passOn(flags);
  out.type = *type;
  out.family = *family;
  out.addressReg = *address;
  out.protoReg = *proto;
  out.flags = flags->value_or(0);
  return out;
}

Result<CmpValue> decodeCmp(const Expression& expression) {
  auto table = expressionTable(expression, "cmp", NFTA_CMP_MAX);
  if (!table) return passOn(table);
  auto sreg = table->requireBe32(NFTA_CMP_SREG, "cmp sreg");
  if (!sreg) return passOn(sreg);
  auto op = table->requireBe32(NFTA_CMP_OP, "cmp op");
  if (!op) return passOn(op);
  auto nest = table->require(NFTA_CMP_DATA, "cmp data");
  if (!nest) return passOn(nest);
  auto data = parseData(nest->payload, "cmp data");
  if (!data) return passOn(data);
  if (data->verdict) return fail(Errc::Malformed, "cmp data holds a verdict");
  return CmpValue{*sreg, *op, std::move(data->value)};
}

Result<PayloadValue> decodePayload(const Expression& expression) {
  auto table = expressionTable(expression, "payload", NFTA_PAYLOAD_MAX);
  if (!table) return passOn(table);
  auto dreg = table->requireBe32(NFTA_PAYLOAD_DREG, "payload dreg");
  if (!dreg) return passOn(dreg);
  auto base = table->requireBe32(NFTA_PAYLOAD_BASE, "payload base");
  if (!base) return passOn(base);
  auto offset = table->requireBe32(NFTA_PAYLOAD_OFFSET, "payload offset");
  if (!offset) return passOn(offset);
  auto length = table->requireBe32(NFTA_PAYLOAD_LEN, "payload length");
  if (!length) return passOn(length);
  return PayloadValue{*dreg, *base, *offset, *length};
}

Result<MetaValue> decodeMeta(const Expression& expression) {
  auto table = expressionTable(expression, "meta", NFTA_META_MAX);
  if (!table) return passOn(table);
  auto key = table->requireBe32(NFTA_META_KEY, "meta key");
  if (!key) return passOn(key);
  auto dreg = optionalBe32(*table, NFTA_META_DREG, "meta dreg");
  if (!dreg) return passOn(dreg);
  auto sreg = optionalBe32(*table, NFTA_META_SREG, "meta sreg");
  if (!sreg) return passOn(sreg);
  if (dreg->has_value() == sreg->has_value())
    return fail(Errc::Malformed, "meta expression needs exactly one of dreg and sreg");
  return MetaValue{*key, *dreg, *sreg};
}

Result<LookupValue> decodeLookup(const Expression& expression) {
  auto table = expressionTable(expression, "lookup", NFTA_LOOKUP_MAX);
  if (!table) return passOn(table);
  auto set = table->requireString(NFTA_LOOKUP_SET, "lookup set");
  if (!set) return passOn(set);
  auto sreg = table->requireBe32(NFTA_LOOKUP_SREG, "lookup sreg");
  if (!sreg) return passOn(sreg);
  auto dreg = optionalBe32(*table, NFTA_LOOKUP_DREG, "lookup dreg");
  if (!dreg) return passOn(dreg);
  return LookupValue{*set, *sreg, *dreg};
}

ByteVector commentUserdata(std::string_view comment) {
  const std::string_view text = comment.substr(0, kMaxComment);
  ByteVector out;
  out.reserve(text.size() + 3);
  out.push_back(0);  // NFTNL_UDATA_{TABLE,CHAIN,RULE}_COMMENT
  out.push_back(static_cast<std::uint8_t>(text.size() + 1));
  out.insert(out.end(), text.begin(), text.end());
  out.push_back(0);
  return out;
}

Result<std::optional<std::string>> parseCommentUserdata(Bytes userdata) {
  std::optional<std::string> comment;
  std::size_t offset = 0;
  while (offset < userdata.size()) {
    if (userdata.size() - offset < 2) return fail(Errc::Malformed, "userdata: truncated TLV header");
    const std::uint8_t type = userdata[offset];
    const std::uint8_t length = userdata[offset + 1];
    if (length > userdata.size() - offset - 2) {
      return fail(Errc::Malformed, "userdata: TLV claims " + std::to_string(length) + " bytes, only " +
                                       std::to_string(userdata.size() - offset - 2) + " left");
    }
    const Bytes value = userdata.subspan(offset + 2, length);
    if (type == 0) {
      if (value.empty() || value.back() != 0) return fail(Errc::Malformed, "userdata: comment is not NUL-terminated");
      const auto* text = reinterpret_cast<const char*>(value.data());
      comment = std::string(text, ::strnlen(text, value.size()));
    }
    offset += 2 + length;
  }
  return comment;
}

}  // namespace lvscare::nftables
