#include "ipvs/ipvs_codec.hpp"

#include <endian.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include <fmt/format.h>

namespace lvscare::ipvs {
namespace {

using netlink::AttributeTable;
using netlink::Message;
using netlink::MessageBuilder;
using netlink::MessageView;

// Flags a caller may set; HASHED (0x2) belongs to the kernel.
constexpr std::uint32_t kSettableFlags = svcflags::kPersistent | svcflags::kOnePacket | svcflags::kSchedFlag1 |
                                         svcflags::kSchedFlag2 | svcflags::kSchedFlag3;
constexpr std::size_t kWireAddressSize = 16;  // sizeof(union nf_inet_addr)

constexpr std::array<std::string_view, 14> kKnownSchedulers = {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh",
                                                               "sh", "sed", "nq", "fo",  "ovf",  "mh",    "twos"};

std::uint16_t protocolNumber(Protocol protocol) {
  switch (protocol) {
    case Protocol::Tcp: return IPPROTO_TCP;
    case Protocol::Udp: return IPPROTO_UDP;
    case Protocol::Sctp: return IPPROTO_SCTP;
  }
  return 0;
}

Result<Protocol> protocolFromNumber(std::uint16_t number) {
  switch (number) {
    case IPPROTO_TCP: return Protocol::Tcp;
    case IPPROTO_UDP: return Protocol::Udp;
    case IPPROTO_SCTP: return Protocol::Sctp;
    default: return fail(Errc::Malformed, "service protocol " + std::to_string(number) + " is not TCP, UDP or SCTP");
  }
}

std::uint16_t addressFamily(Family family) { return family == Family::V4 ? AF_INET : AF_INET6; }

Result<Family> familyFromNumber(std::uint16_t af, std::string_view what) {
  if (af == AF_INET) return Family::V4;
  if (af == AF_INET6) return Family::V6;
  return fail(Errc::Malformed, fmt::format("{} address family {} is neither AF_INET nor AF_INET6", what, af));
}

// The u32 the kernel keeps in svc->netmask. 0 in our model means host granularity (/32, /128).
std::uint32_t wireNetmask(const VirtualServer& vs) {
  const unsigned hostBits = vs.key.endpoint.address.prefixBits();
  const unsigned bits = vs.netmaskBits == 0 ? hostBits : vs.netmaskBits;
  if (vs.key.endpoint.address.isV6()) return bits;
  const std::uint32_t mask = bits >= 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
  return htobe32(mask);
}

Result<std::uint32_t> netmaskBitsFromWire(std::uint32_t wire, Family family) {
  if (family == Family::V6) {
    if (wire == 0 || wire > 128)
      return fail(Errc::Malformed, fmt::format("IPv6 netmask prefix {} is not 1..128", wire));
    return wire == 128 ? 0 : wire;
  }
  const std::uint32_t mask = be32toh(wire);
  const auto bits = static_cast<std::uint32_t>(std::countl_one(mask));
  const std::uint32_t contiguous = bits >= 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
  if (mask != contiguous || bits == 0) {
    return fail(Errc::Malformed, fmt::format("IPv4 netmask {}.{}.{}.{} is not a prefix of 1..32 bits", mask >> 24,
                                             (mask >> 16) & 0xff, (mask >> 8) & 0xff, mask & 0xff));
  }
  return bits == 32 ? 0 : bits;
}

MessageBuilder start(std::uint16_t family, std::uint8_t command) {
  MessageBuilder builder(family, 0);
  builder.genlHeader(command, IPVS_GENL_VERSION);
  return builder;
}

void putAddress(MessageBuilder& builder, std::uint16_t type, const IpAddress& address) {
  // Always 16 bytes: the kernel copies sizeof(union nf_inet_addr); IPv4 is zero-padded.
  builder.putBytes(type, std::span<const std::uint8_t>(address.bytes.data(), kWireAddressSize));
}

// Nests are not marked NLA_F_NESTED: the kernel's own IPVS replies do not mark them either, and
// IPVS's legacy policies parse both.
void putServiceKey(MessageBuilder& builder, const ServiceKey& key) {
  builder.putU16(IPVS_SVC_ATTR_AF, addressFamily(key.endpoint.address.family));
  builder.putU16(IPVS_SVC_ATTR_PROTOCOL, protocolNumber(key.protocol));
  putAddress(builder, IPVS_SVC_ATTR_ADDR, key.endpoint.address);
  builder.putBe16(IPVS_SVC_ATTR_PORT, key.endpoint.port);
}

void putServiceNest(MessageBuilder& builder, const ServiceKey& key) {
  const auto nest = builder.beginNested(IPVS_CMD_ATTR_SERVICE, false);
  putServiceKey(builder, key);
  builder.endNested(nest);
}

void putDestKey(MessageBuilder& builder, const Endpoint& rs) {
  putAddress(builder, IPVS_DEST_ATTR_ADDR, rs.address);
  builder.putBe16(IPVS_DEST_ATTR_PORT, rs.port);
}

Message serviceMessage(std::uint16_t family, std::uint8_t command, const VirtualServer& vs) {
  MessageBuilder builder = start(family, command);
  const auto nest = builder.beginNested(IPVS_CMD_ATTR_SERVICE, false);
  putServiceKey(builder, vs.key);
  builder.putString(IPVS_SVC_ATTR_SCHED_NAME, vs.scheduler);
  // The mask says which flags this request sets: all of them, so the kernel's stored flags become
  // exactly ours (it re-adds its own HASHED bit).
  const ip_vs_flags flags{vs.flags, 0xffffffffu};
  builder.putBytes(IPVS_SVC_ATTR_FLAGS,
                   std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(&flags), sizeof flags));
  builder.putU32(IPVS_SVC_ATTR_TIMEOUT, vs.persistenceTimeout);
  builder.putU32(IPVS_SVC_ATTR_NETMASK, wireNetmask(vs));
  builder.endNested(nest);
  return builder.finish();
}

std::uint32_t forwardToWire(ForwardMethod method) {
  switch (method) {
    case ForwardMethod::Masquerade: return IP_VS_CONN_F_MASQ;
    case ForwardMethod::Local: return IP_VS_CONN_F_LOCALNODE;
    case ForwardMethod::Tunnel: return IP_VS_CONN_F_TUNNEL;
    case ForwardMethod::DirectRoute: return IP_VS_CONN_F_DROUTE;
  }
  return IP_VS_CONN_F_MASQ;  // unreachable: validateRealServer() refuses other values first
}

Message destMessage(std::uint16_t family, std::uint8_t command, const ServiceKey& key, const RealServer* full,
                    const Endpoint& rs) {
  MessageBuilder builder = start(family, command);
  putServiceNest(builder, key);
  const auto nest = builder.beginNested(IPVS_CMD_ATTR_DEST, false);
  putDestKey(builder, rs);
  if (full != nullptr) {
    builder.putU32(IPVS_DEST_ATTR_FWD_METHOD, forwardToWire(full->forward));
    builder.putU32(IPVS_DEST_ATTR_WEIGHT, full->weight);
    builder.putU32(IPVS_DEST_ATTR_U_THRESH, full->upperThreshold);
    builder.putU32(IPVS_DEST_ATTR_L_THRESH, full->lowerThreshold);
  }
  // Since 3.18; older kernels ignore the unknown attribute and use the service's family.
  builder.putU16(IPVS_DEST_ATTR_ADDR_FAMILY, addressFamily(rs.address.family));
  builder.endNested(nest);
  return builder.finish();
}

// The attributes after the genl header, after checking the reply's command.
Result<AttributeTable> topLevel(const MessageView& message, std::uint8_t wantCommand, std::uint16_t maxType,
                                std::string_view what) {
  auto payload = netlink::skipHeader(message, GENL_HDRLEN, "generic netlink");
  if (!payload) return passOn(payload, what);
  const std::uint8_t command = message.payload[0];
  if (command != wantCommand) {
    return fail(Errc::Malformed, fmt::format("{}: reply has IPVS command {}, want {}", what, command, wantCommand));
  }
  auto table = AttributeTable::parse(*payload, maxType);
  if (!table) return passOn(table, what);
  return table;
}

// The nest (service or destination) a reply carries, after checking the reply's command.
Result<AttributeTable> replyNest(const MessageView& message, std::uint8_t wantCommand, std::uint16_t nestType,
                                 std::uint16_t nestMax, std::string_view what, std::string_view nestName) {
  auto top = topLevel(message, wantCommand, IPVS_CMD_ATTR_MAX, what);
  if (!top) return passOn(top);
  auto nest = top->requireNested(nestType, nestMax, nestName);
  if (!nest) return passOn(nest, what);
  return nest;
}

Result<IpAddress> readAddress(const AttributeTable& table, std::uint16_t type, Family family, std::string_view name) {
  auto attribute = table.require(type, name);
  if (!attribute) return passOn(attribute);
  if (attribute->payload.size() != kWireAddressSize) {
    return fail(Errc::Malformed,
                fmt::format("attribute {} has {} bytes, want {}", name, attribute->payload.size(), kWireAddressSize));
  }
  IpAddress address;
  address.family = family;
  std::memcpy(address.bytes.data(), attribute->payload.data(), address.size());  // IPv4: first 4 only
  return address;
}

Result<Counters> readCounters(const AttributeTable& table, std::uint16_t stats32, std::uint16_t stats64) {
  Counters counters;
  const bool wide = table.has(stats64);
  if (!wide && !table.has(stats32)) return counters;  // counters are informative: absent means none
  auto stats = table.requireNested(wide ? stats64 : stats32, IPVS_STATS_ATTR_MAX, wide ? "stats64" : "stats");
  if (!stats) return passOn(stats);
  // STATS64 has every counter as u64; the old STATS has u32 counts and u64 byte counts.
  auto count = [&](std::uint16_t type, std::string_view name) -> Result<std::uint64_t> {
    if (wide) return stats->requireU64(type, name);
    return stats->requireU32(type, name).map([](std::uint32_t v) { return std::uint64_t{v}; });
  };
  auto connections = count(IPVS_STATS_ATTR_CONNS, "stats conns");
  if (!connections) return passOn(connections);
  auto inPackets = count(IPVS_STATS_ATTR_INPKTS, "stats inpkts");
  if (!inPackets) return passOn(inPackets);
  auto outPackets = count(IPVS_STATS_ATTR_OUTPKTS, "stats outpkts");
  if (!outPackets) return passOn(outPackets);
  auto inBytes = stats->requireU64(IPVS_STATS_ATTR_INBYTES, "stats inbytes");
  if (!inBytes) return passOn(inBytes);
  auto outBytes = stats->requireU64(IPVS_STATS_ATTR_OUTBYTES, "stats outbytes");
  if (!outBytes) return passOn(outBytes);
  counters = Counters{*connections, *inPackets, *outPackets, *inBytes, *outBytes};
  return counters;
}

Result<ForwardMethod> forwardFromWire(std::uint32_t value) {
  switch (value & IP_VS_CONN_F_FWD_MASK) {
    case IP_VS_CONN_F_MASQ: return ForwardMethod::Masquerade;
    case IP_VS_CONN_F_LOCALNODE: return ForwardMethod::Local;
    case IP_VS_CONN_F_TUNNEL: return ForwardMethod::Tunnel;
    case IP_VS_CONN_F_DROUTE: return ForwardMethod::DirectRoute;
    default: return fail(Errc::Malformed, fmt::format("destination forwarding method {} is unknown", value));
  }
}

Error invalid(const ServiceKey& key, std::string_view what) {
  return Error{Errc::InvalidArgument, 0, fmt::format("virtual server {}: {}", key.toString(), what)};
}

}  // namespace

