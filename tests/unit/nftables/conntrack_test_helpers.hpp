// Builds ctnetlink tuples for the conntrack codec tests.
#pragma once

#include <netinet/in.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "lvscare/endpoint.hpp"
#include "netlink/message.hpp"

namespace lvscare::nftables::testing {

// A TCP tuple (IPv4) nested in attribute `type`: CTA_TUPLE_ORIG or CTA_TUPLE_REPLY.
inline void putTuple(netlink::MessageBuilder& builder, std::uint16_t type, const Endpoint& source,
                     const Endpoint& destination) {
  const auto tuple = builder.beginNested(type);
  const auto ip = builder.beginNested(CTA_TUPLE_IP);
  builder.putBytes(CTA_IP_V4_SRC, netlink::Bytes(source.address.bytes.data(), 4));
  builder.putBytes(CTA_IP_V4_DST, netlink::Bytes(destination.address.bytes.data(), 4));
  builder.endNested(ip);
  const auto proto = builder.beginNested(CTA_TUPLE_PROTO);
  builder.putU8(CTA_PROTO_NUM, IPPROTO_TCP)
      .putBe16(CTA_PROTO_SRC_PORT, source.port)
      .putBe16(CTA_PROTO_DST_PORT, destination.port);
  builder.endNested(proto);
  builder.endNested(tuple);
}

}  // namespace lvscare::nftables::testing
