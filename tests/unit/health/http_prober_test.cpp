// HTTP and TCP probes against servers on 127.0.0.1 written in the test, on one real epoll loop.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "loopback_server.hpp"
#include "lvscare/health_monitor.hpp"
#include "probe_helpers.hpp"

namespace lvscare::health::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class HttpProberTest : public ::testing::Test {
 protected:
  std::unique_ptr<event::EpollDispatcher> loop = makeLoop();
};

TEST_F(HttpProberTest, Status200IsHealthyAndTheRequestIsWhatLvscareSends) {
  LoopbackServer server(*loop, ServerMode::Respond, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRUE(server.ok());
  const ProbeResult r = probeOnce(*loop, httpConfig(), server.endpoint());
  EXPECT_TRUE(r.healthy);
  EXPECT_EQ(r.detail, "HTTP 200");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0], "GET /healthz HTTP/1.1\r\nHost: " + server.endpoint().toString() +
                                      "\r\nUser-Agent: lvscare\r\nConnection: close\r\n\r\n");
}

TEST_F(HttpProberTest, Status503IsAFailure) {
  LoopbackServer server(*loop, ServerMode::Respond, "HTTP/1.1 503 Service Unavailable\r\n\r\n");
  const ProbeResult r = probeOnce(*loop, httpConfig(), server.endpoint());
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.detail, "HTTP 503");
}

TEST_F(HttpProberTest, Status401IsHealthyOnlyWhenListed) {
  LoopbackServer server(*loop, ServerMode::Respond, "HTTP/1.1 401 Unauthorized\r\n\r\n");
  ProbeConfig config = httpConfig();
  EXPECT_FALSE(probeOnce(*loop, config, server.endpoint()).healthy);
  config.extraHealthyStatuses = {401};
  const ProbeResult r = probeOnce(*loop, config, server.endpoint());
  EXPECT_TRUE(r.healthy);
  EXPECT_EQ(r.detail, "HTTP 401");
}

TEST_F(HttpProberTest, PostWithBodyAndHeaders) {
  LoopbackServer server(*loop, ServerMode::Respond);
  ProbeConfig config = httpConfig();
  config.method = "POST";
  config.path = "readyz";
  config.headers = {{"Authorization", "Bearer x"}};
  config.body = "{\"a\":1}";
  EXPECT_TRUE(probeOnce(*loop, config, server.endpoint()).healthy);
  ASSERT_EQ(server.requests().size(), 1u);
  const std::string& request = server.requests()[0];
  EXPECT_EQ(request.rfind("POST /readyz HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(request.find("\r\nAuthorization: Bearer x\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\nContent-Length: 7\r\n"), std::string::npos);
  EXPECT_EQ(request.substr(request.size() - 7), "{\"a\":1}");
}

TEST_F(HttpProberTest, AServerThatClosesAtOnceIsAFailure) {
  LoopbackServer server(*loop, ServerMode::CloseAtOnce);
  const ProbeResult r = probeOnce(*loop, httpConfig(), server.endpoint());
  EXPECT_FALSE(r.healthy);
  // The close can race the request: either the read sees the end, or the write sees the reset.
  EXPECT_TRUE(r.detail == "connection closed without a response" || r.detail.rfind("send: ", 0) == 0 ||
              r.detail.rfind("recv: ", 0) == 0)
      << r.detail;
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(HttpProberTest, ARefusedConnectionSaysSo) {
  // A port that was just free: bind, read the port, close.
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof in;
  ASSERT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&in), sizeof in), 0);
  ASSERT_EQ(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&in), &length), 0);
  const Endpoint target{IpAddress::v4(127, 0, 0, 1), ntohs(in.sin_port)};
  fd.reset();
  for (Scheme scheme : {Scheme::Http, Scheme::Tcp}) {
    const ProbeResult r = probeOnce(*loop, httpConfig(scheme), target);
    EXPECT_FALSE(r.healthy);
    EXPECT_EQ(r.detail, "connect: Connection refused");
  }
}

TEST_F(HttpProberTest, NotHttpAndHugeHeadersAreFailures) {
  LoopbackServer ssh(*loop, ServerMode::Respond, "SSH-2.0-OpenSSH_9.2\r\n");
  ProbeResult r = probeOnce(*loop, httpConfig(), ssh.endpoint());
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.detail, "bad HTTP response: not an HTTP response: 'SSH-2.0-OpenSSH_9.2'");
  std::string huge = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 400; ++i) huge += "X-Filler-" + std::to_string(i) + ": " + std::string(40, 'f') + "\r\n";
  LoopbackServer big(*loop, ServerMode::Respond, huge + "\r\n");
  r = probeOnce(*loop, httpConfig(), big.endpoint());
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.detail, "bad HTTP response: response header block over 16384 bytes");
}

TEST_F(HttpProberTest, TcpSchemeIsAPlainConnect) {
  LoopbackServer server(*loop, ServerMode::AcceptSilently);
  const ProbeResult r = probeOnce(*loop, httpConfig(Scheme::Tcp), server.endpoint());
  EXPECT_TRUE(r.healthy);
  EXPECT_EQ(r.detail, "connected");
}

TEST_F(HttpProberTest, Ipv6Loopback) {
  LoopbackServer server(*loop, ServerMode::Respond, "HTTP/1.1 204 No Content\r\n\r\n", "::1");
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback here";
  const ProbeResult r = probeOnce(*loop, httpConfig(), server.endpoint());
  EXPECT_TRUE(r.healthy) << r.detail;
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_NE(server.requests()[0].find("Host: [::1]:"), std::string::npos);
}

// The first promise: a black-holed server never delays another's verdict. Both servers
// are probed in one round; the answering one reports long before the other's timeout.
TEST_F(HttpProberTest, BlackHoledServersTimeOutWithoutDelayingOthers) {
  LoopbackServer good(*loop, ServerMode::Respond);
  LoopbackServer neverAccepts(*loop, ServerMode::NeverAccept);
  LoopbackServer neverAnswers(*loop, ServerMode::AcceptSilently);
  auto factory = makeProberFactory(*loop, httpConfig());
  ASSERT_TRUE(factory);
  std::vector<CheckEvent> events;
  HealthMonitor monitor(*loop, *factory, MonitorOptions{CheckPolicy{seconds(1)}, milliseconds(800), {}},
                        [&](const CheckEvent& e) { events.push_back(e); });
  monitor.setTargets({neverAccepts.endpoint(), good.endpoint(), neverAnswers.endpoint()});
  std::vector<CheckEvent> round;
  monitor.checkAllOnce([&](const std::vector<CheckEvent>& r) { round = r; });
  ASSERT_TRUE(loop->runUntil([&] { return round.size() == 3; }, seconds(5)));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].target, good.endpoint());  // first, not held back by the others
  EXPECT_TRUE(events[0].result.healthy);
  EXPECT_LT(events[0].result.latency, milliseconds(800));
  for (const CheckEvent& e : {round[0], round[2]}) {
    EXPECT_FALSE(e.result.healthy);
    EXPECT_EQ(e.result.detail, "timed out after 800ms (waiting for the response headers)");
    EXPECT_EQ(e.verdict, Verdict::Unhealthy);
  }
  EXPECT_EQ(loop->watchedFds(), 4u);  // only the servers' sockets: every probe socket is closed
}

}  // namespace
}  // namespace lvscare::health::testing
