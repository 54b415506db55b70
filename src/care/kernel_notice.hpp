// What the kernel announces about the objects the care loop keeps, decoded just far enough to tell
// whether it can concern us (pure: messages in, verdicts out; the sockets are in kernel_watch.hpp).
//
// nftables (NFNLGRP_NFTABLES) announces every committed change object by object (table, chain,
// rule, set, element), each naming its table, and ends each transaction with NFT_MSG_NEWGEN, which
// names the process that committed it. rtnetlink announces links (RTNLGRP_LINK), addresses
// (RTNLGRP_IPV*_IFADDR) and routes (RTNLGRP_IPV*_ROUTE); each message carries the port id of the
// socket whose request caused it (0 when the kernel acted on its own). IPVS announces nothing.
//
// Our own writes come back as announcements too. They are recognised (our rtnetlink socket's port
// id; our thread id in NEWGEN) and ignored, so a pass never wakes the next one; one that slips
// through (e.g. lvscare in a PID namespace of its own, where the kernel names the thread by its
// global id) costs one spare pass, which finds nothing to do and so writes nothing: no loop.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "lvscare/endpoint.hpp"
#include "netlink/reply.hpp"

namespace lvscare::care {

// ---- decoding ----

// A table, chain, rule, set, element or object of `table` added, changed or deleted.
struct NftObjectNotice {
  std::uint16_t command = 0;  // NFT_MSG_*
  std::uint8_t family = 0;    // NFPROTO_*
  std::string table;
};
// The end of one nftables transaction.
struct NftGenerationNotice {
  std::uint32_t portId = 0;
  std::optional<std::uint32_t> processId;  // NFTA_GEN_PROC_PID: the committing thread (global id)
};
struct RouteNotice {
  bool deleted = false;
  IpAddress destination;  // all zero for a default route
  std::uint8_t prefixLength = 0;
  std::uint8_t protocol = 0;
  std::uint32_t portId = 0;
};
struct LinkNotice {
  bool deleted = false;
  int index = 0;
  std::string name;
  unsigned flags = 0;  // IFF_*
  std::uint32_t portId = 0;
};
struct AddressNotice {
  bool deleted = false;
  IpAddress address;
  int index = 0;
  std::uint32_t portId = 0;
};
// std::monostate: a message of no interest (another subsystem, a trace, an ACK).
using KernelNotice =
    std::variant<std::monostate, NftObjectNotice, NftGenerationNotice, RouteNotice, LinkNotice, AddressNotice>;

// One message from the nftables group; Errc::Malformed when it does not decode.
Result<KernelNotice> decodeNftNotice(const netlink::MessageView& message);
// One message from the rtnetlink groups; Errc::Malformed when it does not decode.
Result<KernelNotice> decodeRtnlNotice(const netlink::MessageView& message);

// ---- deciding ----

// What is ours, as the notifications name it.
struct WatchTargets {
  std::set<std::pair<std::uint8_t, std::string>> nftTables;  // (NFPROTO_*, name): ours and the masquerade's
  IpAddress vip;                                             // routes to it, the address itself
  std::optional<IpAddress> nodeIp;                           // route mode's gateway or source
  std::string linkName;                                      // link mode's dummy link; empty: none
  std::vector<std::uint32_t> ownPortIds;                     // our rtnetlink sockets
  std::optional<std::uint32_t> ownThreadId;                  // who commits our nftables transactions
};

// Turns a stream of notifications into "a pass is worth running". Stateful only for nftables: an
// object change is held until its transaction's NEWGEN says whose it was.
class NoticeFilter {
 public:
  explicit NoticeFilter(WatchTargets targets) : targets_(std::move(targets)) {}

  // True when this message completes a change that may concern our state and was not ours. A
  // message that does not decode counts as a change (better one spare pass than a missed one).
  bool onNftMessage(const netlink::MessageView& message);
  bool onRtnlMessage(const netlink::MessageView& message);
  // The nftables stream lost messages (overrun): whatever was held is dropped; the caller runs a
  // full pass anyway.
  void resetNft() { nftPending_ = false; }

  // Decided on a decoded notice (the two above decode, then call these).
  bool concerns(const KernelNotice& notice);
  const WatchTargets& targets() const { return targets_; }

 private:
  bool ownPort(std::uint32_t portId) const;
  bool concernsRoute(const RouteNotice& route) const;
  bool concernsLink(const LinkNotice& link) const;
  bool concernsAddress(const AddressNotice& address) const;

  WatchTargets targets_;
  bool nftPending_ = false;  // an object of ours changed in the transaction under way
};

}  // namespace lvscare::care
