// Traffic through a virtual server we programmed: three HTTP servers (busybox httpd), each in its own
// network namespace joined to the test's namespace by veth, behind a masquerading virtual server.
// Every address exists only inside the VM (or the fresh namespace run.sh gives an IPVS host).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "vm_fixture.hpp"

namespace lvscare::testing {
namespace {

constexpr int kServers = 3;
constexpr std::string_view kVip = "10.0.0.100";

// One HTTP/1.0 GET with bounded waits; returns the body.
Result<std::string> httpGet(std::string_view address, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return failErrno(errno, "socket");
  const timeval timeout{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);  // bounds connect() too
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, std::string(address).c_str(), &to.sin_addr);
  std::string response;
  Result<std::string> outcome = fail(Errc::Io, "no response");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    outcome = failErrno(errno, fmt::format("connect {}:{}", address, port));
  } else {
    const std::string request = "GET /index.html HTTP/1.0\r\nHost: lvscare-test\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (int reads = 0; reads < 100; ++reads) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        response.append(buffer, static_cast<std::size_t>(n));
      }
      const auto body = response.find("\r\n\r\n");
      if (body != std::string::npos) outcome = response.substr(body + 4);
    }
  }
  ::close(fd);
  return outcome;
}

std::string serverAddress(int k) { return fmt::format("10.210.{}.2", k); }

// The three namespaces, veth pairs, HTTP servers and the VIP's dummy link; removed again in the
// destructor, also when the test fails half-way.
class ThreeServerLab {
 public:
  ThreeServerLab() : tag_(std::to_string(::getpid())) {
    char pattern[] = "/tmp/lvs-ipvs-www.XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
      error_ = "mkdtemp failed";
      return;
    }
    www_ = pattern;
    for (int k = 1; k <= kServers && error_.empty(); ++k) setUpServer(k);
    if (error_.empty()) {
      run(fmt::format("ip link add {} type dummy", vipLink()));
      run(fmt::format("ip addr add {}/32 dev {}", kVip, vipLink()));
      run(fmt::format("ip link set {} up", vipLink()));
    }
  }
  ~ThreeServerLab() {
    for (int k = 1; k <= kServers; ++k) {
      (void)std::system(fmt::format("ip netns pids {} 2>/dev/null | xargs -r kill 2>/dev/null", ns(k)).c_str());
      (void)std::system(fmt::format("ip netns del {} 2>/dev/null", ns(k)).c_str());
    }
    (void)std::system(fmt::format("ip link del {} 2>/dev/null", vipLink()).c_str());
    if (!www_.empty()) std::filesystem::remove_all(www_);
  }
  ThreeServerLab(const ThreeServerLab&) = delete;
  ThreeServerLab& operator=(const ThreeServerLab&) = delete;

  const std::string& error() const { return error_; }

  // Waits (bounded) until every server answers directly, without IPVS.
  bool serversAnswer() {
    for (int k = 1; k <= kServers; ++k) {
      bool up = false;
      for (int attempt = 0; attempt < 50 && !up; ++attempt) {
        auto body = httpGet(serverAddress(k), 8080);
        up = body && *body == name(k) + "\n";
        if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (!up) return false;
    }
    return true;
  }

  static std::string name(int k) { return fmt::format("server-{}", k); }

 private:
  std::string ns(int k) const { return fmt::format("lvs-ipvs-{}-{}", tag_, k); }
  std::string vipLink() const { return "lvsipvs-vip"; }

  void run(const std::string& command) {
    if (!error_.empty()) return;
    auto done = runCommand(command);
    if (!done) error_ = done.error().message;
  }

  void setUpServer(int k) {
    const std::string dir = fmt::format("{}/{}", www_, k);
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/index.html") << name(k) << "\n";
    const std::string outside = fmt::format("lvsipvs{}h", k);
    const std::string inside = fmt::format("lvsipvs{}n", k);
    run(fmt::format("ip netns add {}", ns(k)));
    run(fmt::format("ip link add {} type veth peer name {}", outside, inside));
    run(fmt::format("ip link set {} netns {}", inside, ns(k)));
    run(fmt::format("ip addr add 10.210.{}.1/24 dev {}", k, outside));
    run(fmt::format("ip link set {} up", outside));
    run(fmt::format("ip -n {} link set lo up", ns(k)));
    run(fmt::format("ip -n {} addr add {}/24 dev {}", ns(k), serverAddress(k), inside));
    run(fmt::format("ip -n {} link set {} up", ns(k), inside));
    // Replies must come back through the director for masquerading to undo its NAT.
    run(fmt::format("ip -n {} route add default via 10.210.{}.1", ns(k), k));
    run(fmt::format("ip netns exec {} /bin/busybox httpd -p {}:8080 -h {}", ns(k), serverAddress(k), dir));
  }

  std::string tag_;
  std::string www_;
  std::string error_;
};

