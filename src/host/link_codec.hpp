// rtnetlink link and address messages for link mode (a dummy interface holding the VIP). Pure:
// builds requests and decodes replies, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lvscare/endpoint.hpp"
#include "netlink/message.hpp"
#include "netlink/reply.hpp"

namespace lvscare::host {

inline constexpr std::string_view kDummyKind = "dummy";
inline constexpr const char* kDefaultInterface = "lvscare";

// 1..15 bytes (IFNAMSIZ - 1) of [A-Za-z0-9_.-], not "." or "..": a subset of what the kernel takes
// that no shell, path or `ip` argument can misread.
Result<void> validateInterfaceName(std::string_view name);

struct LinkInfo {
  int index = 0;
  std::string name;
  unsigned flags = 0;  // IFF_*
  std::string kind;    // IFLA_INFO_KIND: "dummy", "veth"...; empty for links without one (lo, eth)
  bool isUp() const;
};

struct AddressInfo {
  int index = 0;
  IpAddress address;
  std::uint8_t prefixLength = 0;
  std::uint8_t scope = 0;
};

netlink::Message buildGetLink(std::string_view name);
// Creates the dummy link, up from the start. NLM_F_EXCL: never adopts a link someone made meanwhile.
netlink::Message buildCreateDummy(std::string_view name);
netlink::Message buildSetLinkUp(int index);
netlink::Message buildDeleteLink(int index);

// Addresses of one family on link `index` (0: every link). Like the route dump, the kernel filters
// by link only on a strict socket; the caller filters too.
netlink::Message buildAddressDump(Family family, int index = 0);
// The VIP as a host address (/32, /128), global scope; IPv6 without duplicate address detection,
// so it is usable at once. add: NLM_F_CREATE|NLM_F_EXCL.
netlink::Message buildAddAddress(int index, const IpAddress& address);
netlink::Message buildDeleteAddress(int index, const IpAddress& address);

Result<LinkInfo> parseLink(const netlink::MessageView& message);
Result<AddressInfo> parseAddress(const netlink::MessageView& message);

}  // namespace lvscare::host
