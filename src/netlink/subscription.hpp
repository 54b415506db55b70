// A netlink socket that only listens: it joins multicast groups (rtnetlink's link, address and
// route groups, nfnetlink's nftables group) and hands over what the kernel announces. Kept apart
// from Socket, whose reads wait for the answer to a request: this one never waits, it is read when
// the event loop says it is readable. CLOEXEC|NONBLOCK.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "lvscare/unique_fd.hpp"
#include "netlink/reply.hpp"

namespace lvscare::netlink {

class Subscription {
 public:
  // protocol: NETLINK_ROUTE, NETLINK_NETFILTER; groups: RTNLGRP_*, NFNLGRP_* (numbers, not masks).
  static Result<Subscription> open(int protocol, std::span<const unsigned> groups);

  int fd() const { return fd_.get(); }

  // What one drain() found.
  struct Drained {
    std::size_t messages = 0;
    // The receive buffer overran since the last read (ENOBUFS): announcements were lost, so the
    // caller must assume anything may have changed.
    bool overrun = false;
    // The datagram limit was reached with more maybe waiting: call again (from the loop).
    bool more = false;
  };
  // Reads every datagram waiting, at most `maxDatagrams`, and hands each message to `onMessage`.
  // Datagrams not from the kernel are dropped. Fails only on a real socket error or a datagram
  // that does not split into messages.
  Result<Drained> drain(const std::function<void(const MessageView&)>& onMessage, int maxDatagrams = 64);

 private:
  explicit Subscription(UniqueFd fd) : fd_(std::move(fd)), buffer_(kBufferSize) {}

  // Large enough for any one datagram the kernel multicasts (it sends one message per datagram,
  // at most a page or two; 64 KiB leaves room for nftables' larger rules).
  static constexpr std::size_t kBufferSize = 64 * 1024;

  UniqueFd fd_;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace lvscare::netlink

namespace lvscare::netlink {

// The port id the kernel gave a bound netlink socket (what it puts in nlmsg_pid of the
// announcements that socket's requests cause); std::nullopt when it cannot say.
std::optional<std::uint32_t> portIdOf(int fd);

}  // namespace lvscare::netlink
