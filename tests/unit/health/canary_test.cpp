// Canary connections (issue 15) against loopback servers on the real event loop: a close with the
// port still open is an idle close, a close with the port gone is a death, and a server that
// closes every connection at once does not get a reconnect loop.
#include "health/canary.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "health/tls_context.hpp"
#include "unit/health/loopback_server.hpp"
#include "unit/health/probe_helpers.hpp"
#include "unit/health/test_pki.hpp"

namespace lvscare::health {
namespace {

using namespace std::chrono_literals;
using testing::LoopbackServer;
using testing::ServerMode;

struct Death {
  Endpoint server;
  FailureKind kind;
  std::string detail;
};

// Any wait for the retry delay would outlast the test: what happens does at once.
CanaryOptions waitingLong() {
  CanaryOptions options;
  options.minLifetime = 10s;
  options.retryMin = options.retryMax = 10s;
  return options;
}

class CanaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = event::EpollDispatcher::create();
    ASSERT_TRUE(created);
    loop = std::move(*created);
  }
  std::unique_ptr<CanaryWatch> watch(const Endpoint& server, CanaryOptions options = {}) {
    return std::make_unique<CanaryWatch>(
        *loop, std::vector<Endpoint>{server},
        [this](const Endpoint& s, FailureKind kind, const std::string& detail) {
          deaths.push_back({s, kind, detail});
        },
        options);
  }
  std::unique_ptr<event::EpollDispatcher> loop;
  std::vector<Death> deaths;
};

TEST_F(CanaryTest, TheServersProcessGoneIsADeathReportedOnce) {
  auto server = std::make_unique<LoopbackServer>(*loop, ServerMode::AcceptSilently);
  ASSERT_TRUE(server->ok());
  const Endpoint target = server->endpoint();
  // It dies right after its canary opened, well within minLifetime: still confirmed at once, not
  // after the (long, here) retry delay.
  const CanaryOptions options = waitingLong();
  auto canaries = watch(target, options);
  std::vector<CanaryEvent> events;
  canaries->setObserver([&](const Endpoint&, CanaryEvent event) { events.push_back(event); });
  canaries->start();
  ASSERT_TRUE(loop->runUntil([&] { return canaries->open() == 1 && server->accepted() == 1; }, 2s));
  server.reset();  // the listener and the accepted connection close, as when the process dies
  ASSERT_TRUE(loop->runUntil([&] { return !deaths.empty(); }, 2s));
  EXPECT_EQ(deaths[0].server, target);
  EXPECT_EQ(deaths[0].kind, FailureKind::Refused);
  EXPECT_EQ(deaths[0].detail, "canary closed, reconnect: Connection refused");
  loop->runFor(50ms);
  EXPECT_EQ(deaths.size(), 1u);  // retries while it stays down are not deaths
  EXPECT_EQ(canaries->counters().deaths, 1u);
  EXPECT_EQ(events, (std::vector<CanaryEvent>{CanaryEvent::Opened, CanaryEvent::Closed, CanaryEvent::Death}));
}

TEST_F(CanaryTest, AnIdleCloseIsNotADeathAndDoesNotSpin) {
  LoopbackServer server(*loop, ServerMode::CloseAtOnce);
  ASSERT_TRUE(server.ok());
  CanaryOptions options;
  options.retryMin = 10ms;
  options.retryMax = 40ms;
  auto canaries = watch(server.endpoint(), options);
  canaries->start();
  loop->runFor(300ms);
  EXPECT_TRUE(deaths.empty());
  EXPECT_GE(canaries->counters().idleCloses, 2u);
  // Closed at once every time: reopened after the retry delay, not in a loop (about 300 / 40).
  EXPECT_LE(server.accepted(), 12);
}

// A dying process's listener outlives its other sockets by a few milliseconds, completing
// handshakes and then resetting them: the reconnects that confirm the canary's close land there.
// They are reconnected at once, not after the retry delay, so the death is still told within
// milliseconds.
TEST_F(CanaryTest, ReconnectsResetByADyingListenerAreRetriedAtOnce) {
  auto server = std::make_unique<LoopbackServer>(*loop, ServerMode::ResetSoon);
  ASSERT_TRUE(server->ok());
  const Endpoint target = server->endpoint();
  const CanaryOptions options = waitingLong();
  auto canaries = watch(target, options);
  canaries->start();
  // Without the immediate reconnect the second young close would wait 10 s here.
  ASSERT_TRUE(loop->runUntil([&] { return server->accepted() >= 4; }, 2s)) << server->accepted();
  server.reset();  // the listener goes: refused
  ASSERT_TRUE(loop->runUntil([&] { return !deaths.empty(); }, 2s));
  EXPECT_EQ(deaths[0].server, target);
  EXPECT_EQ(deaths[0].kind, FailureKind::Refused);
}

