// Repair on the kernel's word: listens to what nftables and rtnetlink announce (kernel_notice.hpp
// decides what concerns us) and asks the care loop for a pass within milliseconds, instead of
// waiting for the next poll. IPVS announces nothing; its rules stay on the poll.
//
// Two sockets of its own (NETLINK_NETFILTER in NFNLGRP_NFTABLES; NETLINK_ROUTE in the link,
// address and route groups of both families), non-blocking, watched on the event loop. An overrun
// (announcements lost) counts as a change: the pass re-reads everything. A socket error ends the
// watch and says so once (onLost), and the caller goes back to polling everything.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "care/kernel_notice.hpp"
#include "lvscare/event_loop.hpp"
#include "netlink/subscription.hpp"

namespace lvscare::care {

class KernelWatch {
 public:
  struct Sources {
    bool nftables = true;
    bool rtnetlink = true;
  };
  struct Counters {
    std::uint64_t messages = 0;  // announcements read
    std::uint64_t changes = 0;   // onChange() calls: batches that concerned us
    std::uint64_t overruns = 0;  // announcements lost (a full pass each)
  };

  // onChange: something of ours may have changed; onLost: the watch has stopped (socket error).
  // Both are called from the dispatcher. The dispatcher must outlive the watch.
  static Result<std::unique_ptr<KernelWatch>> open(event::EpollDispatcher& dispatcher, WatchTargets targets,
                                                   Sources sources, std::function<void()> onChange,
                                                   std::function<void(const Error&)> onLost);
  ~KernelWatch();
  KernelWatch(const KernelWatch&) = delete;
  KernelWatch& operator=(const KernelWatch&) = delete;

  bool working() const { return !lost_; }
  const Counters& counters() const { return counters_; }

 private:
  struct Source {
    std::optional<netlink::Subscription> subscription;
    std::unique_ptr<event::FdWatch> watch;
  };
  KernelWatch(WatchTargets targets, std::function<void()> onChange, std::function<void(const Error&)> onLost);
  Result<void> listen(event::EpollDispatcher& dispatcher, Source& source, int protocol,
                      std::span<const unsigned> groups, bool nftables);
  void onReadable(Source& source, bool nftables);
  void lose(const Error& error);

  NoticeFilter filter_;
  std::function<void()> onChange_;
  std::function<void(const Error&)> onLost_;
  Source nftables_;
  Source rtnetlink_;
  Counters counters_;
  bool lost_ = false;
};

}  // namespace lvscare::care
