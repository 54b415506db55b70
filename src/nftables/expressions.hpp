// nftables rule expressions over nfnetlink, and checked decoding of the ones we read back.
// Pure: builds into a netlink::MessageBuilder, parses spans; no I/O. Layouts follow the kernel's
// UAPI (linux/netfilter/nf_tables.h): every u32 attribute is big-endian, data values are raw bytes
// in the byte order the expression compares them in (addresses and ports in network order).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netlink/attributes.hpp"
#include "netlink/message.hpp"

namespace lvscare::nftables {

using netlink::Bytes;
using ByteVector = std::vector<std::uint8_t>;

// Registers (enum nft_registers): the verdict register and the four 16-byte data registers.
inline constexpr std::uint32_t kRegVerdict = 0;
inline constexpr std::uint32_t kReg1 = 1;
inline constexpr std::uint32_t kReg2 = 2;

// Verdict codes as the kernel wants them (NF_ACCEPT, NFT_GOTO...), already signed.
inline constexpr std::int32_t kVerdictAccept = 1;
inline constexpr std::int32_t kVerdictDrop = 0;
inline constexpr std::int32_t kVerdictJump = -3;
inline constexpr std::int32_t kVerdictGoto = -4;

ByteVector be16Bytes(std::uint16_t value);
ByteVector be32Bytes(std::uint32_t value);
ByteVector u32Bytes(std::uint32_t value);  // host order (meta l4proto, mark)

// Writes an NFTA_RULE_EXPRESSIONS list: construct, add expressions in order, finish().
class ExpressionList {
 public:
  ExpressionList(netlink::MessageBuilder& builder, std::uint16_t listType);
  ExpressionList(const ExpressionList&) = delete;
  ExpressionList& operator=(const ExpressionList&) = delete;

  // [ payload load <len>b @ <base> header + <offset> => reg <dreg> ]  (base: NFT_PAYLOAD_*)
  ExpressionList& payload(std::uint32_t base, std::uint32_t offset, std::uint32_t length, std::uint32_t dreg);
  // [ cmp <op> reg <sreg> <data> ]  (op: NFT_CMP_*)
  ExpressionList& cmp(std::uint32_t sreg, std::uint32_t op, Bytes data);
  // [ meta load <key> => reg <dreg> ]  (key: NFT_META_*)
  ExpressionList& metaLoad(std::uint32_t key, std::uint32_t dreg);
  // [ meta set <key> with reg <sreg> ]
  ExpressionList& metaSet(std::uint32_t key, std::uint32_t sreg);
  // [ ct load <key> => reg <dreg> , dir <dir> ]  (key: NFT_CT_*; dir: IP_CT_DIR_* or none)
  ExpressionList& ctLoad(std::uint32_t key, std::uint32_t dreg, std::optional<std::uint8_t> direction = std::nullopt);
  // [ bitwise reg <dreg> = ( reg <sreg> & <mask> ) ^ <xor> ]
  ExpressionList& bitwise(std::uint32_t sreg, std::uint32_t dreg, Bytes mask, Bytes xorValue);
  // [ numgen reg <dreg> = inc|random mod <modulus> offset <offset> ]  (type: NFT_NG_*)
  ExpressionList& numgen(std::uint32_t dreg, std::uint32_t modulus, std::uint32_t type, std::uint32_t offset = 0);
  // [ hash reg <dreg> = jhash(reg <sreg>, <length>, <seed>) % mod <modulus> ]
  ExpressionList& jhash(std::uint32_t sreg, std::uint32_t dreg, std::uint32_t length, std::uint32_t modulus,
                        std::uint32_t seed);
  // [ byteorder reg <dreg> = hton(reg <sreg>, <size>, <length>) ]
  ExpressionList& byteorderHton(std::uint32_t sreg, std::uint32_t dreg, std::uint32_t length, std::uint32_t size);
  // [ lookup reg <sreg> set <name> (id <setId>) dreg <dreg> ]; dreg kRegVerdict makes it a vmap.
  ExpressionList& lookup(std::string_view set, std::uint32_t setId, std::uint32_t sreg,
                         std::optional<std::uint32_t> dreg);
  // [ immediate reg <dreg> <data> ]
  ExpressionList& immediateData(std::uint32_t dreg, Bytes data);
  // [ immediate reg 0 <verdict> (-> <chain>) ]
  ExpressionList& immediateVerdict(std::int32_t code, std::string_view chain = {});
  // [ nat <dnat|snat> <family> addr_min reg <a> proto_min reg <p> flags <flags> ]  (type: NFT_NAT_*)
  ExpressionList& nat(std::uint32_t type, std::uint32_t family, std::uint32_t addressReg,
                      std::optional<std::uint32_t> protoReg, std::uint32_t flags);
  // [ reject type <type> code <code> ]  (type: NFT_REJECT_*; code: ICMP / ICMPv6 code)
  ExpressionList& reject(std::uint32_t type, std::uint8_t icmpCode);
  ExpressionList& masquerade();  // [ masq ]
  // [ counter pkts <packets> bytes <bytes> ]: a rewritten rule can carry its old counts on.
  ExpressionList& counter(std::uint64_t packets = 0, std::uint64_t bytes = 0);

