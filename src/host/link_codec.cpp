#include "host/link_codec.hpp"

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <span>

#include "netlink/attributes.hpp"

namespace lvscare::host {
namespace {

template <class Header>
Result<Header> readHeader(const netlink::MessageView& message, std::uint16_t expectedType, const char* what) {
  if (message.type != expectedType) {
    return fail(Errc::Malformed,
                std::string("expected a ") + what + " message, got type " + std::to_string(message.type));
  }
  if (auto rest = netlink::skipHeader(message, sizeof(Header), what); !rest) return passOn(rest);
  Header header{};
  std::memcpy(&header, message.payload.data(), sizeof header);
  return header;
}

netlink::Bytes afterHeader(const netlink::MessageView& message, std::size_t headerSize) {
  return message.payload.subspan(NLMSG_ALIGN(headerSize));
}

ifinfomsg linkHeader(int index) {
  ifinfomsg header{};
  header.ifi_family = AF_UNSPEC;
  header.ifi_index = index;
  return header;
}

netlink::Message addressMessage(std::uint16_t type, std::uint16_t flags, int index, const IpAddress& address) {
  ifaddrmsg header{};
  header.ifa_family = static_cast<std::uint8_t>(address.af());
  header.ifa_prefixlen = static_cast<std::uint8_t>(address.prefixBits());
  header.ifa_scope = RT_SCOPE_UNIVERSE;
  header.ifa_index = static_cast<std::uint32_t>(index);
  if (address.isV6()) header.ifa_flags = IFA_F_NODAD;
  const std::span<const std::uint8_t> bytes(address.bytes.data(), address.size());
  netlink::MessageBuilder builder(type, flags);
  builder.header(header).putBytes(IFA_LOCAL, bytes).putBytes(IFA_ADDRESS, bytes);
  if (address.isV6()) builder.putU32(IFA_FLAGS, IFA_F_NODAD);
  return builder.finish();
}

}  // namespace

Result<void> validateInterfaceName(std::string_view name) {
  const bool ok = !name.empty() && name.size() < IFNAMSIZ && name != "." && name != ".." &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
                  });
  if (!ok) {
    return fail(Errc::InvalidArgument, "invalid interface name '" + std::string(name) +
                                           "': want 1-15 characters of letters, digits, '_', '.' and '-'");
  }
  return {};
}

bool LinkInfo::isUp() const { return (flags & IFF_UP) != 0; }

netlink::Message buildGetLink(std::string_view name) {
  return netlink::MessageBuilder(RTM_GETLINK, 0).header(linkHeader(0)).putString(IFLA_IFNAME, name).finish();
}

netlink::Message buildCreateDummy(std::string_view name) {
  ifinfomsg header = linkHeader(0);
  header.ifi_flags = IFF_UP;
  header.ifi_change = IFF_UP;
  netlink::MessageBuilder builder(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  builder.header(header).putString(IFLA_IFNAME, name);
  const auto info = builder.beginNested(IFLA_LINKINFO, false);
  builder.putString(IFLA_INFO_KIND, kDummyKind).endNested(info);
  return builder.finish();
}

netlink::Message buildSetLinkUp(int index) {
  ifinfomsg header = linkHeader(index);
  header.ifi_flags = IFF_UP;
  header.ifi_change = IFF_UP;
  return netlink::MessageBuilder(RTM_NEWLINK, 0).header(header).finish();
}

netlink::Message buildDeleteLink(int index) {
  return netlink::MessageBuilder(RTM_DELLINK, 0).header(linkHeader(index)).finish();
}

netlink::Message buildAddressDump(Family family, int index) {
  ifaddrmsg header{};
  header.ifa_family = static_cast<std::uint8_t>(family == Family::V4 ? AF_INET : AF_INET6);
  header.ifa_index = static_cast<std::uint32_t>(index);
  return netlink::MessageBuilder(RTM_GETADDR, 0).header(header).finish();
}

netlink::Message buildAddAddress(int index, const IpAddress& address) {
  return addressMessage(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, index, address);
}

netlink::Message buildDeleteAddress(int index, const IpAddress& address) {
  return addressMessage(RTM_DELADDR, 0, index, address);
}

Result<LinkInfo> parseLink(const netlink::MessageView& message) {
  auto header = readHeader<ifinfomsg>(message, RTM_NEWLINK, "ifinfomsg");
  if (!header) return passOn(header);
  auto table = netlink::AttributeTable::parse(afterHeader(message, sizeof(ifinfomsg)), IFLA_MAX);
  if (!table) return passOn(table, "link");
  LinkInfo link;
  link.index = header->ifi_index;
  link.flags = header->ifi_flags;
  auto name = table->requireString(IFLA_IFNAME, "IFLA_IFNAME");
  if (!name) return passOn(name, "link");
  link.name = *name;
  if (table->has(IFLA_LINKINFO)) {
    auto info = table->requireNested(IFLA_LINKINFO, IFLA_INFO_MAX, "IFLA_LINKINFO");
    if (!info) return passOn(info, "link " + link.name);
    if (info->has(IFLA_INFO_KIND)) {
      auto kind = info->requireString(IFLA_INFO_KIND, "IFLA_INFO_KIND");
      if (!kind) return passOn(kind, "link " + link.name);
      link.kind = *kind;
    }
  }
  return link;
}

Result<AddressInfo> parseAddress(const netlink::MessageView& message) {
  auto header = readHeader<ifaddrmsg>(message, RTM_NEWADDR, "ifaddrmsg");
  if (!header) return passOn(header);
  if (header->ifa_family != AF_INET && header->ifa_family != AF_INET6) {
    return fail(Errc::Malformed, "address of unexpected family " + std::to_string(header->ifa_family));
  }
  auto table = netlink::AttributeTable::parse(afterHeader(message, sizeof(ifaddrmsg)), IFA_MAX);
  if (!table) return passOn(table, "address");
  AddressInfo info;
  info.index = static_cast<int>(header->ifa_index);
  info.prefixLength = header->ifa_prefixlen;
  info.scope = header->ifa_scope;
  info.address.family = header->ifa_family == AF_INET ? Family::V4 : Family::V6;
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links.
  const auto* attribute = table->find(IFA_LOCAL);
  if (attribute == nullptr) attribute = table->find(IFA_ADDRESS);
  if (attribute == nullptr) return fail(Errc::Malformed, "address message without IFA_LOCAL or IFA_ADDRESS");
  if (attribute->payload.size() != info.address.size()) {
    return fail(Errc::Malformed, "address attribute has " + std::to_string(attribute->payload.size()) +
                                     " bytes, expected " + std::to_string(info.address.size()));
  }
  std::memcpy(info.address.bytes.data(), attribute->payload.data(), info.address.size());
  return info;
}

}  // namespace lvscare::host
