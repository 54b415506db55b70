// The endpoint's server on a real epoll loop and loopback sockets, with no sleeps: every client is
// driven by the same loop (non-blocking), and every wait is a bounded run of the loop. The point is
// the hostile scrapers: a slowloris, one that never reads, one that sends a megabyte of headers;
// while they are connected, a timer standing in for the check schedule must keep firing on time.
#include "observe/http_server.hpp"

#include "lvscare/health_monitor.hpp"
#include "lvscare/probers.hpp"
#include "unit/health/loopback_server.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace lvscare::observe {
namespace {

using namespace std::chrono_literals;
namespace fd_event = event::fd_event;

const Endpoint kLoopbackAnyPort{IpAddress::v4(127, 0, 0, 1), 0};

std::unique_ptr<event::EpollDispatcher> makeLoop() {
  auto loop = event::EpollDispatcher::create();
  EXPECT_TRUE(loop) << loop.error().describe();
  return std::move(*loop);
}

// A client on the loop: sends `request` (more of it each time the socket takes it), optionally
// reads everything the server sends, and notes when the server closes.
class LoopClient {
 public:
  LoopClient(event::EpollDispatcher& loop, const Endpoint& server, std::string request, bool reads,
             int receiveBuffer = 0)
      : request_(std::move(request)), reads_(reads) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (receiveBuffer > 0) ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
    sockaddr_storage storage;
    const socklen_t length = toSockaddr(server, storage);
    const int rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&storage), length);
    EXPECT_TRUE(rc == 0 || errno == EINPROGRESS);
    auto watch = loop.watch(std::move(fd), fd_event::kWrite | (reads ? fd_event::kRead : 0u) | fd_event::kPeerClosed,
                            [this](std::uint32_t events) { onEvents(events); });
    EXPECT_TRUE(watch);
    watch_ = std::move(*watch);
  }

  // Adds bytes to send (a slowloris trickles its head this way).
  void send(std::string_view more) {
    request_ += more;
    if (!closed_) (void)watch_->setInterest(fd_event::kWrite | (reads_ ? fd_event::kRead : 0u) | fd_event::kPeerClosed);
  }

  bool closed() const { return closed_; }
  const std::string& received() const { return received_; }

 private:
  void onEvents(std::uint32_t events) {
    if (closed_) return;
    if ((events & fd_event::kWrite) && sent_ < request_.size()) {
      const ssize_t n = ::send(watch_->fd(), request_.data() + sent_, request_.size() - sent_, MSG_NOSIGNAL);
      if (n > 0) sent_ += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN) return markClosed();
    }
    if (sent_ == request_.size()) {
      (void)watch_->setInterest((reads_ ? fd_event::kRead : 0u) | fd_event::kPeerClosed);
    }
    if (reads_ && (events & (fd_event::kRead | fd_event::kHangup | fd_event::kPeerClosed))) {
      char chunk[65536];
      for (;;) {
        const ssize_t n = ::recv(watch_->fd(), chunk, sizeof chunk, 0);
        if (n > 0) received_.append(chunk, static_cast<std::size_t>(n));
        if (n == 0 || (n < 0 && errno != EAGAIN)) return markClosed();
        if (n < 0) break;
      }
    } else if (!reads_ && (events & (fd_event::kHangup | fd_event::kError | fd_event::kPeerClosed))) {
      markClosed();
    }
  }
  // Closes our end too: a reset socket would otherwise report itself on every turn of the loop.
  void markClosed() {
    closed_ = true;
    watch_.reset();
  }

  std::unique_ptr<event::FdWatch> watch_;
  std::string request_;
  std::size_t sent_ = 0;
  bool reads_;
  bool closed_ = false;
  std::string received_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void listen(HttpServerLimits limits = {}) {
    auto made = HttpServer::listen(
        *loop, kLoopbackAnyPort, [this](const RequestHead& request) { return handle(request); }, limits);
    ASSERT_TRUE(made) << made.error().describe();
    server = std::move(*made);
  }
  HttpResponse handle(const RequestHead& request) {
    ++handled;
    if (request.path == "/big") return HttpResponse{200, "text/plain", std::string(bigBody, 'x')};
    if (request.path == "/metrics") return HttpResponse{200, "text/plain", "lvscare_up 1\n"};
    return HttpResponse{404, "text/plain", "not found\n"};
  }
  std::string get(const std::string& request) {
    LoopClient client(*loop, server->localAddress(), request, true);
    EXPECT_TRUE(loop->runUntil([&] { return client.closed(); }, 5s));
    return client.received();
  }

  std::unique_ptr<event::EpollDispatcher> loop = makeLoop();
  std::unique_ptr<HttpServer> server;
  std::size_t bigBody = 16;
  int handled = 0;
};

