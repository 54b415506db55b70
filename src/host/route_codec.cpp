#include "host/route_codec.hpp"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <span>

#include "netlink/attributes.hpp"

namespace lvscare::host {
namespace {

std::span<const std::uint8_t> addressBytes(const IpAddress& address) {
  return std::span<const std::uint8_t>(address.bytes.data(), address.size());
}

rtmsg routeHeader(Family family, std::uint8_t prefixLength, std::uint8_t protocol) {
  rtmsg header{};
  header.rtm_family = static_cast<std::uint8_t>(family == Family::V4 ? AF_INET : AF_INET6);
  header.rtm_dst_len = prefixLength;
  header.rtm_table = RT_TABLE_MAIN;
  header.rtm_protocol = protocol;
  header.rtm_scope = RT_SCOPE_UNIVERSE;
  header.rtm_type = RTN_UNICAST;
  return header;
}

Result<IpAddress> readAddress(const netlink::Attribute& attribute, Family family, std::string_view name) {
  IpAddress address;
  address.family = family;
  if (attribute.payload.size() != address.size()) {
    return fail(Errc::Malformed, "route attribute " + std::string(name) + " has " +
                                     std::to_string(attribute.payload.size()) + " bytes, expected " +
                                     std::to_string(address.size()));
  }
  std::memcpy(address.bytes.data(), attribute.payload.data(), address.size());
  return address;
}

}  // namespace

Result<void> RouteSpec::validate() const {
  if (vip.family != nodeIp.family) {
    return fail(Errc::InvalidArgument,
                "node IP " + nodeIp.toString() + " and VIP " + vip.toString() + " are of different address families");
  }
  return {};
}

RouteSpec RouteSpec::localVip(const IpAddress& vip) {
  RouteSpec spec{vip, vip};
  spec.local = true;
  return spec;
}

std::optional<IpAddress> RouteSpec::source() const {
  if (local && nodeIp == vip) return std::nullopt;
  return nodeIp;
}

std::string RouteSpec::toString() const {
  std::string text = vip.toString() + "/" + std::to_string(vip.prefixBits());
  if (local) {
    text = "local " + text + " dev lo" + (source() ? " src " + nodeIp.toString() : std::string());
  } else if (vip.isV4()) {
    text += " via " + nodeIp.toString();
  } else {
    if (outputInterface > 0) text += " dev #" + std::to_string(outputInterface);
    text += " src " + nodeIp.toString();
  }
  return text + " metric " + std::to_string(metric);
}

std::string RouteInfo::toString() const {
  std::string text = (type == RTN_LOCAL ? "local " : "") + destination.toString() + "/" + std::to_string(prefixLength);
  if (gateway) {
    text += " via " + gateway->toString();
  } else {
    text += outputInterface > 0 ? " dev #" + std::to_string(outputInterface) : std::string(" (no gateway)");
  }
  if (preferredSource) text += " src " + preferredSource->toString();
  return text + " metric " + std::to_string(metric) + " proto " + std::to_string(protocol) + " table " +
         std::to_string(table);
}

netlink::Message buildRouteDump(Family family, std::uint8_t protocol) {
  rtmsg header{};
  header.rtm_family = static_cast<std::uint8_t>(family == Family::V4 ? AF_INET : AF_INET6);
  header.rtm_table = RT_TABLE_MAIN;
  header.rtm_protocol = protocol;
  return netlink::MessageBuilder(RTM_GETROUTE, 0).header(header).finish();
}

netlink::Message buildRouteAdd(const RouteSpec& spec, bool replace) {
  const std::uint16_t flags = NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);
  rtmsg header = routeHeader(spec.vip.family, static_cast<std::uint8_t>(spec.vip.prefixBits()), kRouteProtocol);
  if (spec.local) {
    header.rtm_type = RTN_LOCAL;
    header.rtm_scope = RT_SCOPE_HOST;
  }
  netlink::MessageBuilder builder(RTM_NEWROUTE, flags);
  builder.header(header).putBytes(RTA_DST, addressBytes(spec.vip));
  if (spec.local) {
    builder.putU32(RTA_OIF, static_cast<std::uint32_t>(kLoopbackIfindex));
    if (const auto source = spec.source()) builder.putBytes(RTA_PREFSRC, addressBytes(*source));
  } else if (spec.vip.isV4()) {
    builder.putBytes(RTA_GATEWAY, addressBytes(spec.nodeIp));
  } else {
    // IPv6 refuses a local gateway: name the interface and the source the IPv4 route implies.
    if (spec.outputInterface > 0) builder.putU32(RTA_OIF, static_cast<std::uint32_t>(spec.outputInterface));
    builder.putBytes(RTA_PREFSRC, addressBytes(spec.nodeIp));
  }
  builder.putU32(RTA_PRIORITY, spec.metric).putU32(RTA_TABLE, RT_TABLE_MAIN);
  return builder.finish();
}

