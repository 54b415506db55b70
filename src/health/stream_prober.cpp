#include "health/stream_prober.hpp"

#include <netinet/in.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "health/http_request.hpp"

namespace lvscare::health {
namespace {

std::string errnoText(std::string_view what, int err) { return std::string(what) + ": " + std::strerror(err); }

bool wantsMore(int sslError) { return sslError == SSL_ERROR_WANT_READ || sslError == SSL_ERROR_WANT_WRITE; }

}  // namespace

StreamProber::StreamProber(event::EpollDispatcher& loop, const Endpoint& target, std::shared_ptr<const ProbeSpec> spec)
    : loop_(loop),
      target_(target),
      spec_(std::move(spec)),
      later_(loop.createTimer([this] { finish(laterFailure_, laterDetail_); })) {
  if (spec_->config.scheme != Scheme::Tcp) request_ = buildHttpRequest(spec_->config, target_);
}

StreamProber::~StreamProber() { close(); }

void StreamProber::start(ProbeCallback done) {
  close();
  done_ = std::move(done);
  parser_.reset();
  sent_ = 0;
  readable_ = false;
  auto started = startConnect(target_, spec_->sourcePorts.get(), sourcePort_);
  if (!started.fd) return finishLater(FailureKind::Other, errnoText("socket", started.error));
  if (started.error != 0 && started.error != EINPROGRESS) {
    return finishLater(failureKindOfErrno(started.error), errnoText("connect", started.error));
  }
  // Edge-triggered with both directions from the start: no epoll_ctl between the stages.
  using namespace event::fd_event;
  auto watch = loop_.watch(std::move(started.fd), kRead | kWrite | kPeerClosed | kEdge,
                           [this](std::uint32_t events) { onEvents(events); });
  if (!watch) return finishLater(FailureKind::Other, watch.error().describe());
  watch_ = std::move(*watch);
  stage_ = Stage::Connecting;
}

void StreamProber::cancel() {
  close();
  done_ = nullptr;
}

std::string_view StreamProber::stage() const {
  switch (stage_) {
    case Stage::Idle: return "";
    case Stage::Connecting: return "connecting";
    case Stage::Handshake: return "TLS handshake";
    case Stage::Sending: return "sending the request";
    case Stage::Receiving: return "waiting for the response headers";
  }
  return "";
}

void StreamProber::onEvents(std::uint32_t events) {
  using namespace event::fd_event;
  // End of stream and errors are read results too.
  if ((events & (kRead | kPeerClosed | kHangup | kError)) != 0) readable_ = true;
  if (stage_ != Stage::Connecting) return drive();
  if ((events & (kError | kHangup)) != 0) {
    int err = 0;
    socklen_t length = sizeof err;
    getsockopt(watch_->fd(), SOL_SOCKET, SO_ERROR, &err, &length);
    if (err == 0) err = ECONNREFUSED;
    return finish(failureKindOfErrno(err), errnoText("connect", err));
  }
  if ((events & kWrite) != 0) connected();
}

void StreamProber::connected() {
  switch (spec_->config.scheme) {
    case Scheme::Tcp: return finish(FailureKind::None, "connected");
    case Scheme::Http: stage_ = Stage::Sending; break;
    case Scheme::Https: {
      auto ssl = spec_->tls->newConnection(target_, watch_->fd());
      if (!ssl) return finish(FailureKind::Other, ssl.error().message);
      ssl_ = std::move(*ssl);
      // Resumption skips the certificate exchange and its signature checks: most of a probe's CPU.
      if (session_) SSL_set_session(ssl_.get(), session_.get());
      stage_ = Stage::Handshake;
      break;
    }
  }
  drive();
}

void StreamProber::drive() {
  // Each step returns true when it completed its stage; false when it waits for the socket or
  // finished the probe.
  while (true) {
    switch (stage_) {
      case Stage::Handshake:
        if (!handshake()) return;
        break;
      case Stage::Sending:
        if (!send()) return;
        break;
      case Stage::Receiving: receive(); return;
      case Stage::Idle:
      case Stage::Connecting: return;
    }
  }
}

bool StreamProber::handshake() {
  ERR_clear_error();
  const int ret = SSL_do_handshake(ssl_.get());
  if (ret == 1) {
    stage_ = Stage::Sending;
    return true;
  }
  if (!wantsMore(SSL_get_error(ssl_.get(), ret)))
    finish(FailureKind::Tls, spec_->tls->failure(ssl_.get(), ret, "TLS handshake"));
  return false;
}

bool StreamProber::send() {
  while (sent_ < request_.size()) {
    const char* data = request_.data() + sent_;
    const std::size_t left = request_.size() - sent_;
    if (ssl_) {
      ERR_clear_error();
      const int ret = SSL_write(ssl_.get(), data, static_cast<int>(left));
      if (ret > 0) {
        sent_ += static_cast<std::size_t>(ret);
        continue;
      }
      if (!wantsMore(SSL_get_error(ssl_.get(), ret)))
        finish(FailureKind::Tls, spec_->tls->failure(ssl_.get(), ret, "TLS write"));
      return false;
    }
    const ssize_t n = ::send(watch_->fd(), data, left, MSG_NOSIGNAL);
    if (n >= 0) {
      sent_ += static_cast<std::size_t>(n);
    } else if (errno != EINTR) {
      if (errno != EAGAIN) finish(failureKindOfErrno(errno), errnoText("send", errno));
      return false;
    }
  }
  stage_ = Stage::Receiving;
  return true;
}

void StreamProber::receive() {
  char buffer[4096];
  // Bounded: the parser fails a header block over its cap (16 KiB) long before 64 reads.
  for (int i = 0; i < 64; ++i) {
    std::size_t got = 0;
    if (ssl_) {
      // OpenSSL may hold decrypted bytes already, so it is asked even without a new read event.
      ERR_clear_error();
      const int ret = SSL_read(ssl_.get(), buffer, sizeof buffer);
      if (ret <= 0) {
        const int kind = SSL_get_error(ssl_.get(), ret);
        if (wantsMore(kind)) return;
        if (kind != SSL_ERROR_ZERO_RETURN)
          return finish(FailureKind::Tls, spec_->tls->failure(ssl_.get(), ret, "TLS read"));
      }
      got = ret > 0 ? static_cast<std::size_t>(ret) : 0;
    } else {
      if (!readable_) return;
      const ssize_t n = ::recv(watch_->fd(), buffer, sizeof buffer, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return finish(failureKindOfErrno(errno), errnoText("recv", errno));
        readable_ = false;
        return;
      }
      got = static_cast<std::size_t>(n);
    }
    if (got == 0) {
      return finish(FailureKind::Other, parser_.consumed() == 0
                                            ? "connection closed without a response"
                                            : "connection closed before the end of the response headers");
    }
    if (consume(std::string_view(buffer, got))) return;
  }
}

bool StreamProber::consume(std::string_view bytes) {
  switch (parser_.feed(bytes)) {
    case HttpResponseParser::State::NeedMore: return false;
    case HttpResponseParser::State::Done:
      // A TLS 1.3 server sends its session ticket after the handshake; by now it has been read.
      if (ssl_ && spec_->tls->resumesSessions()) {
        SslSessionPtr session(SSL_get1_session(ssl_.get()));
        if (session && SSL_SESSION_is_resumable(session.get()) == 1) session_ = std::move(session);
        // SSL_free() of a connection not shut down marks its session not resumable. We close
        // without a close_notify (the server has said all we need), so mark it shut down.
        SSL_set_shutdown(ssl_.get(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
      }
      finish(isHealthyStatus(parser_.status(), spec_->config.extraHealthyStatuses) ? FailureKind::None
                                                                                   : FailureKind::HttpStatus,
             "HTTP " + std::to_string(parser_.status()));
      return true;
    case HttpResponseParser::State::Error:
      finish(FailureKind::Other, "bad HTTP response: " + parser_.error());
      return true;
  }
  return true;
}

void StreamProber::finish(FailureKind failure, std::string detail) {
  // Whatever went wrong may have been the session: the next probe starts afresh.
  if (parser_.state() != HttpResponseParser::State::Done) session_.reset();
  close();
  // Moved out first: the callback may destroy this prober.
  ProbeCallback done = std::move(done_);
  done_ = nullptr;
  if (done) done(ProbeResult{failure == FailureKind::None, std::move(detail), {}, failure});
}

void StreamProber::finishLater(FailureKind failure, std::string detail) {
  laterFailure_ = failure;
  laterDetail_ = std::move(detail);
  later_->arm(Duration::zero());
}

void StreamProber::close() {
  later_->cancel();
  ssl_.reset();
  watch_.reset();  // closes the socket, which also takes it out of epoll
  stage_ = Stage::Idle;
}

}  // namespace lvscare::health
