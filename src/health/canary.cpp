#include "health/canary.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "health/http_request.hpp"

namespace lvscare::health {

std::string_view toString(CanaryEvent event) {
  switch (event) {
    case CanaryEvent::Opened: return "opened";
    case CanaryEvent::Closed: return "closed";
    case CanaryEvent::Death: return "death";
  }
  return "unknown";
}

namespace {

// Whether a TLS read or handshake that failed with SSL_get_error's `kind` met a reset from the peer.
bool resetByPeer(int kind) { return kind == SSL_ERROR_SYSCALL && errno == ECONNRESET; }

}  // namespace

struct CanaryWatch::Canary {
  enum class State : std::uint8_t { Idle, Connecting, Handshaking, Open, Waiting };
  Endpoint server;
  PortCursor sourcePort;
  std::unique_ptr<event::FdWatch> watch;  // owns the socket
  SslPtr ssl;                             // a TLS canary's session on the socket
  SslSessionPtr session;                  // a copy of the last resumable session, offered by the next handshake
  const SSL_SESSION* kept = nullptr;      // the connection's session that `session` copies (not owned)
  std::string request;                    // the keep-alive request; empty: none is sent
  TimePoint requestedAt{};                // the last request sent on the open canary
  bool requestSent = false;               // on this connection
  std::unique_ptr<event::Timer> timer;    // the connect timeout, or the next retry
  State state = State::Idle;
  bool afterClose = false;  // this connect follows a close: its failure is a death
  Duration backoff{};
  TimePoint openedAt{};
  bool lastWasYoung = false;  // the canary closed before this one lived less than minLifetime
  int youngResets = 0;        // young canaries in a row that the server reset (resetReconnects)
};

CanaryWatch::CanaryWatch(event::EpollDispatcher& loop, const std::vector<Endpoint>& servers, DeathCallback onDeath,
                         CanaryOptions options)
    : loop_(loop), onDeath_(std::move(onDeath)), options_(std::move(options)) {
  if (!options_.sourcePorts) options_.sourcePorts = SourcePorts::ofThisNamespace();
  for (const Endpoint& server : servers) {
    auto canary = std::make_unique<Canary>();
    canary->server = server;
    Canary* raw = canary.get();
    if (options_.request) canary->request = buildHttpRequest(*options_.request, server, Connection::KeepAlive);
    canary->timer = loop_.createTimer([this, raw] { onTimer(*raw); });
    canaries_.emplace(server, std::move(canary));
  }
}

CanaryWatch::~CanaryWatch() = default;

// One timer per canary, for whatever its state waits on.
void CanaryWatch::onTimer(Canary& canary) {
  switch (canary.state) {
    case Canary::State::Connecting: return onConnectResult(canary, ETIMEDOUT);
    case Canary::State::Waiting: return connect(canary);
    case Canary::State::Handshaking:  // a server that accepts but never finishes a handshake
      ++counters_.tlsFailures;
      closeSocket(canary);
      canary.state = Canary::State::Waiting;
      return canary.timer->arm(options_.tlsRetry);
    case Canary::State::Open: return sendRequest(canary);
    case Canary::State::Idle: return;
  }
}

void CanaryWatch::start() {
  for (auto& [server, canary] : canaries_) connect(*canary);
}

std::size_t CanaryWatch::open() const {
  return static_cast<std::size_t>(std::count_if(canaries_.begin(), canaries_.end(), [](const auto& entry) {
    return entry.second->state == Canary::State::Open;
  }));
}

void CanaryWatch::connect(Canary& canary) {
  closeSocket(canary);
  canary.requestSent = false;
  // Keepalive bounds a host that dies without a word: the canary errors with ETIMEDOUT after
  // idle + interval * count seconds of silence.
  const auto keepalive = [this](int fd) {
    const int on = 1;
    (void)::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &options_.keepaliveIdleSeconds, sizeof(int));
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &options_.keepaliveIntervalSeconds, sizeof(int));
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &options_.keepaliveCount, sizeof(int));
  };
  auto started = startConnect(canary.server, options_.sourcePorts.get(), canary.sourcePort, keepalive);
  if (!started.fd) return retryLater(canary);
  if (started.error != 0 && started.error != EINPROGRESS) return onConnectResult(canary, started.error);
  using namespace event::fd_event;
  // Edge-triggered with every event from the start: no epoll_ctl between connecting and open.
  auto watch = loop_.watch(std::move(started.fd), kRead | kWrite | kPeerClosed | kEdge,
                           [this, raw = &canary](std::uint32_t events) { onEvents(*raw, events); });
  if (!watch) return retryLater(canary);
  canary.watch = std::move(*watch);
  canary.state = Canary::State::Connecting;
  canary.timer->arm(options_.connectTimeout);
  if (started.error == 0) onConnectResult(canary, 0);
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
  if (canary.state == Canary::State::Handshaking) return continueHandshake(canary);
  if (canary.state == Canary::State::Open) drainOpen(canary);
}

void CanaryWatch::drainOpen(Canary& canary) {
  // Whatever the server sends (answers to the keep-alive requests, TLS 1.3 session tickets) is read
  // and dropped. End of stream (FIN, close_notify) or an error (RST, a keepalive timeout) closes
  // it. Edge-triggered: read until the socket would block (bounded; more data is a new edge).
  std::array<char, 4096> sink;
  for (int reads = 0; reads < 16; ++reads) {
    if (canary.ssl) {
      ERR_clear_error();
      const int n = SSL_read(canary.ssl.get(), sink.data(), static_cast<int>(sink.size()));
      if (n > 0) continue;
      const int kind = SSL_get_error(canary.ssl.get(), n);
      if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE) return keepSession(canary);
      return onClosed(canary, resetByPeer(kind));
    }
    const ssize_t n = ::recv(canary.watch->fd(), sink.data(), sink.size(), 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    return onClosed(canary, n < 0 && errno == ECONNRESET);
  }
}