netlink::Message buildRouteDelete(const RouteInfo& route) {
  rtmsg header = routeHeader(route.family, route.prefixLength, route.protocol);
  header.rtm_type = route.type;
  header.rtm_scope = route.scope;
  // The kernel matches a delete on the table, protocol, type, scope, metric and gateway it is given.
  header.rtm_table = static_cast<std::uint8_t>(route.table < 256 ? route.table : RT_TABLE_UNSPEC);
  netlink::MessageBuilder builder(RTM_DELROUTE, 0);
  builder.header(header).putBytes(RTA_DST, addressBytes(route.destination));
  if (route.gateway) builder.putBytes(RTA_GATEWAY, addressBytes(*route.gateway));
  if (route.preferredSource) builder.putBytes(RTA_PREFSRC, addressBytes(*route.preferredSource));
  builder.putU32(RTA_PRIORITY, route.metric).putU32(RTA_TABLE, route.table);
  if (route.outputInterface > 0) builder.putU32(RTA_OIF, static_cast<std::uint32_t>(route.outputInterface));
  return builder.finish();
}

Result<RouteInfo> parseRoute(const netlink::MessageView& message) {
  if (message.type != RTM_NEWROUTE) {
    return fail(Errc::Malformed, "expected a route message, got type " + std::to_string(message.type));
  }
  auto attributes = netlink::skipHeader(message, sizeof(rtmsg), "rtmsg");
  if (!attributes) return passOn(attributes);
  rtmsg header{};
  std::memcpy(&header, message.payload.data(), sizeof header);
  RouteInfo route;
  if (header.rtm_family == AF_INET6) {
    route.family = Family::V6;
  } else if (header.rtm_family != AF_INET) {
    return fail(Errc::Malformed, "route of unexpected family " + std::to_string(header.rtm_family));
  }
  route.destination.family = route.family;
  route.prefixLength = header.rtm_dst_len;
  route.table = header.rtm_table;
  route.protocol = header.rtm_protocol;
  route.type = header.rtm_type;
  route.scope = header.rtm_scope;

  auto table = netlink::AttributeTable::parse(*attributes, RTA_MAX);
  if (!table) return passOn(table, "route");
  if (const auto* dst = table->find(RTA_DST)) {
    auto address = readAddress(*dst, route.family, "RTA_DST");
    if (!address) return passOn(address);
    route.destination = *address;
  }
  if (const auto* gateway = table->find(RTA_GATEWAY)) {
    auto address = readAddress(*gateway, route.family, "RTA_GATEWAY");
    if (!address) return passOn(address);
    route.gateway = *address;
  }
  if (const auto* source = table->find(RTA_PREFSRC)) {
    auto address = readAddress(*source, route.family, "RTA_PREFSRC");
    if (!address) return passOn(address);
    route.preferredSource = *address;
  }
  if (table->has(RTA_TABLE)) {
    auto value = table->requireU32(RTA_TABLE, "RTA_TABLE");
    if (!value) return passOn(value);
    route.table = *value;
  }
  if (table->has(RTA_PRIORITY)) {
    auto value = table->requireU32(RTA_PRIORITY, "RTA_PRIORITY");
    if (!value) return passOn(value);
    route.metric = *value;
  }
  if (table->has(RTA_OIF)) {
    auto value = table->requireU32(RTA_OIF, "RTA_OIF");
    if (!value) return passOn(value);
    route.outputInterface = static_cast<int>(*value);
  }
  return route;
}

bool isVipRoute(const RouteInfo& route, const IpAddress& vip) {
  return route.family == vip.family && route.table == RT_TABLE_MAIN && route.prefixLength == vip.prefixBits() &&
         route.destination == vip;
}

RouteOwner classifyRoute(const RouteInfo& route, const std::optional<IpAddress>& nodeIp) {
  if (route.protocol == kRouteProtocol) return RouteOwner::Ours;
  if (nodeIp && route.protocol == RTPROT_BOOT && route.type == RTN_UNICAST && route.gateway == nodeIp &&
      route.metric == kRouteMetric) {
    return RouteOwner::Legacy;
  }
  return RouteOwner::Foreign;
}

bool isExactRoute(const RouteInfo& route, const RouteSpec& spec) {
  if (!isVipRoute(route, spec.vip) || route.protocol != kRouteProtocol || route.metric != spec.metric) return false;
  if (spec.local) {
    return route.type == RTN_LOCAL && !route.gateway && route.preferredSource == spec.source() &&
           route.outputInterface == kLoopbackIfindex;
  }
  if (route.type != RTN_UNICAST) return false;
  if (spec.vip.isV4()) return route.gateway == spec.nodeIp;
  return !route.gateway && route.preferredSource == spec.nodeIp && route.outputInterface > 0 &&
         (spec.outputInterface == 0 || route.outputInterface == spec.outputInterface);
}

}  // namespace lvscare::host
