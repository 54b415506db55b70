#include "nftables/conntrack.hpp"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "nftables/lb_ruleset.hpp"

namespace lvscare::nftables {

using netlink::AttributeTable;
using netlink::MessageBuilder;

namespace {

std::uint16_t ctType(std::uint16_t command) {
  return static_cast<std::uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | command);
}

std::uint8_t afFamily(Family family) { return family == Family::V4 ? AF_INET : AF_INET6; }

Result<IpAddress> tupleAddress(const AttributeTable& ip, std::uint16_t v4, std::uint16_t v6, std::string_view name) {
  IpAddress address;
  const auto* attribute = ip.find(v4);
  address.family = Family::V4;
  if (attribute == nullptr) {
    attribute = ip.find(v6);
    address.family = Family::V6;
  }
  if (attribute == nullptr) return fail(Errc::Malformed, "conntrack tuple without " + std::string(name) + " address");
  if (attribute->payload.size() != address.size()) {
    return fail(Errc::Malformed, "conntrack " + std::string(name) + " address has " +
                                     std::to_string(attribute->payload.size()) + " bytes");
  }
  std::memcpy(address.bytes.data(), attribute->payload.data(), address.size());
  return address;
}

Result<ConntrackTuple> parseTuple(const AttributeTable& entry, std::uint16_t type, std::string_view name) {
  auto tuple = entry.requireNested(type, CTA_TUPLE_MAX, name);
  if (!tuple) return passOn(tuple);
  auto ip = tuple->requireNested(CTA_TUPLE_IP, CTA_IP_MAX, "conntrack tuple ip");
  if (!ip) return passOn(ip);
  auto proto = tuple->requireNested(CTA_TUPLE_PROTO, CTA_PROTO_MAX, "conntrack tuple proto");
  if (!proto) return passOn(proto);
  ConntrackTuple out;
  auto source = tupleAddress(*ip, CTA_IP_V4_SRC, CTA_IP_V6_SRC, "source");
  if (!source) return passOn(source);
  auto destination = tupleAddress(*ip, CTA_IP_V4_DST, CTA_IP_V6_DST, "destination");
  if (!destination) return passOn(destination);
  auto number = proto->requireU8(CTA_PROTO_NUM, "conntrack protocol");
  if (!number) return passOn(number);
  out.source.address = *source;
  out.destination.address = *destination;
  out.protocol = *number;
  // Ports only exist for port-based protocols (not ICMP).
  if (proto->has(CTA_PROTO_SRC_PORT)) {
    auto port = proto->requireBe16(CTA_PROTO_SRC_PORT, "conntrack source port");
    if (!port) return passOn(port);
    out.source.port = *port;
  }
  if (proto->has(CTA_PROTO_DST_PORT)) {
    auto port = proto->requireBe16(CTA_PROTO_DST_PORT, "conntrack destination port");
    if (!port) return passOn(port);
    out.destination.port = *port;
  }
  return out;
}

}  // namespace

Result<void> parseConntrackTuples(const AttributeTable& entry, ConntrackTuple& original, ConntrackTuple& reply) {
  auto parsedOriginal = parseTuple(entry, CTA_TUPLE_ORIG, "conntrack original tuple");
  if (!parsedOriginal) return passOn(parsedOriginal);
  auto parsedReply = parseTuple(entry, CTA_TUPLE_REPLY, "conntrack reply tuple");
  if (!parsedReply) return passOn(parsedReply);
  original = *parsedOriginal;
  reply = *parsedReply;
  return {};
}

netlink::Message conntrackDumpRequest(Family family) {
  return MessageBuilder(ctType(IPCTNL_MSG_CT_GET), 0).nfgenHeader(afFamily(family), 0).finish();
}

Result<ConntrackEntry> parseConntrackEntry(const netlink::MessageView& message) {
  auto attributes = netlink::skipHeader(message, sizeof(nfgenmsg), "nfgenmsg");
  if (!attributes) return passOn(attributes);
  auto entry = AttributeTable::parse(*attributes, CTA_MAX);
  if (!entry) return passOn(entry);
  ConntrackEntry out;
  if (auto tuples = parseConntrackTuples(*entry, out.original, out.reply); !tuples) return passOn(tuples);
  out.originalTuple = entry->find(CTA_TUPLE_ORIG)->payload;
  if (entry->has(CTA_ZONE)) {
    auto zone = entry->requireBe16(CTA_ZONE, "conntrack zone");
    if (!zone) return passOn(zone);
    out.zone = *zone;
  }
  return out;
}

netlink::Message conntrackDeleteRequest(Family family, const ConntrackEntry& entry) {
  MessageBuilder builder(ctType(IPCTNL_MSG_CT_DELETE), 0);
  builder.nfgenHeader(afFamily(family), 0);
  // The tuple exactly as the kernel reported it: nothing to re-encode, nothing to get wrong.
  builder.putBytes(CTA_TUPLE_ORIG | NLA_F_NESTED, entry.originalTuple);
  if (entry.zone) builder.putBe16(CTA_ZONE, *entry.zone);
  return builder.finish();
}

bool servedBy(const ConntrackEntry& entry, const ServiceKey& key, std::span<const Endpoint> backends) {
  if (entry.original.protocol != ipProtocolNumber(key.protocol) || entry.original.destination != key.endpoint)
    return false;
  return std::find(backends.begin(), backends.end(), entry.reply.source) != backends.end();
}

Result<std::size_t> deleteConntrackEntries(netlink::Socket& socket, std::span<const RemovedBackends> removed) {
  std::size_t deleted = 0;
  for (const Family family : {Family::V4, Family::V6}) {
    const bool involved = std::any_of(removed.begin(), removed.end(), [&](const RemovedBackends& r) {
      return r.key.endpoint.address.family == family && !r.backends.empty();
    });
    if (!involved) continue;
    auto dump = socket.dump(conntrackDumpRequest(family));
    if (!dump) return passOn(dump);
    std::vector<netlink::Message> deletes;
    for (const auto& message : dump->messages) {
      auto entry = parseConntrackEntry(message);
      if (!entry) return passOn(entry, "conntrack dump");
      const bool match = std::any_of(removed.begin(), removed.end(),
                                     [&](const RemovedBackends& r) { return servedBy(*entry, r.key, r.backends); });
      if (match) deletes.push_back(conntrackDeleteRequest(family, *entry));
    }
    if (deletes.empty()) continue;
    const auto results = socket.pipeline(deletes);
    for (const auto& result : results) {
      if (!result && result.error().code != Errc::NotFound) return passOn(result, "delete conntrack entry");
    }
    deleted += deletes.size();
  }
  return deleted;
}

}  // namespace lvscare::nftables
