#include "care/kernel_notice.hpp"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace lvscare::care {
namespace {

using netlink::AttributeTable;
using netlink::MessageView;

// The fixed header after nlmsghdr, copied out (the payload need not be aligned for T).
template <class T>
Result<T> fixedHeader(const MessageView& message, std::string_view what) {
  if (message.payload.size() < sizeof(T)) return fail(Errc::Malformed, std::string(what) + " shorter than its header");
  T header{};
  std::memcpy(&header, message.payload.data(), sizeof header);
  return header;
}

Result<AttributeTable> attributesAfter(const MessageView& message, std::size_t headerSize, std::uint16_t maxType,
                                       std::string_view what) {
  auto attributes = netlink::skipHeader(message, headerSize, what);
  if (!attributes) return passOn(attributes);
  return AttributeTable::parse(*attributes, maxType);
}

Result<IpAddress> addressOf(const netlink::Attribute& attribute, int af, std::string_view what) {
  IpAddress address;
  address.family = af == AF_INET ? Family::V4 : Family::V6;
  if (attribute.payload.size() != address.size())
    return fail(Errc::Malformed, std::string(what) + " of " + std::to_string(attribute.payload.size()) + " bytes");
  std::memcpy(address.bytes.data(), attribute.payload.data(), address.size());
  return address;
}

Result<KernelNotice> decodeRoute(const MessageView& message) {
  auto header = fixedHeader<rtmsg>(message, "route announcement");
  if (!header) return passOn(header);
  if (header->rtm_family != AF_INET && header->rtm_family != AF_INET6) return KernelNotice{};
  auto table = attributesAfter(message, sizeof(rtmsg), RTA_MAX, "rtmsg");
  if (!table) return passOn(table, "route announcement");
  RouteNotice route;
  route.deleted = message.type == RTM_DELROUTE;
  route.destination.family = header->rtm_family == AF_INET ? Family::V4 : Family::V6;
  route.prefixLength = header->rtm_dst_len;
  route.protocol = header->rtm_protocol;
  route.portId = message.portId;
  if (const auto* dst = table->find(RTA_DST)) {
    auto address = addressOf(*dst, header->rtm_family, "RTA_DST");
    if (!address) return passOn(address, "route announcement");
    route.destination = *address;
  }
  return KernelNotice{route};
}

Result<KernelNotice> decodeLink(const MessageView& message) {
  auto header = fixedHeader<ifinfomsg>(message, "link announcement");
  if (!header) return passOn(header);
  auto table = attributesAfter(message, sizeof(ifinfomsg), IFLA_MAX, "ifinfomsg");
  if (!table) return passOn(table, "link announcement");
  LinkNotice link;
  link.deleted = message.type == RTM_DELLINK;
  link.index = header->ifi_index;
  link.flags = header->ifi_flags;
  link.portId = message.portId;
  if (table->has(IFLA_IFNAME)) {
    auto name = table->requireString(IFLA_IFNAME, "IFLA_IFNAME");
    if (!name) return passOn(name, "link announcement");
    link.name = std::move(*name);
  }
  return KernelNotice{link};
}

Result<KernelNotice> decodeAddress(const MessageView& message) {
  auto header = fixedHeader<ifaddrmsg>(message, "address announcement");
  if (!header) return passOn(header);
  if (header->ifa_family != AF_INET && header->ifa_family != AF_INET6) return KernelNotice{};
  auto table = attributesAfter(message, sizeof(ifaddrmsg), IFA_MAX, "ifaddrmsg");
  if (!table) return passOn(table, "address announcement");
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS the peer on point-to-point links.
  const auto* attribute = table->find(IFA_LOCAL);
  if (attribute == nullptr) attribute = table->find(IFA_ADDRESS);
  if (attribute == nullptr) return fail(Errc::Malformed, "address announcement without an address");
  auto address = addressOf(*attribute, header->ifa_family, "IFA_LOCAL");
  if (!address) return passOn(address, "address announcement");
  AddressNotice notice;
  notice.deleted = message.type == RTM_DELADDR;
  notice.address = *address;
  notice.index = static_cast<int>(header->ifa_index);
  notice.portId = message.portId;
  return KernelNotice{notice};
}

}  // namespace

