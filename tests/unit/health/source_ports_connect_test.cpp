// Connections started from lvscare's own source ports, to servers on 127.0.0.1: the port taken,
// a port held by a listener or by a connection to the same server skipped, the kernel's choice as
// the last resort; and the checks and canaries connecting from above the ephemeral range.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "health/canary.hpp"
#include "health/source_ports.hpp"
#include "loopback_server.hpp"
#include "lvscare/socket_address.hpp"
#include "probe_helpers.hpp"

namespace lvscare::health::testing {
namespace {

using std::chrono::seconds;

// A socket bound to 127.0.0.1:port with SO_REUSEADDR (as lvscare's are), listening when asked;
// invalid when the port is taken.
UniqueFd bindLoopback(std::uint16_t port, bool listening) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int on = 1;
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_storage address;
  const socklen_t length = toSockaddr(Endpoint{IpAddress::v4(127, 0, 0, 1), port}, address);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0) return UniqueFd();
  if (listening && ::listen(fd.get(), 4) != 0) return UniqueFd();
  return fd;
}

// `count` ports above this namespace's ephemeral range that nothing holds now, looked for from the
// `from`th on.
std::vector<std::uint16_t> freePortsAbove(std::size_t count, std::size_t from) {
  std::vector<std::uint16_t> free;
  const auto ours = SourcePorts::ofThisNamespace();
  for (std::size_t i = 0; i < ours->count() && free.size() < count; ++i) {
    if (bindLoopback(ours->at(from + i), true)) free.push_back(ours->at(from + i));
  }
  return free;
}

std::uint16_t ephemeralLast() {
  const auto ours = SourcePorts::ofThisNamespace();
  return ours->count() == 0 ? 65535 : static_cast<std::uint16_t>(ours->at(0) - 1);
}

class SourcePortsConnectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // ctest runs each test as a process of its own, in parallel: each looks in a part of the ports
    // of its own (from its line in this file times 16: the tests lie at least 7 lines apart, so
    // their parts at least 112 ports), so that one test's listener never sits on another's port.
    const int line = ::testing::UnitTest::GetInstance()->current_test_info()->line();
    ports = freePortsAbove(2, static_cast<std::size_t>(line) * 16);
    if (ports.size() < 2) GTEST_SKIP() << "fewer than 2 free ports above ip_local_port_range";
  }
  // Connects to `server` the way the probers do, waits until it accepted, returns the socket.
  UniqueFd connectTo(LoopbackServer& server, const SourcePorts& from) {
    const int before = server.accepted();
    cursor = PortCursor(0);
    auto started = startConnect(server.endpoint(), &from, cursor);
    EXPECT_TRUE(started.fd);
    EXPECT_TRUE(started.error == 0 || started.error == EINPROGRESS) << std::strerror(started.error);
    loop->runUntil([&] { return server.accepted() > before; }, seconds(5));
    EXPECT_EQ(server.accepted(), before + 1);
    return std::move(started.fd);
  }

  std::unique_ptr<event::EpollDispatcher> loop = makeLoop();
  std::vector<std::uint16_t> ports;
  PortCursor cursor{0};  // each connect starts with the first port given
};

TEST_F(SourcePortsConnectTest, ConnectsFromTheGivenPort) {
  LoopbackServer server(*loop, ServerMode::AcceptSilently);
  ASSERT_TRUE(server.ok());
  auto connection = connectTo(server, SourcePorts({{ports[0], ports[0]}}));
  ASSERT_EQ(server.peerPorts().size(), 1u);
  EXPECT_EQ(server.peerPorts()[0], ports[0]);
}

TEST_F(SourcePortsConnectTest, SkipsAPortAListenerHolds) {
  LoopbackServer server(*loop, ServerMode::AcceptSilently);
  auto listener = bindLoopback(ports[0], true);
  ASSERT_TRUE(listener);
  auto connection = connectTo(server, SourcePorts({{ports[0], ports[0]}, {ports[1], ports[1]}}));
  ASSERT_EQ(server.peerPorts().size(), 1u);
  EXPECT_EQ(server.peerPorts()[0], ports[1]);
}

