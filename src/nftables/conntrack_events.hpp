// Conntrack events (ctnetlink multicast groups NEW, UPDATE, DESTROY): the kernel's word on every
// connection it tracks, as it happens. For passive failure detection: a connection that DNAT sent
// to a real server and that the server refused (SYN answered by RST: SYN_SENT straight to CLOSE)
// or never answered shows up here within microseconds, long before the next health check.
// The codec is pure; ConntrackEventSocket only opens the subscription and reads what is queued.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "lvscare/result.hpp"
#include "lvscare/unique_fd.hpp"
#include "netlink/reply.hpp"
#include "nftables/conntrack.hpp"

namespace lvscare::nftables {

enum class ConntrackEventType : std::uint8_t { New, Update, Destroy };

// The TCP states conntrack reports (enum tcp_conntrack, exposed to user space by ctnetlink).
enum class TcpState : std::uint8_t {
  None = 0,
  SynSent = 1,
  SynRecv = 2,
  Established = 3,
  FinWait = 4,
  CloseWait = 5,
  LastAck = 6,
  TimeWait = 7,
  Close = 8,
  SynSent2 = 9,
};

struct ConntrackEvent {
  ConntrackEventType type = ConntrackEventType::New;
  ConntrackTuple original;   // client -> VIP
  ConntrackTuple reply;      // real server -> client, after DNAT
  std::uint32_t id = 0;      // CTA_ID: the same for every event of one connection
  std::uint32_t status = 0;  // IPS_* bits
  std::optional<TcpState> tcpState;
};

// One ctnetlink event message (IPCTNL_MSG_CT_NEW with NLM_F_CREATE for NEW, without for UPDATE;
// IPCTNL_MSG_CT_DELETE for DESTROY). Fails on anything else or on a malformed message.
Result<ConntrackEvent> parseConntrackEvent(const netlink::MessageView& message);

// Whether an event message may concern connections to `address`: its bytes appear somewhere in the
// message. Necessary for the original destination to be that address, and one memory search
// instead of a parse: most events of a busy node (kube-proxy's services, pods' traffic) are
// someone else's. A match by chance only costs the parse it would have had anyway.
bool mayConcern(netlink::Bytes message, const IpAddress& address);

// A non-blocking ctnetlink socket subscribed to the NEW, UPDATE and DESTROY groups of this network
// namespace. Subscribing is what turns events on where net.netfilter.nf_conntrack_events is 2
// (the kernel's default: events only while someone listens). Needs CAP_NET_ADMIN.
class ConntrackEventSocket {
 public:
  static Result<ConntrackEventSocket> open();
  int fd() const { return fd_.get(); }

  // From now on only events that mayConcern() this address are parsed and returned (a VIP).
  void keepOnlyDestination(const IpAddress& address) { destination_ = address; }

  struct Batch {
    std::vector<ConntrackEvent> events;  // ours and, unless filtered, everyone else's
    std::size_t malformed = 0;           // messages that did not parse (skipped)
    std::size_t skipped = 0;             // messages the destination filter left unparsed
    bool overran = false;                // ENOBUFS: the kernel dropped events meanwhile
  };
  // Reads what is queued, at most `maxDatagrams` receive calls, without waiting.
  Result<Batch> readAvailable(std::size_t maxDatagrams = 64);

 private:
  explicit ConntrackEventSocket(UniqueFd fd) : fd_(std::move(fd)), buffer_(256 * 1024) {}
  UniqueFd fd_;
  std::vector<std::uint8_t> buffer_;
  std::optional<IpAddress> destination_;
};

}  // namespace lvscare::nftables