void CanaryWatch::startHandshake(Canary& canary) {
  auto ssl = options_.tls->newConnection(canary.server, canary.watch->fd());
  if (!ssl) {
    ++counters_.tlsFailures;
    closeSocket(canary);
    canary.state = Canary::State::Waiting;
    return canary.timer->arm(options_.tlsRetry);
  }
  canary.ssl = std::move(*ssl);
  // A server's close without close_notify is how idle canaries end: a plain end of stream, not an
  // error that would spoil the session.
  SSL_set_options(canary.ssl.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (canary.session && options_.tls->resumesSessions()) SSL_set_session(canary.ssl.get(), canary.session.get());
  canary.state = Canary::State::Handshaking;
  canary.timer->arm(options_.connectTimeout);
  continueHandshake(canary);
}

void CanaryWatch::continueHandshake(Canary& canary) {
  ERR_clear_error();
  const int ret = SSL_do_handshake(canary.ssl.get());
  if (ret == 1) {
    opened(canary);
    return drainOpen(canary);  // session tickets may have come with the last flight
  }
  const int kind = SSL_get_error(canary.ssl.get(), ret);
  if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE) return;
  // The server closed during the handshake: a close like any other (a reconnect confirms it).
  if (kind != SSL_ERROR_SSL) return onClosed(canary, resetByPeer(kind));
  // A TLS reason (certificate, protocol): not ours to judge (the checks report it); retried slowly
  // so that a server with broken TLS does not get a handshake every second from every node.
  ++counters_.tlsFailures;
  closeSocket(canary);
  canary.session.reset();
  canary.state = Canary::State::Waiting;
  canary.timer->arm(options_.tlsRetry);
}

void CanaryWatch::opened(Canary& canary) {
  canary.timer->cancel();
  canary.state = Canary::State::Open;
  if (!canary.request.empty()) sendRequest(canary);  // requestSent was cleared by connect()
}

void CanaryWatch::sendRequest(Canary& canary) {
  // A small request on an idle connection goes out whole in one write; one that does not is not
  // retried: the canary's job is the close, and the next request comes anyway.
  const int size = static_cast<int>(canary.request.size());
  if (canary.ssl) {
    ERR_clear_error();
    (void)SSL_write(canary.ssl.get(), canary.request.data(), size);
  } else {
    (void)::send(canary.watch->fd(), canary.request.data(), canary.request.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  ++counters_.requests;
  canary.requestSent = true;
  canary.requestedAt = loop_.now();
  canary.timer->arm(options_.requestEvery);
}

void CanaryWatch::keepSession(Canary& canary) {
  // A TLS 1.3 server sends its session tickets after the handshake: kept once they are read. A
  // copy, because the connection's own session is marked not resumable when it ends in an error
  // (a reset, the server's death), which is how a canary usually ends.
  if (!options_.tls->resumesSessions()) return;
  SSL_SESSION* current = SSL_get_session(canary.ssl.get());
  if (current == nullptr || SSL_SESSION_is_resumable(current) != 1 || current == canary.kept) return;
  if (SslSessionPtr copy(SSL_SESSION_dup(current)); copy) {
    canary.session = std::move(copy);
    canary.kept = current;
  }
}

void CanaryWatch::closeSocket(Canary& canary) {
  if (canary.ssl) {
    keepSession(canary);  // tickets read in the same call that met the end of stream
    // Closed without a close_notify: nothing is owed to a server that closed first or died.
    SSL_set_shutdown(canary.ssl.get(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    canary.ssl.reset();
  }
  canary.kept = nullptr;
  canary.watch.reset();
}

void CanaryWatch::onConnectResult(Canary& canary, int error) {
  canary.timer->cancel();
  if (error == 0) {
    // Open as far as a death is concerned: something accepts on the port.
    canary.state = Canary::State::Open;
    canary.openedAt = loop_.now();
    ++counters_.connects;
    if (canary.afterClose) ++counters_.idleCloses;
    canary.afterClose = false;
    tell(canary, CanaryEvent::Opened);
    if (options_.tls) return startHandshake(canary);
    return opened(canary);
  }
  closeSocket(canary);
  canary.youngResets = 0;  // nothing accepts any more: a listener's queue is no longer the question
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

void CanaryWatch::onClosed(Canary& canary, bool reset) {
  closeSocket(canary);
  canary.timer->cancel();
  const TimePoint now = loop_.now();
  // Closed (not reset) right after a request: the server does not keep connections alive; asking
  // again would only make it close sooner. Such a close is explained and mended, so it does not
  // count as young below: otherwise the next canary's close within minLifetime (the server's
  // death a moment after the reopen) would wait for the retry delay.
  const bool closedByRequest = !reset && canary.requestSent && now - canary.requestedAt < options_.minLifetime;
  if (closedByRequest) canary.request.clear();
  canary.afterClose = true;
  tell(canary, CanaryEvent::Closed);
  const bool young = !closedByRequest && now - canary.openedAt < options_.minLifetime;
  if (young && reset) {
    if (canary.youngResets < options_.resetReconnects) {
      // Most likely a dying listener's queue: the next connect tells, at once.
      ++canary.youngResets;
      canary.backoff = Duration::zero();
      return connect(canary);
    }
  } else {
    canary.youngResets = 0;
  }
  const bool youngTwice = young && canary.lastWasYoung;
  canary.lastWasYoung = young;
  if (youngTwice) return retryLater(canary);
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