TEST_F(SourcePortsConnectTest, SkipsAPortThatAlreadyHasAConnectionToTheSameServer) {
  LoopbackServer server(*loop, ServerMode::AcceptSilently);
  auto first = connectTo(server, SourcePorts({{ports[0], ports[0]}}));
  auto second = connectTo(server, SourcePorts({{ports[0], ports[0]}, {ports[1], ports[1]}}));
  ASSERT_EQ(server.peerPorts().size(), 2u);
  EXPECT_EQ(server.peerPorts()[1], ports[1]);
}

TEST_F(SourcePortsConnectTest, SharesAPortAcrossServers) {
  // What keeps the ports from running out: one port, many servers (a TIME_WAIT blocks one server).
  LoopbackServer a(*loop, ServerMode::AcceptSilently), b(*loop, ServerMode::AcceptSilently);
  const SourcePorts one({{ports[0], ports[0]}});
  auto toA = connectTo(a, one);
  auto toB = connectTo(b, one);
  ASSERT_EQ(b.peerPorts().size(), 1u);
  EXPECT_EQ(b.peerPorts()[0], ports[0]);
}

TEST_F(SourcePortsConnectTest, TheKernelChoosesWhenEveryPortIsTaken) {
  LoopbackServer server(*loop, ServerMode::AcceptSilently);
  auto listener = bindLoopback(ports[0], true);
  auto connection = connectTo(server, SourcePorts({{ports[0], ports[0]}}));
  ASSERT_EQ(server.peerPorts().size(), 1u);
  EXPECT_LE(server.peerPorts()[0], ephemeralLast());
}

TEST_F(SourcePortsConnectTest, NoPortsMeansTheKernelsChoice) {
  LoopbackServer server(*loop, ServerMode::AcceptSilently);
  auto connection = connectTo(server, SourcePorts());
  ASSERT_EQ(server.peerPorts().size(), 1u);
  EXPECT_LE(server.peerPorts()[0], ephemeralLast());
}

TEST_F(SourcePortsConnectTest, AFailedConnectSaysWhy) {
  // A port that was just free: refused.
  auto probe = bindLoopback(0, false);
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  ASSERT_EQ(::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&bound), &length), 0);
  const Endpoint closed{IpAddress::v4(127, 0, 0, 1), ntohs(bound.sin_port)};
  probe.reset();
  const SourcePorts from({{ports[0], ports[0]}});
  auto started = startConnect(closed, &from, cursor);
  ASSERT_TRUE(started.fd);
  if (started.error == EINPROGRESS) {
    // Loopback refuses at once or on the first event; either way SO_ERROR says so.
    pollfd wait{started.fd.get(), POLLOUT, 0};
    ASSERT_EQ(::poll(&wait, 1, 5000), 1);
    socklen_t size = sizeof started.error;
    ::getsockopt(started.fd.get(), SOL_SOCKET, SO_ERROR, &started.error, &size);
  }
  EXPECT_EQ(started.error, ECONNREFUSED);
}

TEST_F(SourcePortsConnectTest, HttpChecksConnectFromAboveTheEphemeralRange) {
  LoopbackServer server(*loop, ServerMode::Respond);
  EXPECT_TRUE(probeOnce(*loop, httpConfig(), server.endpoint()).healthy);
  ASSERT_EQ(server.peerPorts().size(), 1u);
  EXPECT_GT(server.peerPorts()[0], ephemeralLast());
}

TEST_F(SourcePortsConnectTest, CanariesConnectFromAboveTheEphemeralRange) {
  LoopbackServer server(*loop, ServerMode::AcceptSilently);
  CanaryWatch canaries(*loop, {server.endpoint()}, [](const Endpoint&, FailureKind, const std::string&) {});
  canaries.start();
  loop->runUntil([&] { return canaries.open() == 1 && server.accepted() == 1; }, seconds(5));
  ASSERT_EQ(server.peerPorts().size(), 1u);
  EXPECT_GT(server.peerPorts()[0], ephemeralLast());
}

}  // namespace
}  // namespace lvscare::health::testing
