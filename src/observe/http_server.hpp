// The metrics endpoint's HTTP server: on the care loop's own EpollDispatcher, no thread. Every
// socket is non-blocking and every connection is bounded, so whoever connects (a slow scraper,
// one that never reads, one sending megabytes of headers) costs a few syscalls on the loop and can
// never hold up a health check or a reconcile pass:
//   - a request head larger than maxRequestBytes gets 431 and the connection is closed;
//   - a connection gets `deadline` in total to send its request and take the response, then it is
//     closed, answered or not;
//   - at most maxConnections at a time; more are accepted and closed at once;
//   - one request per connection (Connection: close), GET and HEAD only.
// The handler runs on the loop and must be quick (it renders a few kilobytes of text).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <sys/socket.h>

#include "lvscare/endpoint.hpp"
#include "lvscare/event_loop.hpp"
#include "lvscare/socket_address.hpp"
#include "lvscare/result.hpp"
#include "observe/http_request_head.hpp"

namespace lvscare::observe {

struct HttpResponse {
  int status = 200;
  std::string contentType = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const RequestHead& request)>;

struct HttpServerLimits {
  std::size_t maxRequestBytes = 8 * 1024;
  event::Duration deadline = std::chrono::seconds(5);
  std::size_t maxConnections = 16;
};

struct HttpServerCounters {
  std::uint64_t accepted = 0;
  std::uint64_t served = 0;    // responses written in full
  std::uint64_t rejected = 0;  // answered 4xx/5xx by the server itself (bad or oversized head)
  std::uint64_t expired = 0;   // closed by the deadline
  std::uint64_t refused = 0;   // closed at once: too many connections
};

class HttpServer {
 public:
  // Binds and listens (port 0: any free port; see localAddress()). The dispatcher must outlive
  // the server. Fails when the address cannot be bound (taken, not on this host).
  static Result<std::unique_ptr<HttpServer>> listen(event::EpollDispatcher& loop, const Endpoint& address,
                                                    HttpHandler handler, HttpServerLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  const Endpoint& localAddress() const { return local_; }
  std::size_t connections() const { return connections_.size(); }
  const HttpServerCounters& counters() const { return counters_; }

 private:
  class Connection;
  HttpServer(event::EpollDispatcher& loop, Endpoint local, HttpHandler handler, HttpServerLimits limits);
  void onAcceptable();
  void close(std::uint64_t id);

  event::EpollDispatcher& loop_;
  Endpoint local_;
  HttpHandler handler_;
  HttpServerLimits limits_;
  std::unique_ptr<event::FdWatch> listener_;
  std::map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::vector<std::unique_ptr<Connection>> closed_;  // destroyed by reaper_, outside their own callbacks
  std::unique_ptr<event::Timer> reaper_;
  std::uint64_t nextId_ = 0;
  HttpServerCounters counters_;
};

// The bytes of a response: status line, Content-Type, Content-Length, Connection: close, and the
// body unless it answers a HEAD request.
std::string serializeResponse(const HttpResponse& response, bool headOnly);

}  // namespace lvscare::observe
