#include "nftables/conntrack_events.hpp"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <span>

namespace lvscare::nftables {

using netlink::AttributeTable;

namespace {

constexpr std::uint16_t kSubsystemShift = 8;
constexpr int kReceiveBufferBytes = 4 * 1024 * 1024;  // bursts of thousands of connections

Result<std::optional<TcpState>> parseTcpState(const AttributeTable& entry) {
  if (!entry.has(CTA_PROTOINFO)) return std::optional<TcpState>();
  auto info = entry.requireNested(CTA_PROTOINFO, CTA_PROTOINFO_MAX, "conntrack protoinfo");
  if (!info) return passOn(info);
  if (!info->has(CTA_PROTOINFO_TCP)) return std::optional<TcpState>();
  auto tcp = info->requireNested(CTA_PROTOINFO_TCP, CTA_PROTOINFO_TCP_MAX, "conntrack tcp protoinfo");
  if (!tcp) return passOn(tcp);
  if (!tcp->has(CTA_PROTOINFO_TCP_STATE)) return std::optional<TcpState>();
  auto state = tcp->requireU8(CTA_PROTOINFO_TCP_STATE, "conntrack tcp state");
  if (!state) return passOn(state);
  if (*state > static_cast<std::uint8_t>(TcpState::SynSent2)) {
    return fail(Errc::Malformed, "conntrack tcp state " + std::to_string(*state) + " unknown");
  }
  return std::optional<TcpState>(static_cast<TcpState>(*state));
}

}  // namespace

Result<ConntrackEvent> parseConntrackEvent(const netlink::MessageView& message) {
  if ((message.type >> kSubsystemShift) != NFNL_SUBSYS_CTNETLINK) {
    return fail(Errc::Malformed, "not a ctnetlink message (type " + std::to_string(message.type) + ")");
  }
  ConntrackEvent out;
  switch (message.type & 0xff) {
    case IPCTNL_MSG_CT_NEW:
      // The kernel marks a new entry's event with CREATE|EXCL; an update has neither.
      out.type = (message.flags & NLM_F_CREATE) != 0 ? ConntrackEventType::New : ConntrackEventType::Update;
      break;
    case IPCTNL_MSG_CT_DELETE: out.type = ConntrackEventType::Destroy; break;
    default:
      return fail(Errc::Malformed, "not a conntrack event (command " + std::to_string(message.type & 0xff) + ")");
  }
  auto attributes = netlink::skipHeader(message, sizeof(nfgenmsg), "nfgenmsg");
  if (!attributes) return passOn(attributes);
  auto entry = AttributeTable::parse(*attributes, CTA_MAX);
  if (!entry) return passOn(entry);
  if (auto tuples = parseConntrackTuples(*entry, out.original, out.reply); !tuples) return passOn(tuples);
  auto id = entry->requireBe32(CTA_ID, "conntrack id");
  if (!id) return passOn(id);
  out.id = *id;
  if (entry->has(CTA_STATUS)) {
    auto status = entry->requireBe32(CTA_STATUS, "conntrack status");
    if (!status) return passOn(status);
    out.status = *status;
  }
  auto state = parseTcpState(*entry);
  if (!state) return passOn(state);
  out.tcpState = *state;
  return out;
}

Result<ConntrackEventSocket> ConntrackEventSocket::open() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER));
  if (!fd) return failErrno(errno, "open ctnetlink event socket");
  // FORCE goes past rmem_max (we are CAP_NET_ADMIN); the plain option is the fallback.
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &kReceiveBufferBytes, sizeof kReceiveBufferBytes) != 0) {
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &kReceiveBufferBytes, sizeof kReceiveBufferBytes);
  }
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    return failErrno(errno, "bind ctnetlink event socket");
  }
  for (const int group : {NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_UPDATE, NFNLGRP_CONNTRACK_DESTROY}) {
    if (::setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0) {
      return failErrno(errno, "subscribe to conntrack events (group " + std::to_string(group) + ")");
    }
  }
  return ConntrackEventSocket(std::move(fd));
}

bool mayConcern(netlink::Bytes message, const IpAddress& address) {
  const auto needle = std::span(address.bytes).first(address.size());
  return std::search(message.begin(), message.end(), needle.begin(), needle.end()) != message.end();
}

Result<ConntrackEventSocket::Batch> ConntrackEventSocket::readAvailable(std::size_t maxDatagrams) {
  Batch batch;
  for (std::size_t read = 0; read < maxDatagrams; ++read) {
    sockaddr_nl from{};
    socklen_t fromLength = sizeof from;
    const ssize_t received =
        ::recvfrom(fd_.get(), buffer_.data(), buffer_.size(), 0, reinterpret_cast<sockaddr*>(&from), &fromLength);
    if (received < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      if (errno == ENOBUFS) {
        batch.overran = true;  // the socket is still good: events after the overrun keep coming
        continue;
      }
      return failErrno(errno, "receive conntrack events");
    }
    if (from.nl_pid != 0) continue;  // only the kernel sends events
    auto messages = netlink::splitMessages(netlink::Bytes(buffer_.data(), static_cast<std::size_t>(received)));
    if (!messages) {
      ++batch.malformed;
      continue;
    }
    for (const auto& message : *messages) {
      if (destination_ && !mayConcern(message.payload, *destination_)) {
        ++batch.skipped;
        continue;
      }
      auto event = parseConntrackEvent(message);
      if (event) batch.events.push_back(std::move(*event));
      else ++batch.malformed;
    }
  }
  return batch;
}

}  // namespace lvscare::nftables
