// Canary connections (issue 15) against loopback servers on the real event loop: a close with the
// port still open is an idle close, a close with the port gone is a death, and a server that
// closes every connection at once does not get a reconnect loop.
#include "health/canary.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "unit/health/loopback_server.hpp"

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
  CanaryOptions options;
  options.minLifetime = 10s;
  options.retryMin = options.retryMax = 10s;
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

}  // namespace
}  // namespace lvscare::health