Result<KernelNotice> decodeNftNotice(const MessageView& message) {
  if ((message.type >> 8) != NFNL_SUBSYS_NFTABLES) return KernelNotice{};
  const auto command = static_cast<std::uint16_t>(message.type & 0xff);
  if (command == NFT_MSG_TRACE) return KernelNotice{};
  auto payload = netlink::skipHeader(message, sizeof(nfgenmsg), "nfgenmsg");
  if (!payload) return passOn(payload, "nftables announcement");
  if (command == NFT_MSG_NEWGEN) {
    auto table = AttributeTable::parse(*payload, NFTA_GEN_MAX);
    if (!table) return passOn(table, "nftables generation");
    NftGenerationNotice generation;
    generation.portId = message.portId;
    if (table->has(NFTA_GEN_PROC_PID)) {
      auto pid = table->requireBe32(NFTA_GEN_PROC_PID, "NFTA_GEN_PROC_PID");
      if (!pid) return passOn(pid, "nftables generation");
      generation.processId = *pid;
    }
    return KernelNotice{generation};
  }
  // Every other announcement (tables, chains, rules, sets, elements, objects, flowtables, and the
  // DESTROY* commands of newer kernels) names its table in attribute 1: NFTA_TABLE_NAME,
  // NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE, NFTA_SET_ELEM_LIST_TABLE, NFTA_OBJ_TABLE...
  constexpr std::uint16_t kTableAttribute = 1;
  static_assert(NFTA_TABLE_NAME == kTableAttribute && NFTA_CHAIN_TABLE == kTableAttribute &&
                NFTA_RULE_TABLE == kTableAttribute && NFTA_SET_TABLE == kTableAttribute &&
                NFTA_SET_ELEM_LIST_TABLE == kTableAttribute && NFTA_OBJ_TABLE == kTableAttribute);
  auto table = AttributeTable::parse(*payload, kTableAttribute);
  if (!table) return passOn(table, "nftables announcement");
  auto name = table->requireString(kTableAttribute, "table name");
  if (!name) return passOn(name, "nftables announcement " + std::to_string(command));
  return KernelNotice{NftObjectNotice{command, message.payload[0], std::move(*name)}};
}

Result<KernelNotice> decodeRtnlNotice(const MessageView& message) {
  switch (message.type) {
    case RTM_NEWROUTE:
    case RTM_DELROUTE: return decodeRoute(message);
    case RTM_NEWLINK:
    case RTM_DELLINK: return decodeLink(message);
    case RTM_NEWADDR:
    case RTM_DELADDR: return decodeAddress(message);
    default: return KernelNotice{};
  }
}

bool NoticeFilter::onNftMessage(const MessageView& message) {
  auto notice = decodeNftNotice(message);
  if (!notice) {
    // Undecodable: assume it was about us, and settle it at the transaction's end like the rest.
    nftPending_ = true;
    return false;
  }
  return concerns(*notice);
}

bool NoticeFilter::onRtnlMessage(const MessageView& message) {
  auto notice = decodeRtnlNotice(message);
  return !notice || concerns(*notice);
}

bool NoticeFilter::concerns(const KernelNotice& notice) {
  if (const auto* object = std::get_if<NftObjectNotice>(&notice)) {
    if (targets_.nftTables.contains({object->family, object->table})) nftPending_ = true;
    return false;  // decided when the transaction ends
  }
  if (const auto* generation = std::get_if<NftGenerationNotice>(&notice)) {
    const bool pending = std::exchange(nftPending_, false);
    const bool ours = generation->processId && targets_.ownThreadId && *generation->processId == *targets_.ownThreadId;
    return pending && !ours;
  }
  if (const auto* route = std::get_if<RouteNotice>(&notice)) return concernsRoute(*route);
  if (const auto* link = std::get_if<LinkNotice>(&notice)) return concernsLink(*link);
  if (const auto* address = std::get_if<AddressNotice>(&notice)) return concernsAddress(*address);
  return false;
}

bool NoticeFilter::ownPort(std::uint32_t portId) const {
  return portId != 0 &&
         std::find(targets_.ownPortIds.begin(), targets_.ownPortIds.end(), portId) != targets_.ownPortIds.end();
}

bool NoticeFilter::concernsRoute(const RouteNotice& route) const {
  if (ownPort(route.portId)) return false;
  return route.destination == targets_.vip && route.prefixLength == targets_.vip.prefixBits();
}

bool NoticeFilter::concernsLink(const LinkNotice& link) const {
  if (ownPort(link.portId)) return false;
  if (!targets_.linkName.empty() && link.name == targets_.linkName) return true;
  // A link deleted or down takes the IPv4 routes through it along without announcing their
  // deletion (fib_sync_down_dev): ours may have been one of them.
  return link.deleted || (link.flags & IFF_UP) == 0;
}

bool NoticeFilter::concernsAddress(const AddressNotice& address) const {
  if (ownPort(address.portId)) return false;
  if (address.address == targets_.vip || (targets_.nodeIp && address.address == *targets_.nodeIp)) return true;
  // An address removed takes the routes through its subnet along, unannounced (fib_del_ifaddr).
  return address.deleted;
}

}  // namespace lvscare::care
