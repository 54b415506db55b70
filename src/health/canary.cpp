#include "health/canary.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "lvscare/socket_address.hpp"

namespace lvscare::health {

std::string_view toString(CanaryEvent event) {
  switch (event) {
    case CanaryEvent::Opened: return "opened";
    case CanaryEvent::Closed: return "closed";
    case CanaryEvent::Death: return "death";
  }
  return "unknown";
}

struct CanaryWatch::Canary {
  enum class State : std::uint8_t { Idle, Connecting, Open, Waiting };
  Endpoint server;
  std::unique_ptr<event::FdWatch> watch;  // owns the socket
  std::unique_ptr<event::Timer> timer;    // the connect timeout, or the next retry
  State state = State::Idle;
  bool afterClose = false;  // this connect follows a close: its failure is a death
  Duration backoff{};
  TimePoint openedAt{};
  TimePoint confirmedAt{};  // the last reconnect made at once after a close
};

CanaryWatch::CanaryWatch(event::EpollDispatcher& loop, const std::vector<Endpoint>& servers, DeathCallback onDeath,
                         CanaryOptions options)
    : loop_(loop), onDeath_(std::move(onDeath)), options_(options) {
  for (const Endpoint& server : servers) {
    auto canary = std::make_unique<Canary>();
    canary->server = server;
    Canary* raw = canary.get();
    canary->timer = loop_.createTimer([this, raw] {
      if (raw->state == Canary::State::Connecting) return onConnectResult(*raw, ETIMEDOUT);
      if (raw->state == Canary::State::Waiting) connect(*raw);
    });
    canaries_.emplace(server, std::move(canary));
  }
}

CanaryWatch::~CanaryWatch() = default;

void CanaryWatch::start() {
  for (auto& [server, canary] : canaries_) connect(*canary);
}

std::size_t CanaryWatch::open() const {
  return static_cast<std::size_t>(std::count_if(canaries_.begin(), canaries_.end(), [](const auto& entry) {
    return entry.second->state == Canary::State::Open;
  }));
}

void CanaryWatch::connect(Canary& canary) {
  canary.watch.reset();
  UniqueFd fd(::socket(canary.server.address.af(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return retryLater(canary);
  // Keepalive bounds a host that dies without a word: the canary errors with ETIMEDOUT after
  // idle + interval * count seconds of silence.
  const int on = 1;
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  (void)::setsockopt(fd.get(), IPPROTO_TCP, TCP_KEEPIDLE, &options_.keepaliveIdleSeconds, sizeof(int));
  (void)::setsockopt(fd.get(), IPPROTO_TCP, TCP_KEEPINTVL, &options_.keepaliveIntervalSeconds, sizeof(int));
  (void)::setsockopt(fd.get(), IPPROTO_TCP, TCP_KEEPCNT, &options_.keepaliveCount, sizeof(int));
  sockaddr_storage address;
  const socklen_t length = toSockaddr(canary.server, address);
  const int connected = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), length);
  if (connected != 0 && errno != EINPROGRESS) return onConnectResult(canary, errno);
  using namespace event::fd_event;
  // Edge-triggered with every event from the start: no epoll_ctl between connecting and open.
  auto watch = loop_.watch(std::move(fd), kRead | kWrite | kPeerClosed | kEdge,
                           [this, raw = &canary](std::uint32_t events) { onEvents(*raw, events); });
  if (!watch) return retryLater(canary);
  canary.watch = std::move(*watch);
  canary.state = Canary::State::Connecting;
  canary.timer->arm(options_.connectTimeout);
  if (connected == 0) onConnectResult(canary, 0);
}

void CanaryWatch::onEvents(Canary& canary, std::uint32_t events) {
  using namespace event::fd_event;
  if (canary.state == Canary::State::Connecting) {
    if ((events & (kWrite | kError | kHangup)) == 0) return;
    int error = 0;
    socklen_t size = sizeof error;
    ::getsockopt(canary.watch->fd(), SOL_SOCKET, SO_ERROR, &error, &size);
    if (error == 0 && (events & (kError | kHangup)) != 0) error = ECONNREFUSED;
    return onConnectResult(canary, error);
  }
  if (canary.state != Canary::State::Open) return;
  // Nothing is ever sent on a canary; whatever the server sends is read and dropped. End of
  // stream (FIN) or an error (RST, a keepalive timeout) closes it.
  std::array<char, 4096> sink;
  for (int reads = 0; reads < 16; ++reads) {
    const ssize_t n = ::recv(canary.watch->fd(), sink.data(), sink.size(), 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    return onClosed(canary);
  }
}

void CanaryWatch::onConnectResult(Canary& canary, int error) {
  canary.timer->cancel();
  if (error == 0) {
    canary.state = Canary::State::Open;
    canary.openedAt = loop_.now();
    ++counters_.connects;
    if (canary.afterClose) ++counters_.idleCloses;
    canary.afterClose = false;
    return tell(canary, CanaryEvent::Opened);
  }
  canary.watch.reset();
  const bool death = canary.afterClose;
  canary.afterClose = false;
  retryLater(canary);
  if (death) {
    ++counters_.deaths;
    tell(canary, CanaryEvent::Death);
    onDeath_(canary.server, failureKindOfErrno(error),
             std::string("canary closed, reconnect: ") + std::strerror(error));
  }
}

void CanaryWatch::tell(const Canary& canary, CanaryEvent event) {
  if (observer_) observer_(canary.server, event);
}

void CanaryWatch::onClosed(Canary& canary) {
  canary.watch.reset();
  canary.afterClose = true;
  tell(canary, CanaryEvent::Closed);
  const TimePoint now = loop_.now();
  if (now - canary.openedAt < options_.minLifetime && now - canary.confirmedAt < options_.minLifetime) {
    return retryLater(canary);
  }
  canary.confirmedAt = now;
  canary.backoff = Duration::zero();
  connect(canary);  // at once: the reconnect tells an idle close from a death
}

void CanaryWatch::retryLater(Canary& canary) {
  canary.state = Canary::State::Waiting;
  canary.backoff =
      canary.backoff == Duration::zero() ? options_.retryMin : std::min(canary.backoff * 2, options_.retryMax);
  canary.timer->arm(canary.backoff);
}

}  // namespace lvscare::health
