// The IPVS generic-netlink codec: requests built from VirtualServer / RealServer / ServiceKey, and
// replies decoded back into them. Pure functions, no I/O: the byte layout is linux/ip_vs.h's.
//
// Wire facts this file encodes (checked against net/netfilter/ipvs/ip_vs_ctl.c):
//   - ports are big-endian u16; addresses are 16 bytes (union nf_inet_addr) even for IPv4;
//   - IPVS_SVC_ATTR_FLAGS is struct ip_vs_flags {flags, mask};
//   - IPVS_SVC_ATTR_NETMASK is a u32: for IPv4 the mask itself in network order, for IPv6 a prefix
//     length 1..128 in host order (the kernel rejects 0 there);
//   - the kernel adds IP_VS_SVC_F_HASHED to every service's flags: stripped on read;
//   - IPVS_DEST_ATTR_ADDR_FAMILY exists since 3.18 (absent: the service's family).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "lvscare/datapath.hpp"
#include "netlink/message.hpp"
#include "netlink/reply.hpp"

namespace lvscare::ipvs {

// Longest scheduler name the kernel takes: IP_VS_SCHEDNAME_MAXLEN (16) including the NUL.
inline constexpr std::size_t kMaxSchedulerName = 15;
// Longest persistence timeout accepted, in seconds (31 days, as ipvsadm allows).
inline constexpr std::uint32_t kMaxPersistenceTimeout = 31 * 24 * 3600;
// The kernel keeps weights in an int.
inline constexpr std::uint32_t kMaxWeight = 0x7fffffff;

// Schedulers the mainline kernel ships (ip_vs_<name>.ko). Others are accepted if their name is sane:
// out-of-tree schedulers exist.
bool isKnownScheduler(std::string_view name);

// Checks done before anything is encoded; each failure is Errc::InvalidArgument naming the field.
Result<void> validateScheduler(std::string_view name);
Result<void> validateVirtualServer(const VirtualServer& vs);
Result<void> validateRealServer(const ServiceKey& service, const RealServer& rs);

// Requests. `family` is the IPVS generic netlink family id (resolveFamily("IPVS")). The socket adds
// NLM_F_REQUEST / NLM_F_ACK / NLM_F_DUMP and the sequence number.
Result<netlink::Message> addServiceRequest(std::uint16_t family, const VirtualServer& vs);
Result<netlink::Message> setServiceRequest(std::uint16_t family, const VirtualServer& vs);
netlink::Message deleteServiceRequest(std::uint16_t family, const ServiceKey& key);
netlink::Message getServiceRequest(std::uint16_t family, const ServiceKey& key);  // one service (doit)
netlink::Message dumpServicesRequest(std::uint16_t family);                       // every service (dump)
Result<netlink::Message> addDestRequest(std::uint16_t family, const ServiceKey& key, const RealServer& rs);
Result<netlink::Message> setDestRequest(std::uint16_t family, const ServiceKey& key, const RealServer& rs);
netlink::Message deleteDestRequest(std::uint16_t family, const ServiceKey& key, const Endpoint& rs);
netlink::Message dumpDestsRequest(std::uint16_t family, const ServiceKey& key);
// One virtual server and its destinations as one query (netlink::Socket::query): GET_SERVICE for
// `key` (index kReadService) and the dump of its destinations (index kReadDests).
inline constexpr std::size_t kReadService = 0;
inline constexpr std::size_t kReadDests = 1;
std::array<netlink::Query, 2> readServiceQueries(std::uint16_t family, const ServiceKey& key);
netlink::Message flushRequest(std::uint16_t family);
netlink::Message getConfigRequest(std::uint16_t family);  // timeouts
netlink::Message getInfoRequest(std::uint16_t family);    // version, connection table size

// The request for one Datapath op (validated first).
Result<netlink::Message> encodeOp(std::uint16_t family, const DatapathOp& op);

// Traffic counters of a service or destination (IPVS_*_ATTR_STATS64, else the 32-bit STATS).
struct Counters {
  std::uint64_t connections = 0;
  std::uint64_t inPackets = 0;
  std::uint64_t outPackets = 0;
  std::uint64_t inBytes = 0;
  std::uint64_t outBytes = 0;
  bool operator==(const Counters&) const = default;
};

// One service as the kernel reports it. A firewall-mark service (fwmark != 0, made by another tool)
// has no protocol/address/port: `server.key` is then meaningless and the datapath skips it.
struct ServiceEntry {
  VirtualServer server;
  std::uint32_t fwmark = 0;
  Counters counters;
};

struct Timeouts {
  std::uint32_t tcp = 0;  // seconds
  std::uint32_t tcpFin = 0;
  std::uint32_t udp = 0;
  bool operator==(const Timeouts&) const = default;
};

struct Info {
  std::uint32_t version = 0;  // 0x010201 = "1.2.1"
  std::uint32_t connectionTableSize = 0;
  std::string versionString() const;
};

// Decoders for one reply message each (after the socket matched it to our request). Every one is
// checked: a truncated or missing attribute is Errc::Malformed naming it, never a crash.
Result<ServiceEntry> decodeService(const netlink::MessageView& message);
// `serviceFamily` is used when the kernel (< 3.18) sends no IPVS_DEST_ATTR_ADDR_FAMILY.
Result<RealServerStatus> decodeDest(const netlink::MessageView& message, Family serviceFamily);
Result<Timeouts> decodeTimeouts(const netlink::MessageView& message);
Result<Info> decodeInfo(const netlink::MessageView& message);

}  // namespace lvscare::ipvs
