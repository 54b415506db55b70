// Time from a real server's process death to its removal from the kernel's balancing (issue 15:
// goal < 5 ms p99). Sends SIGKILL to the server's process itself, so that the start of the clock is
// the kill and not a shell's fork, then waits for the datapath to stop giving the server new
// connections (removed, or weight 0) and prints the time between, in microseconds:
//
//   kill_to_removal --datapath nftables|ipvs --vs VIP:PORT --rs IP:PORT --pid PID [--timeout-ms N]
//   -> "kill_to_removal_us=1234 change=removed"   (exit 0)
//
// nftables announces every committed change on NFNLGRP_NFTABLES: the clock stops when the
// announcement that carries the change is read (the kernel sends it after the commit), confirmed by
// reading the ruleset. IPVS announces nothing: the tool reads the destinations with a 200 us pause
// between reads (the pause leaves the CPU to the balancer under test) and stops the clock after the
// read that shows the change, so its figures are late by up to one read and one pause, never early. Exit 3: the server
// was not in rotation before the kill; exit 4: not taken out within the timeout; exit 2: bad arguments; exit 1: the
// kernel refused.
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "ipvs/ipvs_datapath.hpp"
#include "lvscare/datapath.hpp"
#include "lvscare/endpoint.hpp"
#include "netlink/subscription.hpp"
#include "nftables/nft_datapath.hpp"

namespace {

using namespace lvscare;
using Clock = std::chrono::steady_clock;

struct Arguments {
  std::string datapath;
  ServiceKey service;
  Endpoint server;
  pid_t pid = 0;
  std::chrono::milliseconds timeout{3000};
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "kill_to_removal: %s\nusage: kill_to_removal --datapath nftables|ipvs --vs VIP:PORT "
               "--rs IP:PORT --pid PID [--timeout-ms N]\n",
               why.c_str());
  std::exit(2);
}

long positiveNumber(std::string_view flag, const char* text) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value <= 0) usage(std::string(flag) + ": a positive number, not " + text);
  return value;
}

Arguments parse(int argc, char** argv) {
  Arguments arguments;
  bool haveVs = false, haveRs = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage(std::string(flag) + " needs a value");
    const char* value = argv[++i];
    if (flag == "--datapath") {
      arguments.datapath = value;
    } else if (flag == "--vs" || flag == "--rs") {
      auto endpoint = Endpoint::parse(value);
      if (!endpoint) usage(std::string(flag) + ": " + endpoint.error().message);
      (flag == "--vs" ? arguments.service.endpoint : arguments.server) = *endpoint;
      (flag == "--vs" ? haveVs : haveRs) = true;
    } else if (flag == "--pid") {
      arguments.pid = static_cast<pid_t>(positiveNumber(flag, value));
    } else if (flag == "--timeout-ms") {
      arguments.timeout = std::chrono::milliseconds(positiveNumber(flag, value));
    } else {
      usage("unknown flag " + std::string(flag));
    }
  }
  if (arguments.datapath != "nftables" && arguments.datapath != "ipvs") usage("--datapath: nftables or ipvs");
  if (!haveVs || !haveRs || arguments.pid == 0) usage("--vs, --rs and --pid are required");
  return arguments;
}

Result<std::unique_ptr<Datapath>> openDatapath(const std::string& name) {
  if (name == "ipvs") {
    auto ipvs = ipvs::IpvsDatapath::open();
    if (!ipvs) return passOn(ipvs);
    return std::unique_ptr<Datapath>(std::move(*ipvs));
  }
  auto nft = nftables::NftDatapath::open();
  if (!nft) return passOn(nft);
  return std::unique_ptr<Datapath>(std::move(*nft));
}

// "active" (weight > 0), "weight0", "removed" (no such destination, or no such virtual server).
Result<std::string> rotationOf(Datapath& datapath, const Arguments& arguments) {
  auto servers = datapath.listRealServers(arguments.service);
  if (!servers) return std::string("removed");  // the whole virtual server is gone: nothing is sent
  for (const RealServerStatus& status : *servers) {
    if (status.server.endpoint == arguments.server) return std::string(status.server.weight > 0 ? "active" : "weight0");
  }
  return std::string("removed");
}

}  // namespace

int main(int argc, char** argv) {
  const Arguments arguments = parse(argc, argv);
  auto datapath = openDatapath(arguments.datapath);
  if (!datapath) {
    std::fprintf(stderr, "kill_to_removal: %s\n", datapath.error().message.c_str());
    return 1;
  }
  auto before = rotationOf(**datapath, arguments);
  if (!before || *before != "active") {
    std::fprintf(stderr, "kill_to_removal: %s is not in rotation before the kill\n",
                 arguments.server.toString().c_str());
    return 3;
  }
  // Joined before the kill, so no announcement is missed.
  std::optional<netlink::Subscription> announcements;
  if (arguments.datapath == "nftables") {
    const unsigned groups[] = {NFNLGRP_NFTABLES};
    auto subscription = netlink::Subscription::open(NETLINK_NETFILTER, groups);
    if (!subscription) {
      std::fprintf(stderr, "kill_to_removal: %s\n", subscription.error().message.c_str());
      return 1;
    }
    announcements.emplace(std::move(*subscription));
  }

  const Clock::time_point killed = Clock::now();
  if (::kill(arguments.pid, SIGKILL) != 0) {
    std::perror("kill_to_removal: kill");
    return 1;
  }
  const Clock::time_point deadline = killed + arguments.timeout;
  // Bounded by the deadline; each pass waits for an announcement (nftables) or 200 us (IPVS).
  while (Clock::now() < deadline) {
    Clock::time_point seen = Clock::now();
    if (announcements) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - seen).count();
      pollfd readable{announcements->fd(), POLLIN, 0};
      if (::poll(&readable, 1, static_cast<int>(left) + 1) <= 0) continue;
      seen = Clock::now();
      (void)announcements->drain([](const netlink::MessageView&) {});
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    auto now = rotationOf(**datapath, arguments);
    if (!announcements) seen = Clock::now();  // IPVS: after the read, so the figure is never early
    if (now && *now != "active") {
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(seen - killed).count();
      std::printf("kill_to_removal_us=%lld change=%s\n", static_cast<long long>(micros), now->c_str());
      return 0;
    }
  }
  std::fprintf(stderr, "kill_to_removal: %s still in rotation %lld ms after the kill\n",
               arguments.server.toString().c_str(), static_cast<long long>(arguments.timeout.count()));
  return 4;
}