  void finish();

 private:
  std::size_t begin(std::string_view name);
  void end(std::size_t dataToken);

  netlink::MessageBuilder& builder_;
  std::size_t listToken_;
  std::size_t elementToken_ = 0;
  bool finished_ = false;
};

// A verdict inside nft_data (immediate data, map values).
struct Verdict {
  std::int32_t code = kVerdictAccept;
  std::string chain;  // for jump / goto
  bool operator==(const Verdict&) const = default;
};

// Writes an nft_data nest: NFTA_DATA_VALUE with raw bytes, or NFTA_DATA_VERDICT.
void putDataValue(netlink::MessageBuilder& builder, std::uint16_t type, Bytes value);
void putDataVerdict(netlink::MessageBuilder& builder, std::uint16_t type, const Verdict& verdict);

// nft_data decoded: exactly one of value / verdict.
struct Data {
  ByteVector value;
  std::optional<Verdict> verdict;
};
Result<Data> parseData(Bytes nest, std::string_view what);

// One expression of a rule as the kernel reports it: its name and its still-encoded attributes.
struct Expression {
  std::string name;
  Bytes attributes;  // the NFTA_EXPR_DATA payload (empty when the expression has none)
};
Result<std::vector<Expression>> parseExpressionList(Bytes list);

struct CounterValue {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};
struct ImmediateValue {
  std::uint32_t dreg = 0;
  Data data;
};
struct NatValue {
  std::uint32_t type = 0;
  std::uint32_t family = 0;
  std::optional<std::uint32_t> addressReg;
  std::optional<std::uint32_t> protoReg;
  std::uint32_t flags = 0;
};
struct CmpValue {
  std::uint32_t sreg = 0;
  std::uint32_t op = 0;
  ByteVector data;
};
struct PayloadValue {
  std::uint32_t dreg = 0;
  std::uint32_t base = 0;
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};
struct MetaValue {
  std::uint32_t key = 0;
  std::optional<std::uint32_t> dreg;
  std::optional<std::uint32_t> sreg;
};
struct LookupValue {
  std::string set;
  std::uint32_t sreg = 0;
  std::optional<std::uint32_t> dreg;
};

// Each fails with Errc::Malformed when the expression has another name or its attributes are bad.
Result<CounterValue> decodeCounter(const Expression& expression);
Result<ImmediateValue> decodeImmediate(const Expression& expression);
Result<NatValue> decodeNat(const Expression& expression);
Result<CmpValue> decodeCmp(const Expression& expression);
Result<PayloadValue> decodePayload(const Expression& expression);
Result<MetaValue> decodeMeta(const Expression& expression);
Result<LookupValue> decodeLookup(const Expression& expression);

// Userdata in libnftnl's TLV layout ({u8 type, u8 length, value}), so `nft list` shows our
// comments: type 0 is the comment of a table, chain or rule; nft caps comments at 128 bytes.
inline constexpr std::size_t kMaxComment = 127;
ByteVector commentUserdata(std::string_view comment);
// The comment in a userdata blob; std::nullopt when there is none. Malformed TLVs fail.
Result<std::optional<std::string>> parseCommentUserdata(Bytes userdata);

}  // namespace lvscare::nftables