TEST_F(CanaryTest, AServerThatResetsEveryConnectionDoesNotSeeALoop) {
  LoopbackServer server(*loop, ServerMode::ResetSoon);
  ASSERT_TRUE(server.ok());
  CanaryOptions options;
  options.retryMin = options.retryMax = 100ms;
  auto canaries = watch(server.endpoint(), options);
  canaries->start();
  loop->runFor(350ms);
  EXPECT_TRUE(deaths.empty());
  // resetReconnects (8) at once plus the first and the second young close, then one connect per
  // retry delay: about 10 + 3.
  EXPECT_GE(server.accepted(), 9);
  EXPECT_LE(server.accepted(), 16);
}

TEST_F(CanaryTest, AServerThatIsNotThereYetIsRetriedWithoutDeaths) {
  LoopbackServer probe(*loop, ServerMode::AcceptSilently);
  ASSERT_TRUE(probe.ok());
  const Endpoint port = probe.endpoint();
  CanaryOptions options;
  options.retryMin = 10ms;
  options.retryMax = 20ms;
  auto canaries = watch(Endpoint{port.address, static_cast<std::uint16_t>(port.port == 65535 ? 1 : 0)}, options);
  canaries->start();
  loop->runFor(100ms);
  EXPECT_TRUE(deaths.empty());  // never open, so nothing died
  EXPECT_EQ(canaries->open(), 0u);
}

TEST_F(CanaryTest, AKeepAliveRequestEveryWhileKeepsOneConnection) {
  LoopbackServer server(*loop, ServerMode::RespondKeepAlive);
  ASSERT_TRUE(server.ok());
  CanaryOptions options;
  options.request = testing::httpConfig(Scheme::Http);
  options.request->path = "/readyz";
  options.requestEvery = 20ms;
  auto canaries = watch(server.endpoint(), options);
  canaries->start();
  ASSERT_TRUE(loop->runUntil([&] { return server.requests().size() >= 3; }, 2s));
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(server.requests()[0].rfind("GET /readyz HTTP/1.1\r\n", 0), 0u);
  EXPECT_EQ(server.requests()[0].find("Connection: close"), std::string::npos);
  EXPECT_EQ(canaries->open(), 1u);
  EXPECT_TRUE(deaths.empty());
}

TEST_F(CanaryTest, AServerThatClosesAfterAnAnswerGetsNoMoreRequests) {
  LoopbackServer server(*loop, ServerMode::Respond);  // answers, then closes: no keep-alive
  ASSERT_TRUE(server.ok());
  CanaryOptions options;
  options.request = testing::httpConfig(Scheme::Http);
  options.requestEvery = 20ms;
  auto canaries = watch(server.endpoint(), options);
  canaries->start();
  ASSERT_TRUE(loop->runUntil([&] { return server.accepted() == 2 && canaries->open() == 1; }, 2s));
  loop->runFor(100ms);
  EXPECT_EQ(server.requests().size(), 1u);  // the reopened canary just waits
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_TRUE(deaths.empty());
}

// A server without keep-alive closes the first canary right after its request; it dies while the
// reopened canary is young: still told at once, not after the (long, here) retry delay.
TEST_F(CanaryTest, ADeathRightAfterTheReopenThatFollowedAnAnswerIsToldAtOnce) {
  auto server = std::make_unique<LoopbackServer>(*loop, ServerMode::Respond);
  ASSERT_TRUE(server->ok());
  CanaryOptions options = waitingLong();
  options.request = testing::httpConfig(Scheme::Http);
  auto canaries = watch(server->endpoint(), options);
  canaries->start();
  ASSERT_TRUE(loop->runUntil([&] { return server->accepted() == 2 && canaries->open() == 1; }, 2s));
  server.reset();
  ASSERT_TRUE(loop->runUntil([&] { return !deaths.empty(); }, 2s));
  EXPECT_EQ(deaths[0].kind, FailureKind::Refused);
}

