// The few ipset requests lvscare needs, over nfnetlink (NFNL_SUBSYS_IPSET): the kernel's protocol
// version, one set's header by name, and destroying a set. Go LVScare's link mode leaves the set
// VIRTUAL-IP behind; taking over a node means finding it and, on -C, removing it. Pure: messages
// in, messages out (ipset_client.hpp talks to the kernel). Layouts follow the kernel's UAPI
// (linux/netfilter/ipset/ip_set.h): u8 protocol, NUL-terminated names, big-endian u32 values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "netlink/message.hpp"
#include "netlink/reply.hpp"

namespace lvscare::nftables::ipset {

using netlink::Message;
using netlink::MessageView;

// The protocol we speak (IPSET_PROTOCOL); the kernel accepts it down to its own minimum.
inline constexpr std::uint8_t kProtocol = 7;
// The oldest kernel protocol whose LIST/DESTROY layout we understand (IPSET_PROTOCOL_MIN).
inline constexpr std::uint8_t kOldestProtocol = 6;
// Set names are at most 31 characters (IPSET_MAXNAMELEN includes the NUL).
inline constexpr std::size_t kMaxName = 31;
// The set is still used by a rule (ipset's own errno IPSET_ERR_BUSY / IPSET_ERR_REFERENCED).
bool inUse(const Error& error);

// nfnetlink message type of an IPSET_CMD_*.
std::uint16_t ipsetType(std::uint8_t command);

// IPSET_CMD_PROTOCOL: the kernel answers with its protocol version (and minimum).
Message protocolRequest();
// IPSET_CMD_LIST of one set, header only (IPSET_FLAG_LIST_HEADER): send as a dump.
Result<Message> listHeaderRequest(std::string_view set);
// IPSET_CMD_DESTROY of one set: fails with ENOENT when absent, inUse() while a rule uses it.
Result<Message> destroyRequest(std::string_view set);

struct ProtocolInfo {
  std::uint8_t protocol = 0;
  std::optional<std::uint8_t> minimum;  // absent on kernels before IPSET_ATTR_PROTOCOL_MIN
};
Result<ProtocolInfo> parseProtocolReply(const MessageView& message);
// True when the kernel takes our requests: its protocol is at least kOldestProtocol and its
// minimum at most kProtocol.
bool speaksOurProtocol(const ProtocolInfo& info);

struct SetHeader {
  std::string name;
  std::string type;                         // "hash:ip,port"
  std::uint8_t family = 0;                  // NFPROTO_IPV4 = inet, NFPROTO_IPV6 = inet6
  std::optional<std::uint32_t> references;  // rules and list:set members using it
  std::optional<std::uint32_t> elements;
};
Result<SetHeader> parseListReply(const MessageView& message);

}  // namespace lvscare::nftables::ipset
