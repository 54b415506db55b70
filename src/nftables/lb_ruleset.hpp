// The nftables layout of one virtual server: a table of our own per VIP+port+protocol, so several
// lvscare instances, kube-proxy's and firewalld's tables never collide. Pure: builds the batch
// messages that create it, the equivalent `nft -f` text, and decodes it back from a rule dump.
//
//   table ip lvscare_tcp_169.254.0.1_80 {
//     comment "lvscare TCP 169.254.0.1:80 scheduler rr"
//     chain prerouting { type nat hook prerouting priority -100; ip daddr 169.254.0.1 tcp dport 80 goto lb }
//     chain output     { type nat hook output priority -100;     ip daddr 169.254.0.1 tcp dport 80 goto lb }
//     map slots { typeof numgen inc mod 3 : verdict; flags interval;
//                 elements = { 0 : goto rs_10.0.0.2_6443, 1 : goto rs_10.0.0.3_6443, 2 : ... } }
//     chain lb { numgen inc mod 3 vmap @slots comment "backends 3 active 3" }
//     chain rs_10.0.0.2_6443 { meta l4proto tcp counter dnat to 10.0.0.2:6443 comment "rs 10.0.0.2:6443 weight 1" }
//     ...
//   }
//
// Only the first packet of a connection traverses nat chains, so the choice is per new connection
// and established flows stay on their backend through conntrack (weight 0 = no slot in the map).
// Each backend chain's counter therefore counts the connections scheduled to it.
//
// Schedulers (nftables has no per-backend connection state to choose by, so selection is stateless):
//   rr               numgen inc over one slot per backend with weight > 0 (IPVS rr ignores weights too)
//   wrr              numgen inc over weight slots, interleaved like IPVS wrr when there are <= 256
//   random           numgen random over weight slots
//   lc wlc sed nq    the same weighted random: the stateless stand-in for least-connection
//   sh mh / dh       jhash of the source / destination address over weight slots
//   anything else    rejected with Errc::Unsupported
// With no backend of weight > 0 the lb chain rejects (ICMP port unreachable), as IPVS does.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lvscare/datapath.hpp"
#include "lvscare/datapath_model.hpp"
#include "nftables/objects.hpp"

namespace lvscare::nftables {

inline constexpr std::string_view kTablePrefix = "lvscare_";
inline constexpr std::string_view kSlotsMap = "slots";

// One virtual server and its backends: unique endpoints, sorted.
using LbService = ServiceState;

enum class Selector : std::uint8_t { Increment, Random, SourceHash, DestinationHash };
struct SchedulerPlan {
  Selector selector = Selector::Increment;
  bool weighted = true;     // false: one slot per backend with weight > 0
  bool interleave = false;  // spread slots like IPVS wrr instead of one range per backend
};
Result<SchedulerPlan> planScheduler(std::string_view scheduler);

// Backend `real` (an index into the list given) owns map keys [first, first + count).
struct Slot {
  std::size_t real = 0;
  std::uint32_t first = 0;
  std::uint32_t count = 0;
};
// Ordered by `first`, contiguous from 0; empty when no backend has weight > 0.
std::vector<Slot> computeSlots(const SchedulerPlan& plan, std::span<const RealServer> reals);

std::uint8_t nfFamily(Family family);              // NFPROTO_IPV4 / NFPROTO_IPV6
std::uint8_t ipProtocolNumber(Protocol protocol);  // IPPROTO_TCP ...
std::string_view protocolName(Protocol protocol);  // nft's spelling: tcp, udp, sctp
std::string lbTableName(const ServiceKey& key);    // lvscare_tcp_169.254.0.1_80, lvscare_tcp_fd00--1_80
// The key a table name stands for; std::nullopt for any table that is not a load balancer of ours.
std::optional<ServiceKey> parseLbTableName(std::uint8_t family, std::string_view name);
// An address inside an object name: IPv6 colons become '-' so nft's parser reads the name as one word.
std::string nameAddress(const IpAddress& address);
std::string backendChainName(const Endpoint& endpoint);  // rs_10.0.0.2_6443
std::string serviceComment(const VirtualServer& service);
std::string backendComment(const RealServer& real);
// The lb rule's comment: how many backend chains the table holds, so a decoder notices one gone.
std::string lbComment(std::size_t backends, std::size_t active);
std::size_t activeCount(std::span<const RealServer> reals);  // weight > 0

// What this datapath can express; Errc::Unsupported / InvalidArgument name the field otherwise.
Result<void> validateService(const VirtualServer& service);
Result<void> validateReal(const ServiceKey& key, const RealServer& real);

// Counters to carry into rewritten backend rules, by endpoint (absent: start from zero).
using ConnectionCounts = std::map<Endpoint, CounterValue>;

// Every message that creates the table (it must not exist at that point of the batch). `setId`
// must be unique within the batch: it ties the lb rule to the map created with it.
std::vector<Message> buildLbTable(const LbService& lb, std::uint32_t setId, const ConnectionCounts& counts = {});
// The messages that turn the intact table of `before` into `after` in place (same key and
// scheduler): the lb rule and map are rewritten, changed backend rules replaced, backend chains
// added and deleted; the table and its hooked chains stay. A one-backend change is a handful of
// messages instead of a whole table.
std::vector<Message> buildLbUpdate(const LbService& before, const LbService& after, std::uint32_t setId,
                                   const ConnectionCounts& counts = {});
// The same ruleset as `nft -f` input.
std::string renderLbNft(const LbService& lb);

struct LbReading {
  LbService lb;
  std::vector<CounterValue> counters;  // per reals[i]: its DNAT rule's counter = new connections sent to it
};
// Decodes our table from its rules. Errc::Malformed when anything we wrote is missing or altered
// (the table then counts as absent, and adding the virtual server again replaces it).
Result<LbReading> decodeLbTable(const TableInfo& table, std::span<const RuleInfo> rules);

}  // namespace lvscare::nftables