// With an HTTPS check the canary holds a TLS session, not a bare connection (a TLS server logs a
// handshake error for every bare one it times out).
class TlsCanaryTest : public CanaryTest {
 protected:
  static void SetUpTestSuite() { pki = new testing::TestPki(testing::makeTestPki()); }
  static void TearDownTestSuite() {
    testing::removeTestPki(*pki);
    delete pki;
  }
  std::unique_ptr<LoopbackServer> tlsServer(ServerMode mode) {
    testing::TlsServerConfig tls{pki->serverCert, pki->serverKey, ""};
    auto server = std::make_unique<LoopbackServer>(*loop, mode, "HTTP/1.1 200 OK\r\n\r\n", "127.0.0.1", &tls);
    EXPECT_TRUE(server->ok());
    return server;
  }
  static CanaryOptions tlsOptions(ProbeConfig config) {
    auto tls = TlsClientContext::create(config);
    EXPECT_TRUE(tls) << tls.error().describe();
    CanaryOptions options;
    options.tls = tls ? *tls : nullptr;
    return options;
  }
  static testing::TestPki* pki;
};
testing::TestPki* TlsCanaryTest::pki = nullptr;

TEST_F(TlsCanaryTest, HoldsAHandshakenSessionAndStillTellsADeath) {
  auto server = tlsServer(ServerMode::Respond);
  const Endpoint target = server->endpoint();
  auto canaries = watch(target, tlsOptions(testing::httpConfig(Scheme::Https)));
  canaries->start();
  ASSERT_TRUE(loop->runUntil([&] { return server->handshakes() == 1; }, 2s));
  loop->runFor(50ms);
  EXPECT_EQ(canaries->open(), 1u);
  EXPECT_TRUE(server->requests().empty());  // nothing sent after the handshake
  server.reset();
  ASSERT_TRUE(loop->runUntil([&] { return !deaths.empty(); }, 2s));
  EXPECT_EQ(deaths[0].kind, FailureKind::Refused);
}

TEST_F(TlsCanaryTest, AServerClosingAfterTheHandshakeIsAnIdleCloseAndTheSessionIsResumed) {
  auto server = tlsServer(ServerMode::CloseAfterHandshake);
  CanaryOptions options = tlsOptions(testing::httpConfig(Scheme::Https));
  options.retryMin = options.retryMax = 10ms;
  auto canaries = watch(server->endpoint(), options);
  canaries->start();
  ASSERT_TRUE(loop->runUntil([&] { return server->handshakes() >= 3; }, 2s));
  EXPECT_TRUE(deaths.empty());
  EXPECT_GE(canaries->counters().idleCloses, 2u);
  EXPECT_GE(server->resumedSessions(), 1);  // the checks skip verification, so sessions are resumed
}

TEST_F(TlsCanaryTest, KeepAliveRequestsGoThroughTheSession) {
  auto server = tlsServer(ServerMode::RespondKeepAlive);
  CanaryOptions options = tlsOptions(testing::httpConfig(Scheme::Https));
  options.request = testing::httpConfig(Scheme::Https);
  options.requestEvery = 20ms;
  auto canaries = watch(server->endpoint(), options);
  canaries->start();
  ASSERT_TRUE(loop->runUntil([&] { return server->requests().size() >= 3; }, 2s));
  EXPECT_EQ(server->accepted(), 1);
  EXPECT_EQ(server->handshakes(), 1);
  EXPECT_TRUE(deaths.empty());
}

TEST_F(TlsCanaryTest, AFailedVerificationIsNotADeathAndIsRetriedSlowly) {
  auto server = tlsServer(ServerMode::Respond);
  ProbeConfig config = testing::httpConfig(Scheme::Https);
  config.insecureSkipVerify = false;
  config.caFile = pki->otherCaCert;  // the server's certificate is not signed by it
  CanaryOptions options = tlsOptions(config);
  options.retryMin = options.retryMax = 10ms;
  auto canaries = watch(server->endpoint(), options);  // tlsRetry stays 30 s
  canaries->start();
  ASSERT_TRUE(loop->runUntil([&] { return canaries->counters().tlsFailures == 1; }, 2s));
  loop->runFor(100ms);
  EXPECT_TRUE(deaths.empty());
  EXPECT_EQ(server->accepted(), 1);  // not again before tlsRetry
  EXPECT_EQ(canaries->counters().tlsFailures, 1u);
}

}  // namespace
}  // namespace lvscare::health
