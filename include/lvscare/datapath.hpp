// The one interface between the care loop and a kernel load balancer. IpvsDatapath, NftDatapath and
// FakeDatapath implement it; the care loop never knows which one it drives.
#pragma once

#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lvscare/endpoint.hpp"
#include "lvscare/result.hpp"

namespace lvscare {

enum class Protocol : std::uint8_t { Tcp, Udp, Sctp };
std::string_view toString(Protocol protocol);
Result<Protocol> parseProtocol(std::string_view text);  // "tcp", "udp", "sctp"

// How packets reach a real server (IPVS's four methods; nftables does Masquerade only and refuses
// the others as Unsupported). The IPVS codec maps them to its wire codes.
enum class ForwardMethod : std::uint8_t { Masquerade, Local, Tunnel, DirectRoute };
std::string_view toString(ForwardMethod method);

// IP_VS_SVC_F_* flags a caller may set. The kernel's own IP_VS_SVC_F_HASHED is never reported.
namespace svcflags {
inline constexpr std::uint32_t kPersistent = 0x0001;
inline constexpr std::uint32_t kOnePacket = 0x0004;
inline constexpr std::uint32_t kSchedFlag1 = 0x0008;  // sh-fallback, mh-fallback
inline constexpr std::uint32_t kSchedFlag2 = 0x0010;  // sh-port, mh-port
inline constexpr std::uint32_t kSchedFlag3 = 0x0020;
}  // namespace svcflags

// Identifies a virtual server: protocol + VIP + port.
struct ServiceKey {
  Protocol protocol = Protocol::Tcp;
  Endpoint endpoint;

  std::string toString() const;  // "TCP 10.103.97.12:6443"
  auto operator<=>(const ServiceKey&) const = default;
};

struct VirtualServer {
  ServiceKey key;
  std::string scheduler = "rr";
  std::uint32_t flags = 0;               // svcflags::*
  std::uint32_t persistenceTimeout = 0;  // seconds; with kPersistent
  std::uint32_t netmaskBits = 0;         // persistence granularity as a prefix; 0 = host (32 / 128)

  bool operator==(const VirtualServer&) const = default;
};

struct RealServer {
  Endpoint endpoint;
  std::uint32_t weight = 1;  // 0 = no new connections; established ones continue
  ForwardMethod forward = ForwardMethod::Masquerade;
  std::uint32_t upperThreshold = 0;  // 0 = no limit
  std::uint32_t lowerThreshold = 0;

  bool operator==(const RealServer&) const = default;
};

struct RealServerStats {
  std::uint32_t activeConnections = 0;
  std::uint32_t inactiveConnections = 0;
  std::uint32_t persistentConnections = 0;
  std::uint64_t connections = 0;
  std::uint64_t inPackets = 0;
  std::uint64_t outPackets = 0;
  std::uint64_t inBytes = 0;
  std::uint64_t outBytes = 0;
};

struct RealServerStatus {
  RealServer server;
  RealServerStats stats;
};

// One virtual server as the kernel has it, with its real servers. (A flag rather than
// std::optional: g++ 12 warns falsely about moving an optional VirtualServer.)
struct VirtualServerState {
  bool exists = false;  // false: no such virtual server; the other fields are empty
  VirtualServer service;
  std::vector<RealServerStatus> reals;
};

// One change to a datapath. For real-server ops, `service` names the virtual server (its key is
// what matters); for virtual-server ops, `service` is the whole definition.
struct DatapathOp {
  enum class Kind : std::uint8_t {
    AddVirtualServer,
    UpdateVirtualServer,
    DeleteVirtualServer,
    AddRealServer,
    UpdateRealServer,
    DeleteRealServer,
  };
  Kind kind = Kind::AddVirtualServer;
  VirtualServer service;
  RealServer real;

  static DatapathOp addVirtualServer(VirtualServer vs);
  static DatapathOp updateVirtualServer(VirtualServer vs);
  static DatapathOp deleteVirtualServer(ServiceKey key);
  static DatapathOp addRealServer(ServiceKey key, RealServer rs);
  static DatapathOp updateRealServer(ServiceKey key, RealServer rs);
  static DatapathOp deleteRealServer(ServiceKey key, Endpoint rs);

  std::string toString() const;  // "add real server 10.0.0.2:6443 weight 1 to TCP 10.0.0.1:6443"
};

class Datapath {
 public:
  virtual ~Datapath() = default;

  // "ipvs", "nftables", "fake".
  virtual std::string_view name() const = 0;

  // Applies `ops` in order and returns one result per op, in the same order. Implementations send
  // them without a round trip each (IPVS pipelines requests; nftables commits one atomic batch, and
  // if that batch fails every op reports the failure). Adding what exists reports Errc::Exists,
  // deleting what is absent Errc::NotFound: the caller decides whether that matters.
  virtual std::vector<Result<void>> apply(std::span<const DatapathOp> ops) = 0;

  // The virtual servers this datapath can see (IPVS: all; nftables: those in our own tables).
  virtual Result<std::vector<VirtualServer>> listVirtualServers() = 0;
  virtual Result<VirtualServer> getVirtualServer(const ServiceKey& key) = 0;
  virtual Result<std::vector<RealServerStatus>> listRealServers(const ServiceKey& key) = 0;
  // getVirtualServer and listRealServers in one read; a missing virtual server is not an error
  // (exists = false). The care loop calls this several times a second, so a datapath that can read
  // both more cheaply than with the two calls (IPVS: one datagram, one reply) overrides it.
  virtual Result<VirtualServerState> readVirtualServer(const ServiceKey& key);

  // Removes every virtual server this datapath owns (IPVS: the whole table; nftables: our tables
  // only, never anyone else's).
  virtual Result<void> flush() = 0;

  // Single-op conveniences over apply().
  Result<void> addVirtualServer(const VirtualServer& vs);
  Result<void> updateVirtualServer(const VirtualServer& vs);
  Result<void> deleteVirtualServer(const ServiceKey& key);
  Result<void> addRealServer(const ServiceKey& key, const RealServer& rs);
  Result<void> updateRealServer(const ServiceKey& key, const RealServer& rs);
  Result<void> deleteRealServer(const ServiceKey& key, const Endpoint& rs);

 protected:
  Datapath() = default;
  Datapath(const Datapath&) = default;
  Datapath& operator=(const Datapath&) = default;
};

}  // namespace lvscare
