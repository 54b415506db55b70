#include "observe/http_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace lvscare::observe {

namespace {

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

Failure socketError(std::string_view what, const Endpoint& address) {
  const int err = errno;
  return fail(Errc::Io, fmt::format("{} {}: {}", what, address.toString(), std::strerror(err)), err);
}

}  // namespace

std::string serializeResponse(const HttpResponse& response, bool headOnly) {
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n"
      "X-Content-Type-Options: nosniff\r\n{}Connection: close\r\n\r\n",
      response.status, reasonPhrase(response.status), response.contentType, response.body.size(),
      response.status == 405 ? "Allow: GET, HEAD\r\n" : "");
  if (!headOnly) out += response.body;
  return out;
}

// One accepted connection: read a head (bounded), answer it, close. Everything it does happens in
// callbacks of the loop; nothing waits.
class HttpServer::Connection {
 public:
  Connection(HttpServer& server, std::uint64_t id) : server_(server), id_(id) {}

  Result<void> start(UniqueFd fd) {
    auto watch = server_.loop_.watch(std::move(fd), event::fd_event::kRead | event::fd_event::kPeerClosed,
                                     [this](std::uint32_t events) { onEvents(events); });
    if (!watch) return passOn(watch);
    watch_ = std::move(*watch);
    deadline_ = server_.loop_.createTimer([this] {
      ++server_.counters_.expired;
      server_.close(id_);
    });
    deadline_->arm(server_.limits_.deadline);
    return {};
  }

  // Stops watching the socket and closes it; the object itself is destroyed later by the server.
  void shut() { watch_.reset(); }

 private:
  void onEvents(std::uint32_t events) {
    if (!out_.empty()) {
      if (events & (event::fd_event::kError | event::fd_event::kHangup)) return server_.close(id_);
      if (events & event::fd_event::kWrite) writeSome();
      return;
    }
    readSome();
  }

  void readSome() {
    const std::size_t cap = server_.limits_.maxRequestBytes;
    char chunk[4096];
    while (in_.size() < cap) {
      const std::size_t room = std::min(sizeof chunk, cap - in_.size());
      const ssize_t n = ::recv(watch_->fd(), chunk, room, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) return server_.close(id_);  // gone (or reset) before a whole request arrived
      const std::size_t before = in_.size();
      in_.append(chunk, static_cast<std::size_t>(n));
      if (auto end = findHeadEnd(in_, before)) return answer(std::string_view(in_).substr(0, *end));
    }
    ++server_.counters_.rejected;
    respond(HttpResponse{431, "text/plain; charset=utf-8", fmt::format("request head over {} bytes\n", cap)}, false);
  }

  void answer(std::string_view head) {
    const ParsedHead parsed = parseRequestHead(head);
    if (!parsed.head) {
      ++server_.counters_.rejected;
      return respond(HttpResponse{parsed.error.status, "text/plain; charset=utf-8", parsed.error.reason + "\n"}, false);
    }
    const bool headOnly = parsed.head->method == "HEAD";
    if (parsed.head->method != "GET" && !headOnly) {
      ++server_.counters_.rejected;
      return respond(HttpResponse{405, "text/plain; charset=utf-8", "only GET and HEAD\n"}, false);
    }
    respond(server_.handler_(*parsed.head), headOnly);
  }

  void respond(const HttpResponse& response, bool headOnly) {
    out_ = serializeResponse(response, headOnly);
    in_.clear();
    in_.shrink_to_fit();
    if (auto interest = watch_->setInterest(event::fd_event::kWrite); !interest) return server_.close(id_);
    writeSome();
  }

  void writeSome() {
    while (sent_ < out_.size()) {
      const ssize_t n = ::send(watch_->fd(), out_.data() + sent_, out_.size() - sent_, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // the client reads slowly: wait for kWrite
      if (n < 0) return server_.close(id_);
      sent_ += static_cast<std::size_t>(n);
    }
    ++server_.counters_.served;
    server_.close(id_);
  }

  HttpServer& server_;
  std::uint64_t id_;
  std::unique_ptr<event::FdWatch> watch_;
  std::unique_ptr<event::Timer> deadline_;
  std::string in_;
  std::string out_;
  std::size_t sent_ = 0;
};

HttpServer::HttpServer(event::EpollDispatcher& loop, Endpoint local, HttpHandler handler, HttpServerLimits limits)
    : loop_(loop), local_(local), handler_(std::move(handler)), limits_(limits) {
  reaper_ = loop_.createTimer([this] { closed_.clear(); });
}

HttpServer::~HttpServer() = default;

Result<std::unique_ptr<HttpServer>> HttpServer::listen(event::EpollDispatcher& loop, const Endpoint& address,
                                                       HttpHandler handler, HttpServerLimits limits) {
  UniqueFd fd(::socket(address.address.af(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return socketError("socket for", address);
  // A restarted lvscare must get its port back while old connections sit in TIME_WAIT.
  const int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_storage storage;
  const socklen_t length = toSockaddr(address, storage);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) return socketError("bind", address);
  if (::listen(fd.get(), 64) != 0) return socketError("listen on", address);
  socklen_t boundLength = sizeof storage;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&storage), &boundLength) != 0)
    return socketError("getsockname of", address);
  Endpoint local = address;
  local.port = ntohs(storage.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&storage)->sin_port
                                                  : reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);

  std::unique_ptr<HttpServer> server(new HttpServer(loop, local, std::move(handler), limits));
  auto watch =
      loop.watch(std::move(fd), event::fd_event::kRead, [raw = server.get()](std::uint32_t) { raw->onAcceptable(); });
  if (!watch) return passOn(watch, "watch " + local.toString());
  server->listener_ = std::move(*watch);
  return server;
}

void HttpServer::onAcceptable() {
  // A bounded number per wake-up: a connection flood gets its turn like every other callback.
  for (int i = 0; i < 16; ++i) {
    UniqueFd fd(::accept4(listener_->fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) return;  // EAGAIN, or an error that concerns only that one connection
    ++counters_.accepted;
    if (connections_.size() >= limits_.maxConnections) {
      ++counters_.refused;
      continue;  // closed here
    }
    const std::uint64_t id = nextId_++;
    auto connection = std::make_unique<Connection>(*this, id);
    if (!connection->start(std::move(fd))) continue;
    connections_.emplace(id, std::move(connection));
  }
}

void HttpServer::close(std::uint64_t id) {
  auto found = connections_.find(id);
  if (found == connections_.end()) return;
  found->second->shut();
  closed_.push_back(std::move(found->second));
  connections_.erase(found);
  reaper_->arm(event::Duration::zero());
}

}  // namespace lvscare::observe
