#include "health_bench_server.hpp"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "lvscare/event_loop.hpp"
#include "support/self_signed_tls.hpp"

namespace lvscare::bench {
namespace {

using namespace lvscare::event;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "health_check_bench server: %s\n", what.c_str());
  std::exit(1);
}

struct Connection {
  std::unique_ptr<FdWatch> watch;  // owns the socket
  SSL* ssl = nullptr;
  ~Connection() {
    if (ssl != nullptr) SSL_free(ssl);
  }
};

constexpr std::string_view kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

// Reads what the checker sent and answers once a request has arrived. HAProxy and lvscare both
// send the whole request in one write, so its first bytes are taken as all of it. Returns false
// when the connection is done (answered or failed).
bool onReadable(Connection& c, int fd, std::atomic<std::uint64_t>* served) {
  char buffer[2048];
  if (c.ssl == nullptr) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EAGAIN) return true;
    if (n > 0) {
      [[maybe_unused]] auto sent = send(fd, kResponse.data(), kResponse.size(), MSG_NOSIGNAL);
      served->fetch_add(1, std::memory_order_relaxed);
    }
    return false;
  }
  ERR_clear_error();
  if (!SSL_is_init_finished(c.ssl)) {
    const int ret = SSL_do_handshake(c.ssl);
    if (ret != 1) return SSL_get_error(c.ssl, ret) == SSL_ERROR_WANT_READ;
  }
  const int n = SSL_read(c.ssl, buffer, sizeof buffer);
  if (n <= 0) return SSL_get_error(c.ssl, n) == SSL_ERROR_WANT_READ;
  SSL_write(c.ssl, kResponse.data(), static_cast<int>(kResponse.size()));
  served->fetch_add(1, std::memory_order_relaxed);
  return false;
}

}  // namespace

std::vector<UniqueFd> listenLoopback(int count, std::vector<int>& ports) {
  std::vector<UniqueFd> listeners;
  for (int i = 0; i < count; ++i) {
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof in;
    if (!fd || bind(fd.get(), reinterpret_cast<sockaddr*>(&in), sizeof in) != 0 || ::listen(fd.get(), 512) != 0 ||
        getsockname(fd.get(), reinterpret_cast<sockaddr*>(&in), &length) != 0) {
      die(std::string("listen on 127.0.0.1: ") + std::strerror(errno));
    }
    ports.push_back(ntohs(in.sin_port));
    listeners.push_back(std::move(fd));
  }
  return listeners;
}

void serveHealth(const std::vector<UniqueFd>& listeners, bool tls, std::atomic<std::uint64_t>* served) {
  auto loop = EpollDispatcher::create();
  if (!loop) die(loop.error().describe());
  // OpenSSL writes with write(2): a checker that has closed must not kill the server.
  signal(SIGPIPE, SIG_IGN);
  SSL_CTX* ctx = tls ? testing::makeSelfSignedServerContext("bench") : nullptr;
  if (tls && ctx == nullptr) die("TLS server context");
  std::vector<std::unique_ptr<FdWatch>> watches;
  std::vector<std::unique_ptr<Connection>> connections(65536);  // by fd
  for (const UniqueFd& listener : listeners) {
    const int fd = listener.get();
    auto watch = (*loop)->watch(fd, fd_event::kRead, [&, fd](std::uint32_t) {
      for (int i = 0; i < 64; ++i) {
        const int client = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) return;
        auto connection = std::make_unique<Connection>();
        if (ctx != nullptr) {
          connection->ssl = SSL_new(ctx);
          SSL_set_fd(connection->ssl, client);
          SSL_set_accept_state(connection->ssl);
        }
        auto w = (*loop)->watch(UniqueFd(client), fd_event::kRead, [&, client](std::uint32_t) {
          auto& slot = connections[static_cast<std::size_t>(client)];
          if (!onReadable(*slot, client, served)) slot.reset();  // closes the socket
        });
        if (!w) continue;
        connection->watch = std::move(*w);
        connections[static_cast<std::size_t>(client)] = std::move(connection);
      }
    });
    if (!watch) die(watch.error().describe());
    watches.push_back(std::move(*watch));
  }
  (*loop)->run();
  std::exit(0);
}

}  // namespace lvscare::bench