bool isKnownScheduler(std::string_view name) {
  return std::find(kKnownSchedulers.begin(), kKnownSchedulers.end(), name) != kKnownSchedulers.end();
}

Result<void> validateScheduler(std::string_view name) {
  if (name.empty()) return fail(Errc::InvalidArgument, "scheduler name is empty");
  if (name.size() > kMaxSchedulerName) {
    return fail(Errc::InvalidArgument,
                fmt::format("scheduler name '{}' is longer than {} characters", name, kMaxSchedulerName));
  }
  // The name becomes a module name (ip_vs_<name>): keep it to what module names are made of.
  const bool sane = std::all_of(name.begin(), name.end(),
                                [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
  if (!sane) {
    return fail(Errc::InvalidArgument,
                fmt::format("scheduler name '{}' may only have lower-case letters, digits and '_'", name));
  }
  return {};
}

Result<void> validateVirtualServer(const VirtualServer& vs) {
  const ServiceKey& key = vs.key;
  if (auto scheduler = validateScheduler(vs.scheduler); !scheduler) {
    return fail(invalid(key, scheduler.error().message));
  }
  if ((vs.flags & ~kSettableFlags) != 0) {
    return fail(invalid(key, fmt::format("flags {:#x} include bits outside {:#x} (0x2 is the kernel's own)", vs.flags,
                                         kSettableFlags)));
  }
  const bool persistent = (vs.flags & svcflags::kPersistent) != 0;
  if (persistent && (vs.persistenceTimeout == 0 || vs.persistenceTimeout > kMaxPersistenceTimeout)) {
    return fail(invalid(key, fmt::format("persistence timeout must be 1..{} s, got {}", kMaxPersistenceTimeout,
                                         vs.persistenceTimeout)));
  }
  if (!persistent && vs.persistenceTimeout != 0) {
    return fail(invalid(key, "a persistence timeout needs the persistent flag"));
  }
  if (vs.netmaskBits > key.endpoint.address.prefixBits()) {
    return fail(invalid(key, fmt::format("persistence netmask /{} is longer than the address (/{})", vs.netmaskBits,
                                         key.endpoint.address.prefixBits())));
  }
  if (!persistent && vs.netmaskBits != 0) {
    return fail(invalid(key, "a persistence netmask needs the persistent flag"));
  }
  if (key.endpoint.port == 0 && !persistent) {
    return fail(invalid(key, "port 0 (all ports) needs the persistent flag"));
  }
  if ((vs.flags & svcflags::kOnePacket) != 0 && key.protocol != Protocol::Udp) {
    return fail(invalid(key, "one-packet scheduling is for UDP only"));
  }
  return {};
}

Result<void> validateRealServer(const ServiceKey& service, const RealServer& rs) {
  const std::string who = fmt::format("real server {} of {}", rs.endpoint.toString(), service.toString());
  if (rs.weight > kMaxWeight) {
    return fail(Errc::InvalidArgument, fmt::format("{}: weight {} is above {}", who, rs.weight, kMaxWeight));
  }
  if (rs.lowerThreshold > rs.upperThreshold) {
    // The kernel rejects this even when the upper threshold is 0 (no limit).
    return fail(Errc::InvalidArgument, fmt::format("{}: lower threshold {} is above upper threshold {}", who,
                                                   rs.lowerThreshold, rs.upperThreshold));
  }
  if (static_cast<std::uint8_t>(rs.forward) > static_cast<std::uint8_t>(ForwardMethod::DirectRoute)) {
    return fail(Errc::InvalidArgument, fmt::format("{}: unknown forwarding method", who));
  }
  if (rs.endpoint.address.family != service.endpoint.address.family && rs.forward != ForwardMethod::Tunnel) {
    return fail(Errc::InvalidArgument, fmt::format("{}: only tunnel forwarding can mix IPv4 and IPv6", who));
  }
  return {};
}

Result<Message> addServiceRequest(std::uint16_t family, const VirtualServer& vs) {
  if (auto valid = validateVirtualServer(vs); !valid) return passOn(valid);
  return serviceMessage(family, IPVS_CMD_NEW_SERVICE, vs);
}

Result<Message> setServiceRequest(std::uint16_t family, const VirtualServer& vs) {
  if (auto valid = validateVirtualServer(vs); !valid) return passOn(valid);
  return serviceMessage(family, IPVS_CMD_SET_SERVICE, vs);
}

Message deleteServiceRequest(std::uint16_t family, const ServiceKey& key) {
  MessageBuilder builder = start(family, IPVS_CMD_DEL_SERVICE);
  putServiceNest(builder, key);
  return builder.finish();
}

Message getServiceRequest(std::uint16_t family, const ServiceKey& key) {
  MessageBuilder builder = start(family, IPVS_CMD_GET_SERVICE);
  putServiceNest(builder, key);
  return builder.finish();
}

Message dumpServicesRequest(std::uint16_t family) { return start(family, IPVS_CMD_GET_SERVICE).finish(); }

Result<Message> addDestRequest(std::uint16_t family, const ServiceKey& key, const RealServer& rs) {
  if (auto valid = validateRealServer(key, rs); !valid) return passOn(valid);
  return destMessage(family, IPVS_CMD_NEW_DEST, key, &rs, rs.endpoint);
}

Result<Message> setDestRequest(std::uint16_t family, const ServiceKey& key, const RealServer& rs) {
  if (auto valid = validateRealServer(key, rs); !valid) return passOn(valid);
  return destMessage(family, IPVS_CMD_SET_DEST, key, &rs, rs.endpoint);
}

Message deleteDestRequest(std::uint16_t family, const ServiceKey& key, const Endpoint& rs) {
  return destMessage(family, IPVS_CMD_DEL_DEST, key, nullptr, rs);
}

Message dumpDestsRequest(std::uint16_t family, const ServiceKey& key) {
  MessageBuilder builder = start(family, IPVS_CMD_GET_DEST);
  putServiceNest(builder, key);
  return builder.finish();
}

std::array<netlink::Query, 2> readServiceQueries(std::uint16_t family, const ServiceKey& key) {
  std::array<netlink::Query, 2> queries;
  queries[kReadService] = netlink::Query{getServiceRequest(family, key), false};
  queries[kReadDests] = netlink::Query{dumpDestsRequest(family, key), true};
  return queries;
}

Message flushRequest(std::uint16_t family) { return start(family, IPVS_CMD_FLUSH).finish(); }
Message getConfigRequest(std::uint16_t family) { return start(family, IPVS_CMD_GET_CONFIG).finish(); }
Message getInfoRequest(std::uint16_t family) { return start(family, IPVS_CMD_GET_INFO).finish(); }

Result<Message> encodeOp(std::uint16_t family, const DatapathOp& op) {
  const ServiceKey& key = op.service.key;
  switch (op.kind) {
    case DatapathOp::Kind::AddVirtualServer: return addServiceRequest(family, op.service);
    case DatapathOp::Kind::UpdateVirtualServer: return setServiceRequest(family, op.service);
    case DatapathOp::Kind::DeleteVirtualServer: return deleteServiceRequest(family, key);
    case DatapathOp::Kind::AddRealServer: return addDestRequest(family, key, op.real);
    case DatapathOp::Kind::UpdateRealServer: return setDestRequest(family, key, op.real);
    case DatapathOp::Kind::DeleteRealServer: return deleteDestRequest(family, key, op.real.endpoint);
  }
  return fail(Errc::InvalidArgument, "unknown datapath op");
}

std::string Info::versionString() const {
  return fmt::format("{}.{}.{}", (version >> 16) & 0xff, (version >> 8) & 0xff, version & 0xff);
}

Result<ServiceEntry> decodeService(const MessageView& message) {
  auto svc =
      replyNest(message, IPVS_CMD_NEW_SERVICE, IPVS_CMD_ATTR_SERVICE, IPVS_SVC_ATTR_MAX, "IPVS service", "service");
  if (!svc) return passOn(svc);
  auto decode = [&]() -> Result<ServiceEntry> {
    ServiceEntry entry;
    VirtualServer& vs = entry.server;
    auto af = svc->requireU16(IPVS_SVC_ATTR_AF, "service af");
    if (!af) return passOn(af);
    auto family = familyFromNumber(*af, "service");
    if (!family) return passOn(family);
    if (const auto* fwmark = svc->find(IPVS_SVC_ATTR_FWMARK)) {
      auto mark = fwmark->u32("service fwmark");
      if (!mark) return passOn(mark);
      entry.fwmark = *mark;
      vs.key.endpoint.address.family = *family;
    }
    if (entry.fwmark == 0) {
      auto protocol = svc->requireU16(IPVS_SVC_ATTR_PROTOCOL, "service protocol").and_then(protocolFromNumber);
      if (!protocol) return passOn(protocol);
      auto address = readAddress(*svc, IPVS_SVC_ATTR_ADDR, *family, "service address");
      if (!address) return passOn(address);
      auto port = svc->requireBe16(IPVS_SVC_ATTR_PORT, "service port");
      if (!port) return passOn(port);
      vs.key = ServiceKey{*protocol, Endpoint{*address, *port}};
    }
    auto scheduler = svc->requireString(IPVS_SVC_ATTR_SCHED_NAME, "service scheduler");
    if (!scheduler) return passOn(scheduler);
    vs.scheduler = *scheduler;
    auto flags = svc->require(IPVS_SVC_ATTR_FLAGS, "service flags");
    if (!flags) return passOn(flags);
    if (flags->payload.size() != sizeof(ip_vs_flags)) {
      return fail(Errc::Malformed, fmt::format("attribute service flags has {} bytes, want {}", flags->payload.size(),
                                               sizeof(ip_vs_flags)));
    }
    ip_vs_flags wireFlags{};
    std::memcpy(&wireFlags, flags->payload.data(), sizeof wireFlags);
    vs.flags = wireFlags.flags & ~static_cast<std::uint32_t>(IP_VS_SVC_F_HASHED);
    auto timeout = svc->requireU32(IPVS_SVC_ATTR_TIMEOUT, "service timeout");
    if (!timeout) return passOn(timeout);
    vs.persistenceTimeout = *timeout;
    auto netmask = svc->requireU32(IPVS_SVC_ATTR_NETMASK, "service netmask").and_then([&](std::uint32_t wire) {
      return netmaskBitsFromWire(wire, *family);
    });
    if (!netmask) return passOn(netmask);
    vs.netmaskBits = *netmask;
    auto counters = readCounters(*svc, IPVS_SVC_ATTR_STATS, IPVS_SVC_ATTR_STATS64);
    if (!counters) return passOn(counters);
    entry.counters = *counters;
    return entry;
  };
  auto entry = decode();
  if (!entry) return passOn(entry, "IPVS service");
  return entry;
}

Result<RealServerStatus> decodeDest(const MessageView& message, Family serviceFamily) {
  auto dest =
      replyNest(message, IPVS_CMD_NEW_DEST, IPVS_CMD_ATTR_DEST, IPVS_DEST_ATTR_MAX, "IPVS destination", "destination");
  if (!dest) return passOn(dest);
  auto decode = [&]() -> Result<RealServerStatus> {
    RealServerStatus status;
    RealServer& rs = status.server;
    Family family = serviceFamily;
    if (const auto* af = dest->find(IPVS_DEST_ATTR_ADDR_FAMILY)) {
      auto value =
          af->u16("destination af").and_then([](std::uint16_t v) { return familyFromNumber(v, "destination"); });
      if (!value) return passOn(value);
      family = *value;
    }
    auto address = readAddress(*dest, IPVS_DEST_ATTR_ADDR, family, "destination address");
    if (!address) return passOn(address);
    auto port = dest->requireBe16(IPVS_DEST_ATTR_PORT, "destination port");
    if (!port) return passOn(port);
    rs.endpoint = Endpoint{*address, *port};
    auto forward =
        dest->requireU32(IPVS_DEST_ATTR_FWD_METHOD, "destination forwarding method").and_then(forwardFromWire);
    if (!forward) return passOn(forward);
    rs.forward = *forward;
    struct Field {
      std::uint16_t type;
      std::string_view name;
      std::uint32_t* target;
    };
    RealServerStats& stats = status.stats;
    const std::array<Field, 6> fields = {{
        {IPVS_DEST_ATTR_WEIGHT, "destination weight", &rs.weight},
        {IPVS_DEST_ATTR_U_THRESH, "destination upper threshold", &rs.upperThreshold},
        {IPVS_DEST_ATTR_L_THRESH, "destination lower threshold", &rs.lowerThreshold},
        {IPVS_DEST_ATTR_ACTIVE_CONNS, "destination active connections", &stats.activeConnections},
        {IPVS_DEST_ATTR_INACT_CONNS, "destination inactive connections", &stats.inactiveConnections},
        {IPVS_DEST_ATTR_PERSIST_CONNS, "destination persistent connections", &stats.persistentConnections},
    }};
    for (const auto& field : fields) {
      auto value = dest->requireU32(field.type, field.name);
      if (!value) return passOn(value);
      *field.target = *value;
    }
    auto counters = readCounters(*dest, IPVS_DEST_ATTR_STATS, IPVS_DEST_ATTR_STATS64);
    if (!counters) return passOn(counters);
    stats.connections = counters->connections;
    stats.inPackets = counters->inPackets;
    stats.outPackets = counters->outPackets;
    stats.inBytes = counters->inBytes;
    stats.outBytes = counters->outBytes;
    return status;
  };
  auto status = decode();
  if (!status) return passOn(status, "IPVS destination");
  return status;
}

Result<Timeouts> decodeTimeouts(const MessageView& message) {
  auto top = topLevel(message, IPVS_CMD_SET_CONFIG, IPVS_CMD_ATTR_MAX, "IPVS timeouts");
  if (!top) return passOn(top);
  auto tcp = top->requireU32(IPVS_CMD_ATTR_TIMEOUT_TCP, "tcp timeout");
  auto tcpFin = top->requireU32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, "tcp fin timeout");
  auto udp = top->requireU32(IPVS_CMD_ATTR_TIMEOUT_UDP, "udp timeout");
  for (const auto* value : {&tcp, &tcpFin, &udp}) {
    if (!*value) return passOn(*value, "IPVS timeouts");
  }
  return Timeouts{*tcp, *tcpFin, *udp};
}

Result<Info> decodeInfo(const MessageView& message) {
  auto table = topLevel(message, IPVS_CMD_SET_INFO, IPVS_INFO_ATTR_MAX, "IPVS info");
  if (!table) return passOn(table);
  auto version = table->requireU32(IPVS_INFO_ATTR_VERSION, "version");
  if (!version) return passOn(version, "IPVS info");
  auto size = table->requireU32(IPVS_INFO_ATTR_CONN_TAB_SIZE, "connection table size");
  if (!size) return passOn(size, "IPVS info");
  return Info{*version, *size};
}

}  // namespace lvscare::ipvs