TEST_F(HttpServerTest, AnswersOneRequestPerConnection) {
  listen();
  const std::string response = get("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200 OK\r\n")) << response;
  EXPECT_NE(response.find("Content-Length: 13\r\n"), std::string::npos);
  EXPECT_NE(response.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(response.ends_with("\r\n\r\nlvscare_up 1\n"));
  EXPECT_TRUE(get("GET /nothing HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_EQ(server->counters().served, 2u);
  EXPECT_TRUE(loop->runUntil([&] { return server->connections() == 0; }, 1s));
}

TEST_F(HttpServerTest, HeadHasNoBodyOtherMethodsAndBadHeadsAreRefused) {
  listen();
  const std::string head = get("HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(
      head.ends_with("Content-Length: 13\r\n"
                     "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                     "Connection: close\r\n\r\n"))
      << head;
  const std::string post = get("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(post.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_NE(post.find("Allow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_TRUE(get("GARBAGE\r\n\r\n").starts_with("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_TRUE(get("GET / HTTP/3.0\r\n\r\n").starts_with("HTTP/1.1 505 "));
  EXPECT_EQ(handled, 1);  // only the HEAD reached the handler
  EXPECT_EQ(server->counters().rejected, 3u);
}

TEST_F(HttpServerTest, ATakenPortIsAnErrorThatNamesTheAddress) {
  listen();
  auto second = HttpServer::listen(*loop, server->localAddress(), [](const RequestHead&) { return HttpResponse{}; });
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("bind " + server->localAddress().toString()), std::string::npos);
  EXPECT_NE(second.error().message.find("Address already in use"), std::string::npos);
}

TEST_F(HttpServerTest, ConnectionsOverTheCapAreClosedAtOnce) {
  HttpServerLimits limits;
  limits.maxConnections = 2;
  listen(limits);
  std::vector<std::unique_ptr<LoopClient>> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(std::make_unique<LoopClient>(*loop, server->localAddress(), "", true));
  EXPECT_TRUE(loop->runUntil([&] { return server->counters().accepted == 4; }, 5s));
  EXPECT_EQ(server->connections(), 2u);
  EXPECT_EQ(server->counters().refused, 2u);
  EXPECT_TRUE(loop->runUntil(
      [&] { return std::count_if(idle.begin(), idle.end(), [](auto& c) { return c->closed(); }) == 2; }, 5s));
}

// The three hostile scrapers of the issue, all connected at once.
struct HostileScrapers {
  HostileScrapers(event::EpollDispatcher& loop, const Endpoint& server)
      // 1. A slowloris: one byte of an endless head every 5 ms.
      : slowloris(loop, server, "GET /metrics HTTP/1.1\r\nX-Slow: ", false),
        // 2. A scraper that asks for a large answer and never reads it (small receive buffer).
        neverReads(loop, server, "GET /big HTTP/1.1\r\n\r\n", false, 4096),
        // 3. A megabyte of headers.
        megabyte(loop, server, megabyteHead(), true) {
    trickle = loop.createTimer([this] {
      slowloris.send("a");
      trickle->arm(5ms);
    });
    trickle->arm(5ms);
  }
  static std::string megabyteHead() {
    std::string head = "GET /metrics HTTP/1.1\r\n";
    while (head.size() < (1u << 20)) head += "X-Pad: " + std::string(1000, 'p') + "\r\n";
    return head;
  }
  LoopClient slowloris;
  LoopClient neverReads;
  LoopClient megabyte;
  std::unique_ptr<event::Timer> trickle;
};

// The core promise: hostile scrapers never hold up the loop's other work.
TEST_F(HttpServerTest, HostileScrapersNeverDelayTheCheckSchedule) {
  HttpServerLimits limits;
  limits.deadline = 2s;
  listen(limits);
  bigBody = 8u << 20;  // far more than a socket buffers: the server's send must wait for the reader

  // Stand-in for the health checks: a timer due every 10 ms; note how late each firing is.
  health::Duration worstLateness{};
  int fired = 0;
  health::TimePoint due = loop->now() + 10ms;
  std::unique_ptr<event::Timer> schedule;
  schedule = loop->createTimer([&] {
    worstLateness = std::max(worstLateness, loop->now() - due);
    ++fired;
    due = loop->now() + 10ms;
    schedule->arm(10ms);
  });
  schedule->arm(10ms);
  HostileScrapers hostile(*loop, server->localAddress());

  // While they are all connected, an honest scrape is answered.
  loop->runFor(100ms);
  EXPECT_TRUE(get("GET /metrics HTTP/1.1\r\n\r\n").ends_with("lvscare_up 1\n"));

  // Everything hostile is cut off: the big head at once (431), the others by the deadline.
  EXPECT_TRUE(loop->runUntil([&] { return hostile.megabyte.closed(); }, 5s));
  EXPECT_TRUE(loop->runUntil([&] { return server->counters().expired >= 2 && server->connections() == 0; }, 5s));
  EXPECT_GE(server->counters().rejected, 1u);
  EXPECT_EQ(server->counters().expired, 2u);
  hostile.trickle->cancel();

  // The schedule went on throughout: two seconds of 10 ms ticks, none held up for anything like
  // the 2 s a blocking server would spend on the slowloris or the reader that never reads. (The
  // bound is loose on purpose: on a loaded shared machine the scheduler alone delays a timer by
  // a few hundred ms now and then.)
  EXPECT_GE(fired, 20);
  EXPECT_LT(worstLateness, 1s) << "late by " << health::formatDuration(worstLateness);
}

// The same with the real thing: a HealthMonitor probing an HTTP server on the same loop every
// 50 ms while the hostile scrapers are connected; the gaps between completed checks stay short.
TEST_F(HttpServerTest, RealChecksKeepTheirScheduleBesideHostileScrapers) {
  HttpServerLimits limits;
  limits.deadline = 2s;
  listen(limits);
  bigBody = 8u << 20;
  health::testing::LoopbackServer backend(*loop, health::testing::ServerMode::Respond);
  ASSERT_TRUE(backend.ok());
  health::ProbeConfig probe;
  probe.scheme = health::Scheme::Http;
  probe.path = "/healthz";
  auto probers = health::makeProberFactory(*loop, probe);
  ASSERT_TRUE(probers) << probers.error().describe();
  health::MonitorOptions options;
  options.policy.interval = 50ms;
  options.timeout = 1s;
  std::vector<health::TimePoint> checks;
  int healthy = 0;
  health::HealthMonitor monitor(*loop, std::move(*probers), options, [&](const health::CheckEvent& event) {
    checks.push_back(loop->now());
    healthy += event.result.healthy;
  });
  monitor.setTargets({backend.endpoint()});
  monitor.start();

  HostileScrapers hostile(*loop, server->localAddress());
  EXPECT_TRUE(loop->runUntil([&] { return server->counters().expired >= 2 && server->connections() == 0; }, 5s));
  hostile.trickle->cancel();
  monitor.stop();

  // Two seconds of hostile connections: a check every 50 ms, all passing, no gap anywhere near the
  // 2 s deadline a blocking server would have imposed (loose bound: see the test above).
  ASSERT_GE(checks.size(), 10u);
  EXPECT_EQ(healthy, static_cast<int>(checks.size()));
  health::Duration worstGap{};
  for (std::size_t i = 1; i < checks.size(); ++i) worstGap = std::max(worstGap, checks[i] - checks[i - 1]);
  EXPECT_LT(worstGap, 1s) << "gap of " << health::formatDuration(worstGap);
}

}  // namespace
}  // namespace lvscare::observe
