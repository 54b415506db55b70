// What passive detection spends on a conntrack event that is someone else's (a busy node's
// kube-proxy services and pods): a full parse, as before, against the pre-filter that looks for the
// VIP's address bytes first (nftables/conntrack_events.hpp, mayConcern). Pure CPU, no kernel:
//   build/bench/conntrack_filter_bench
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <benchmark/benchmark.h>

#include "nftables/conntrack_events.hpp"
#include "unit/nftables/conntrack_test_helpers.hpp"

namespace {

using namespace lvscare;

// An UPDATE to ESTABLISHED of a connection 10.244.1.7:40000 -> 10.96.0.10:53 (a service DNATed by
// kube-proxy to a pod), with status, protoinfo and id, as the kernel sends it.
netlink::Message foreignEvent() {
  netlink::MessageBuilder builder(static_cast<std::uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW), 0);
  builder.nfgenHeader(AF_INET, 0);
  const Endpoint client = Endpoint::parse("10.244.1.7:40000").value();
  nftables::testing::putTuple(builder, CTA_TUPLE_ORIG, client, Endpoint::parse("10.96.0.10:53").value());
  nftables::testing::putTuple(builder, CTA_TUPLE_REPLY, Endpoint::parse("10.244.2.3:53").value(), client);
  builder.putBe32(CTA_STATUS, 0x18e);
  const auto info = builder.beginNested(CTA_PROTOINFO);
  const auto tcp = builder.beginNested(CTA_PROTOINFO_TCP);
  builder.putU8(CTA_PROTOINFO_TCP_STATE, 3);
  builder.endNested(tcp);
  builder.endNested(info);
  builder.putBe32(CTA_ID, 0x12345678);
  return builder.finish();
}

void BM_ParseEveryEvent(benchmark::State& state) {
  const netlink::Message message = foreignEvent();
  const auto views = netlink::splitMessages(message.bytes).value();
  for (auto _ : state) benchmark::DoNotOptimize(nftables::parseConntrackEvent(views.front()));
}
BENCHMARK(BM_ParseEveryEvent);

void BM_PreFilterThenSkip(benchmark::State& state) {
  const netlink::Message message = foreignEvent();
  const auto views = netlink::splitMessages(message.bytes).value();
  const IpAddress vip = IpAddress::v4(10, 103, 97, 2);
  for (auto _ : state) benchmark::DoNotOptimize(nftables::mayConcern(views.front().payload, vip));
}
BENCHMARK(BM_PreFilterThenSkip);

}  // namespace

BENCHMARK_MAIN();
