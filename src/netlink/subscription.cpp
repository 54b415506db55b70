#include "netlink/subscription.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

namespace lvscare::netlink {

Result<Subscription> Subscription::open(int protocol, std::span<const unsigned> groups) {
  UniqueFd owned(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol));
  if (!owned) return failErrno(errno, "open netlink socket (protocol " + std::to_string(protocol) + ")");
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(owned.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
    return failErrno(errno, "bind netlink socket");
  for (const unsigned group : groups) {
    // NETLINK_ADD_MEMBERSHIP takes a group number, so groups above 32 work too (nl_groups cannot).
    if (::setsockopt(owned.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0)
      return failErrno(errno, "join netlink group " + std::to_string(group));
  }
  // A burst (nft flush ruleset of a big ruleset, many routes gone with a link) should not overrun
  // the buffer; if it does, drain() says so and the caller re-reads everything. Forced size needs
  // CAP_NET_ADMIN; otherwise the plain one, capped by net.core.rmem_max.
  const int size = 4 << 20;
  if (::setsockopt(owned.get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void)::setsockopt(owned.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return Subscription(std::move(owned));
}

Result<Subscription::Drained> Subscription::drain(const std::function<void(const MessageView&)>& onMessage,
                                                  int maxDatagrams) {
  Drained drained;
  int interrupted = 0;
  for (int datagram = 0; datagram < maxDatagrams;) {
    sockaddr_nl from{};
    iovec vector{buffer_.data(), buffer_.size()};
    msghdr header{};
    header.msg_name = &from;
    header.msg_namelen = sizeof from;
    header.msg_iov = &vector;
    header.msg_iovlen = 1;
    const ssize_t received = ::recvmsg(fd_.get(), &header, 0);
    if (received < 0) {
      if (errno == EAGAIN) return drained;
      if (errno == EINTR && ++interrupted < 100) continue;
      // The error is reported once and the socket goes on working; what was lost is lost.
      if (errno == ENOBUFS) {
        drained.overrun = true;
        ++datagram;
        continue;
      }
      return failErrno(errno, "receive netlink announcement");
    }
    ++datagram;
    if (from.nl_pid != 0) continue;  // only the kernel announces
    if (header.msg_flags & MSG_TRUNC) {
      // Cannot happen with a 64 KiB buffer; if it ever does, the message is lost like in an overrun.
      drained.overrun = true;
      continue;
    }
    auto messages = splitMessages(Bytes(buffer_.data(), static_cast<std::size_t>(received)));
    if (!messages) return passOn(messages, "netlink announcement");
    for (const auto& message : *messages) {
      ++drained.messages;
      onMessage(message);
    }
  }
  drained.more = true;
  return drained;
}

}  // namespace lvscare::netlink

namespace lvscare::netlink {

std::optional<std::uint32_t> portIdOf(int fd) {
  sockaddr_nl local{};
  socklen_t length = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0 || local.nl_family != AF_NETLINK)
    return std::nullopt;
  return local.nl_pid;
}

}  // namespace lvscare::netlink
