#include "loopback_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <cstring>

namespace lvscare::health::testing {

struct LoopbackServer::Connection {
  std::unique_ptr<event::FdWatch> watch;  // owns the fd
  std::unique_ptr<event::Timer> timer;    // ResetSoon: when to reset it
  SSL* ssl = nullptr;
  bool handshakeDone = false;
  std::string request;
  ~Connection() {
    if (ssl != nullptr) SSL_free(ssl);
  }
};

LoopbackServer::LoopbackServer(event::EpollDispatcher& loop, ServerMode mode, std::string response, const char* address,
                               const TlsServerConfig* tls)
    : loop_(loop), mode_(mode), response_(std::move(response)) {
  auto ip = IpAddress::parse(address);
  if (!ip) {
    ADD_FAILURE() << ip.error().message;
    return;
  }
  if (tls != nullptr) {
    tls_ = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(tls_, tls->certFile.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(tls_, tls->keyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
      ADD_FAILURE() << "test server certificate " << tls->certFile;
      return;
    }
    if (!tls->clientCaFile.empty()) {
      SSL_CTX_load_verify_locations(tls_, tls->clientCaFile.c_str(), nullptr);
      SSL_CTX_set_verify(tls_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
  }
  UniqueFd fd(socket(ip->af(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (ip->isV4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    std::memcpy(&in->sin_addr, ip->bytes.data(), 4);
    length = sizeof *in;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    std::memcpy(&in6->sin6_addr, ip->bytes.data(), 16);
    length = sizeof *in6;
  }
  if (!fd || bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0 || listen(fd.get(), 16) != 0 ||
      getsockname(fd.get(), reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return;  // ok() says false; a test that needs IPv6 skips on that
  }
  const std::uint16_t port = ntohs(ip->isV4() ? reinterpret_cast<sockaddr_in*>(&storage)->sin_port
                                              : reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  endpoint_ = Endpoint{*ip, port};
  // NeverAccept: still registered (so ok() holds), but with no interest: the backlog just fills.
  const std::uint32_t interest = mode_ == ServerMode::NeverAccept ? 0 : event::fd_event::kRead;
  auto watch = loop_.watch(std::move(fd), interest, [this](std::uint32_t) { onAccept(); });
  if (watch) listener_ = std::move(*watch);
}

LoopbackServer::~LoopbackServer() {
  connections_.clear();
  listener_.reset();
  if (tls_ != nullptr) SSL_CTX_free(tls_);
}

void LoopbackServer::onAccept() {
  for (int i = 0; i < 16; ++i) {
    sockaddr_storage peer{};
    socklen_t peerLength = sizeof peer;
    UniqueFd fd(
        accept4(listener_->fd(), reinterpret_cast<sockaddr*>(&peer), &peerLength, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) return;
    ++accepted_;
    // sin_port and sin6_port sit at the same offset
    peerPorts_.push_back(ntohs(reinterpret_cast<const sockaddr_in&>(peer).sin_port));
    if (mode_ == ServerMode::CloseAtOnce) continue;  // closed here
    if (mode_ == ServerMode::ResetSoon) {
      // Later, not here: the client is told its connect succeeded first, as across a network.
      const linger abort{1, 0};
      setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
      const int raw = fd.get();
      auto connection = std::make_unique<Connection>();
      auto watch = loop_.watch(std::move(fd), 0, [](std::uint32_t) {});
      if (!watch) continue;
      connection->watch = std::move(*watch);
      connection->timer = loop_.createTimer([this, raw] { close(raw); });
      connection->timer->arm(std::chrono::milliseconds(2));
      connections_[raw] = std::move(connection);
      continue;
    }
    const int raw = fd.get();
    auto connection = std::make_unique<Connection>();
    if (tls_ != nullptr) {
      connection->ssl = SSL_new(tls_);
      SSL_set_fd(connection->ssl, raw);
      SSL_set_accept_state(connection->ssl);
    }
    auto watch = loop_.watch(std::move(fd), event::fd_event::kRead, [this, raw](std::uint32_t) { onReadable(raw); });
    if (!watch) continue;
    connection->watch = std::move(*watch);
    connections_[raw] = std::move(connection);
  }
}

void LoopbackServer::onReadable(int fd) {
  Connection& c = *connections_.at(fd);
  if (mode_ == ServerMode::AcceptSilently) {
    char sink[4096];
    if (recv(fd, sink, sizeof sink, 0) == 0) close(fd);
    return;
  }
  if (c.ssl != nullptr && !c.handshakeDone) {
    ERR_clear_error();
    const int ret = SSL_do_handshake(c.ssl);
    if (ret != 1) {
      const int kind = SSL_get_error(c.ssl, ret);
      if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE) return;
      char text[256] = "handshake failed";
      if (const unsigned long e = ERR_get_error(); e != 0) ERR_error_string_n(e, text, sizeof text);
      tlsError_ = text;
      return close(fd);
    }
    c.handshakeDone = true;
    ++handshakes_;
    if (SSL_session_reused(c.ssl) == 1) ++resumed_;
    const char* sni = SSL_get_servername(c.ssl, TLSEXT_NAMETYPE_host_name);
    serverName_ = sni != nullptr ? sni : "";
    if (mode_ == ServerMode::CloseAfterHandshake) return close(fd);
  }
  char buffer[4096];
  const int n =
      c.ssl != nullptr ? SSL_read(c.ssl, buffer, sizeof buffer) : static_cast<int>(recv(fd, buffer, sizeof buffer, 0));
  if (n <= 0) {
    if (c.ssl != nullptr && SSL_get_error(c.ssl, n) == SSL_ERROR_WANT_READ) return;
    if (c.ssl == nullptr && n < 0 && errno == EAGAIN) return;
    return close(fd);
  }
  c.request.append(buffer, static_cast<std::size_t>(n));
  if (mode_ == ServerMode::Respond || mode_ == ServerMode::RespondKeepAlive) {
    const auto end = c.request.find("\r\n\r\n");
    if (end == std::string::npos) return;
    // The body, when a Content-Length announces one.
    std::size_t bodyLength = 0;
    if (auto at = c.request.find("Content-Length: "); at != std::string::npos && at < end) {
      bodyLength = std::stoul(c.request.substr(at + 16));
    }
    if (c.request.size() < end + 4 + bodyLength) return;
  }
  requests_.push_back(c.request);
  // Small responses to a local peer: one write each is enough.
  if (c.ssl != nullptr) {
    SSL_write(c.ssl, response_.data(), static_cast<int>(response_.size()));
  } else {
    [[maybe_unused]] auto sent = send(fd, response_.data(), response_.size(), MSG_NOSIGNAL);
  }
  if (mode_ == ServerMode::RespondKeepAlive) return c.request.clear();
  close(fd);
}

void LoopbackServer::close(int fd) { connections_.erase(fd); }

}  // namespace lvscare::health::testing
