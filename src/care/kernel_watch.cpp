#include "care/kernel_watch.hpp"

#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <array>

namespace lvscare::care {
namespace {

constexpr std::array<unsigned, 1> kNftGroups{NFNLGRP_NFTABLES};
constexpr std::array<unsigned, 5> kRtnlGroups{RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
                                              RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE};

}  // namespace

KernelWatch::KernelWatch(WatchTargets targets, std::function<void()> onChange, std::function<void(const Error&)> onLost)
    : filter_(std::move(targets)), onChange_(std::move(onChange)), onLost_(std::move(onLost)) {}

KernelWatch::~KernelWatch() = default;

Result<std::unique_ptr<KernelWatch>> KernelWatch::open(event::EpollDispatcher& dispatcher, WatchTargets targets,
                                                       Sources sources, std::function<void()> onChange,
                                                       std::function<void(const Error&)> onLost) {
  std::unique_ptr<KernelWatch> watch(new KernelWatch(std::move(targets), std::move(onChange), std::move(onLost)));
  if (sources.nftables) {
    if (auto listening = watch->listen(dispatcher, watch->nftables_, NETLINK_NETFILTER, kNftGroups, true); !listening)
      return passOn(listening, "watch nftables");
  }
  if (sources.rtnetlink) {
    if (auto listening = watch->listen(dispatcher, watch->rtnetlink_, NETLINK_ROUTE, kRtnlGroups, false); !listening)
      return passOn(listening, "watch rtnetlink");
  }
  return watch;
}

Result<void> KernelWatch::listen(event::EpollDispatcher& dispatcher, Source& source, int protocol,
                                 std::span<const unsigned> groups, bool nftables) {
  auto subscription = netlink::Subscription::open(protocol, groups);
  if (!subscription) return passOn(subscription);
  source.subscription.emplace(std::move(*subscription));
  auto watch = dispatcher.watch(source.subscription->fd(), event::fd_event::kRead,
                                [this, &source, nftables](std::uint32_t) { onReadable(source, nftables); });
  if (!watch) return passOn(watch);
  source.watch = std::move(*watch);
  return {};
}

void KernelWatch::onReadable(Source& source, bool nftables) {
  if (lost_) return;
  bool changed = false;
  auto drained = source.subscription->drain([&](const netlink::MessageView& message) {
    changed = (nftables ? filter_.onNftMessage(message) : filter_.onRtnlMessage(message)) || changed;
  });
  if (!drained) return lose(drained.error());
  counters_.messages += drained->messages;
  if (drained->overrun) {
    ++counters_.overruns;
    if (nftables) filter_.resetNft();
    changed = true;
  }
  // drained->more: the loop calls again, the socket being still readable (level-triggered).
  if (changed) {
    ++counters_.changes;
    onChange_();
  }
}

void KernelWatch::lose(const Error& error) {
  lost_ = true;
  // Destroying a watch from inside its own callback is allowed (event_loop.hpp).
  nftables_.watch.reset();
  rtnetlink_.watch.reset();
  onLost_(error);
}

}  // namespace lvscare::care
