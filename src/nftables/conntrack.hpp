// Conntrack entries of a load-balanced service, over ctnetlink (NETLINK_NETFILTER,
// NFNL_SUBSYS_CTNETLINK). Removing a backend deletes the entries of connections it was serving, so
// their clients see a reset at once and reconnect to another backend instead of hanging.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "lvscare/datapath.hpp"
#include "netlink/socket.hpp"

namespace lvscare::nftables {

struct ConntrackTuple {
  Endpoint source;
  Endpoint destination;
  std::uint8_t protocol = 0;  // IPPROTO_*
};

// One entry from a dump: its tuples decoded, and the raw attributes needed to delete exactly it.
struct ConntrackEntry {
  ConntrackTuple original;
  ConntrackTuple reply;
  netlink::Bytes originalTuple;  // CTA_TUPLE_ORIG payload
  std::optional<std::uint16_t> zone;
};

// Pure codec.
netlink::Message conntrackDumpRequest(Family family);
// The original and reply tuples (CTA_TUPLE_ORIG, CTA_TUPLE_REPLY) of a ctnetlink message.
Result<void> parseConntrackTuples(const netlink::AttributeTable& entry, ConntrackTuple& original,
                                  ConntrackTuple& reply);
Result<ConntrackEntry> parseConntrackEntry(const netlink::MessageView& message);
netlink::Message conntrackDeleteRequest(Family family, const ConntrackEntry& entry);
// A connection through the virtual server `key` (original destination VIP:port) that DNAT sent to
// one of `backends` (the reply comes from it).
bool servedBy(const ConntrackEntry& entry, const ServiceKey& key, std::span<const Endpoint> backends);

// Backends removed from one virtual server.
struct RemovedBackends {
  ServiceKey key;
  std::vector<Endpoint> backends;
};

// Dumps the conntrack table once per address family involved and deletes the entries of
// connections any `removed` backend was serving; returns how many were deleted (an entry that
// expired meanwhile counts as deleted).
Result<std::size_t> deleteConntrackEntries(netlink::Socket& socket, std::span<const RemovedBackends> removed);

}  // namespace lvscare::nftables
