#include "cli/status_command.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "cli/flag_values.hpp"
#include "health/http_response_parser.hpp"
#include "lvscare/care.hpp"
#include "lvscare/socket_address.hpp"
#include "lvscare/unique_fd.hpp"

namespace lvscare::cli {
namespace {

using Clock = std::chrono::steady_clock;

Failure ioError(std::string what, int err) { return fail(Errc::Io, what + ": " + std::strerror(err), err); }

// Waits until `fd` is ready for `events` or the deadline passes.
Result<void> waitFor(int fd, short events, Clock::time_point deadline, std::string_view what) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return fail(Errc::Timeout, fmt::format("no answer while {}", what));
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return {};
    if (n < 0 && errno != EINTR) return ioError("poll", errno);
  }
}

// A wildcard bind address means "every address of this host": ask on loopback.
Endpoint reachable(Endpoint address) {
  if (address.address == IpAddress{}) address.address = IpAddress::v4(127, 0, 0, 1);
  IpAddress any6;
  any6.family = Family::V6;
  if (address.address == any6) address.address.bytes[15] = 1;
  return address;
}

}  // namespace

Result<std::string> httpGet(const Endpoint& server, std::string_view target, health::Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  UniqueFd fd(::socket(server.address.af(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return ioError("socket", errno);
  sockaddr_storage storage;
  const socklen_t length = toSockaddr(server, storage);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    if (errno != EINPROGRESS) return ioError("connect", errno);
    if (auto ready = waitFor(fd.get(), POLLOUT, deadline, "connecting"); !ready) return passOn(ready);
    int err = 0;
    socklen_t size = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &size);
    if (err != 0) return ioError("connect", err);
  }
  const std::string request =
      fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", target, server.toString());
  for (std::size_t sent = 0; sent < request.size();) {
    if (auto ready = waitFor(fd.get(), POLLOUT, deadline, "sending"); !ready) return passOn(ready);
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return ioError("send", errno);
    if (n > 0) sent += static_cast<std::size_t>(n);
  }
  std::string response;
  constexpr std::size_t kMaxResponse = 4u << 20;
  for (;;) {
    if (auto ready = waitFor(fd.get(), POLLIN, deadline, "reading the answer"); !ready) return passOn(ready);
    char chunk[16384];
    const ssize_t n = ::recv(fd.get(), chunk, sizeof chunk, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return ioError("recv", errno);
    if (n == 0) break;
    response.append(chunk, static_cast<std::size_t>(n));
    if (response.size() > kMaxResponse) return fail(Errc::Malformed, "answer over 4 MiB");
  }
  health::HttpResponseParser parser;
  if (parser.feed(response) != health::HttpResponseParser::State::Done)
    return fail(Errc::Malformed,
                "not an HTTP answer" + (parser.error().empty() ? std::string() : ": " + parser.error()));
  std::string body = response.substr(parser.consumed());
  if (parser.status() != 200)
    return fail(Errc::Malformed,
                fmt::format("HTTP {} for {}: {}", parser.status(), target, body.substr(0, body.find('\n'))));
  return body;
}

void addStatusFlags(CLI::App& command, StatusFlags& flags) {
  flags.address = std::string(care::kDefaultMetricsBindAddress);
  command.add_flag("--json", flags.json, "print JSON instead of a table");
  command.add_option("--metrics-bind-address", flags.address, "the daemon's --metrics-bind-address")
      ->capture_default_str();
  command.add_option("--timeout", flags.timeout, "how long to wait for the answer")->capture_default_str();
}

int runStatusCommand(const StatusFlags& flags) {
  auto address = Endpoint::parse(flags.address);
  if (!address) {
    std::fprintf(stderr, "lvscare status: --metrics-bind-address: %s\n", address.error().message.c_str());
    return kExitUsage;
  }
  auto timeout = parseSecondsOrDuration("--timeout", flags.timeout);
  if (!timeout || timeout->count() <= 0) {
    std::fprintf(stderr, "lvscare status: --timeout \"%s\": want a duration such as 3s\n", flags.timeout.c_str());
    return kExitUsage;
  }
  const Endpoint server = reachable(*address);
  auto body = httpGet(server, flags.json ? "/status" : "/status?format=table", *timeout);
  if (!body) {
    std::fprintf(stderr, "lvscare status: no lvscare answers at %s: %s\n", server.toString().c_str(),
                 body.error().message.c_str());
    return kExitFailure;
  }
  std::fwrite(body->data(), 1, body->size(), stdout);
  return 0;
}

}  // namespace lvscare::cli
