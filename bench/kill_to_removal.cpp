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
// read that shows the change, so its figures are late by up to one read and one pause, never early.
//
// The floor beside it: the tool holds an idle TCP connection of its own to the server, opened just
// before the kill, and also prints when that connection's end (the FIN or reset the server's kernel
// sends as it closes the dead process's sockets) is read: "kill_to_close_us=987", -1 if not within
// the timeout. No one holding a connection learns of the death sooner; until then the server's
// kernel still accepts connections, and resets them when the process's listener goes.
//
// Exit 3: the server was not in rotation (or not accepting) before the kill; exit 4: not taken out
// within the timeout; exit 2: bad arguments; exit 1: the kernel refused.
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ipvs/ipvs_datapath.hpp"
#include "lvscare/datapath.hpp"
#include "lvscare/endpoint.hpp"
#include "lvscare/socket_address.hpp"
#include "netlink/subscription.hpp"
#include "nftables/nft_datapath.hpp"

namespace {

using namespace lvscare;
using Clock = std::chrono::steady_clock;
// Once the removal is seen, how long the idle connection's end is still waited for.
constexpr std::chrono::seconds kCloseAfterRemoval{1};

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

// A blocking connect to the server (1 s at most), for the idle connection whose end is the floor.
int connectIdle(const Endpoint& server) {
  sockaddr_storage address{};
  const socklen_t length = toSockaddr(server, address);
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const timeval second{1, 0};
  (void)::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &second, sizeof second);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True once the connection's end has been read (end of stream or an error such as a reset).
bool endRead(int fd) {
  char byte[64];
  const ssize_t got = ::recv(fd, byte, sizeof byte, MSG_DONTWAIT);
  return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
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

  const int idle = connectIdle(arguments.server);
  if (idle < 0) {
    std::fprintf(stderr, "kill_to_removal: %s does not accept before the kill\n", arguments.server.toString().c_str());
    return 3;
  }

  const Clock::time_point killed = Clock::now();
  if (::kill(arguments.pid, SIGKILL) != 0) {
    std::perror("kill_to_removal: kill");
    return 1;
  }
  const Clock::time_point deadline = killed + arguments.timeout;
  std::optional<Clock::time_point> closed, removed;
  std::string change;
  // Bounded by the deadline; each pass waits for an announcement (nftables) or 200 us (IPVS, or the
  // removal seen), and for the idle connection's end, whichever comes first.
  while (Clock::now() < deadline && !(closed && removed) &&
         !(removed && Clock::now() - *removed > kCloseAfterRemoval)) {
    // The announcements while the removal is awaited; the idle connection until its end is read.
    pollfd ready[2] = {{closed ? -1 : idle, POLLIN, 0},
                       {announcements && !removed ? announcements->fd() : -1, POLLIN, 0}};
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now());
    const bool waitForAnnouncement = announcements && !removed;
    const timespec pause = waitForAnnouncement ? timespec{static_cast<time_t>(left.count() / 1000000000),
                                                          static_cast<long>(left.count() % 1000000000)}
                                               : timespec{0, 200000};
    if (::ppoll(ready, 2, &pause, nullptr) < 0) continue;
    const Clock::time_point seen = Clock::now();
    if (!closed && (ready[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0 && endRead(idle)) closed = seen;
    if (removed) continue;
    if (announcements) {
      if ((ready[1].revents & POLLIN) == 0) continue;  // the idle connection's end woke us
      (void)announcements->drain([](const netlink::MessageView&) {});
    }
    auto now = rotationOf(**datapath, arguments);
    if (now && *now != "active") {
      // IPVS: the time after the read, so the figure is never early.
      removed = announcements ? seen : Clock::now();
      change = *now;
    }
  }
  ::close(idle);
  const auto micros = [&](Clock::time_point at) {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(at - killed).count());
  };
  if (!removed) {
    std::fprintf(stderr, "kill_to_removal: %s still in rotation %lld ms after the kill\n",
                 arguments.server.toString().c_str(), static_cast<long long>(arguments.timeout.count()));
    return 4;
  }
  std::printf("kill_to_removal_us=%lld change=%s kill_to_close_us=%lld\n", micros(*removed), change.c_str(),
              closed ? micros(*closed) : -1LL);
  return 0;
}
