// What the care loop's repair check (every 250 ms) costs in route mode: hasRoute on a node whose
// main table holds many foreign routes, on the product's strict socket (the kernel filters the
// dump) and on a plain one (filtered here, as on kernels before 4.20); `ip route show` doing the
// same lookup is the anchor. Root only: everything happens in a private network namespace.
#include <linux/netlink.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <benchmark/benchmark.h>

#include "host/routes.hpp"
#include "host/rtnl.hpp"
#include "support/netns.hpp"
#include "support/run_command.hpp"

namespace {

using namespace lvscare;

const host::RouteSpec kSpec{IpAddress::parse("10.77.1.1").value(), IpAddress::parse("10.77.0.2").value()};

// Connected veth, our route, and `count` foreign /32 routes in 10.78.0.0/16.. (ip -batch).
bool populate(int count) {
  if (testing::run("ip link add v0 type veth peer name v1 && ip addr add 10.77.0.1/24 dev v0 && "
                   "ip link set v0 up && ip link set v1 up")
          .status != 0) {
    return false;
  }
  const std::string batch = "/tmp/lvscare-host-bench-routes";
  {
    std::ofstream out(batch);
    for (int i = 0; i < count; ++i)
      out << "route add 10." << 78 + i / 65536 << "." << (i / 256) % 256 << "." << i % 256 << "/32 via 10.77.0.3\n";
  }
  const bool ok = testing::run("ip -batch " + batch).status == 0;
  std::remove(batch.c_str());
  return ok;
}

void hasRouteOn(benchmark::State& state, netlink::Socket& socket) {
  for (auto _ : state) {
    auto found = host::hasRoute(socket, kSpec);
    if (!found || !*found) state.SkipWithError("hasRoute failed");
    benchmark::DoNotOptimize(found);
  }
}

void BM_HasRouteStrict(benchmark::State& state) {
  auto socket = host::openRouteSocket();
  hasRouteOn(state, *socket);
}

void BM_HasRoutePlain(benchmark::State& state) {
  auto socket = netlink::Socket::open(NETLINK_ROUTE);
  hasRouteOn(state, *socket);
}

void BM_IpRouteShowAnchor(benchmark::State& state) {
  for (auto _ : state) {
    auto shown = testing::run("ip -j route show 10.77.1.1/32 proto 76");
    if (shown.status != 0) state.SkipWithError("ip route show failed");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (!testing::isRoot()) {
    std::fprintf(stderr, "needs root: the benchmark makes a private network namespace\n");
    return 77;
  }
  testing::PrivateNetns netns;  // benchmarks run on this (main) thread, so in this namespace
  if (!netns.ok()) {
    std::fprintf(stderr, "%s\n", netns.error().c_str());
    return 1;
  }
  const int foreign = 10000;
  auto socket = host::openRouteSocket();
  if (!socket || !populate(foreign) || !host::ensureRoute(*socket, kSpec)) {
    std::fprintf(stderr, "setup failed\n");
    return 1;
  }
  std::printf("main table: %d foreign routes + ours\n", foreign);
  benchmark::RegisterBenchmark("hasRoute/strict_socket", BM_HasRouteStrict);
  benchmark::RegisterBenchmark("hasRoute/plain_socket", BM_HasRoutePlain);
  benchmark::RegisterBenchmark("anchor/ip_route_show", BM_IpRouteShowAnchor);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