class IpvsTrafficVmTest : public IpvsVmTest {
 protected:
  // `count` requests through the VIP: how many each server answered.
  std::map<std::string, int> requests(int count) {
    std::map<std::string, int> answered;
    for (int i = 0; i < count; ++i) {
      auto body = httpGet(kVip, 80);
      EXPECT_TRUE(body) << "request " << i << " through the VIP: " << body.error().message;
      if (body) ++answered[body->substr(0, body->find('\n'))];
    }
    return answered;
  }

  const ServiceKey key_{Protocol::Tcp, ep(std::string(kVip) + ":80")};
};

TEST_F(IpvsTrafficVmTest, RequestsReachEveryServerThenNoneAtWeightZeroThenNoneOnceDeleted) {
  ThreeServerLab lab;
  ASSERT_EQ(lab.error(), "");
  ASSERT_TRUE(lab.serversAnswer()) << "the HTTP servers in their namespaces do not answer directly";

  std::vector<DatapathOp> ops = {DatapathOp::addVirtualServer(virtualServer(Protocol::Tcp, "10.0.0.100:80", "rr"))};
  for (int k = 1; k <= kServers; ++k) {
    ops.push_back(DatapathOp::addRealServer(key_, realServer(serverAddress(k) + ":8080", 1)));
  }
  applyAll(ops);
  expectKernelHasWhatWeProgrammed();

  auto answered = requests(30);
  for (int k = 1; k <= kServers; ++k) {
    EXPECT_GE(answered[ThreeServerLab::name(k)], 1) << ThreeServerLab::name(k) << " got no request";
  }
  // Our counters and ipvsadm's agree with what the clients saw. The kernel folds its per-CPU
  // counters into what it reports every 2 s (the estimator): wait, bounded, for them to settle.
  std::vector<RealServerStatus> reals;
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto listed = datapath_->listRealServers(key_);
    ASSERT_TRUE(listed) << listed.error().message;
    reals = std::move(*listed);
    std::uint64_t total = 0;
    for (const auto& status : reals) total += status.stats.connections;
    if (total == 30) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto stats = runCommand("ipvsadm -L -n --stats --exact");
  ASSERT_TRUE(stats) << stats.error().message;
  auto theirs = parseIpvsadmConnections(*stats);
  ASSERT_TRUE(theirs) << theirs.error().message;
  ASSERT_EQ(reals.size(), 3u);
  for (const auto& status : reals) {
    const int k = status.server.endpoint.address.bytes[2];
    EXPECT_EQ(status.stats.connections, static_cast<std::uint64_t>(answered[ThreeServerLab::name(k)]));
    EXPECT_EQ(theirs->at({key_, status.server.endpoint}), status.stats.connections);
    EXPECT_GT(status.stats.inPackets, 0u);
    EXPECT_GT(status.stats.outBytes, 0u);
  }

  // Weight 0: no new connection for server 2.
  applyAll({DatapathOp::updateRealServer(key_, realServer(serverAddress(2) + ":8080", 0))});
  expectKernelHasWhatWeProgrammed();
  answered = requests(20);
  EXPECT_EQ(answered.count(ThreeServerLab::name(2)), 0u) << "server-2 got " << answered[ThreeServerLab::name(2)];
  EXPECT_EQ(answered[ThreeServerLab::name(1)] + answered[ThreeServerLab::name(3)], 20);

  // Deleted: server 3 gets nothing at all; server 2 still at weight 0.
  applyAll({DatapathOp::deleteRealServer(key_, ep(serverAddress(3) + ":8080"))});
  expectKernelHasWhatWeProgrammed();
  answered = requests(20);
  EXPECT_EQ(answered, (std::map<std::string, int>{{ThreeServerLab::name(1), 20}}));
}

}  // namespace
}  // namespace lvscare::testing
