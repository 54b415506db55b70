// A stand-in for kube-apiserver across a graceful restart (issue 13 item 4), for the failover tests
// and benchmarks:
//
//   apiserver_standin --listen ADDR:PORT [--name NAME] [--tls | --cert FILE --key FILE]
//                     [--shutdown-delay D] [--shutdown-grace D] [--startup-delay D]
//                     [--listen-when-ready] [--idle-timeout D] [--log FILE] [--port-file FILE]
//
// Serves /healthz, /livez and /readyz (with ?verbose, in the apiserver's "[+]ping ok" list style) and
// /api?id=<n>[&delay=<ms>], which answers 200 "<name> <n>" and first appends "<n> <name>" to the
// --log file (so a benchmark can check that every request a client saw acknowledged was served).
// Like kube-apiserver on SIGTERM: /readyz answers 500 for --shutdown-delay while every request is
// still served, then the listener closes, requests in flight get up to --shutdown-grace to finish,
// and the process exits 0. A second SIGTERM exits at once. For --startup-delay after start /readyz
// and /healthz fail (post-start hooks not done); with --listen-when-ready the port is not even open
// until then. A connection that sends no request for --idle-timeout (default 10s) is closed, as
// servers close idle connections (issue 15's canaries meet this). One thread per connection: short
// requests at hundreds of connections per second.
#include <fcntl.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/self_signed_tls.hpp"
#include "support/standin_common.hpp"

namespace {

using namespace lvscare::standin;
constexpr const char* kProgram = "apiserver_standin";
constexpr int kMaxConnections = 2048;        // beyond this a new connection is closed at once
constexpr std::int64_t kMaxRequestDelayMs = 10'000;

struct Options {
  SocketAddress listen;
  std::string listenText;
  std::string name = "standin";
  bool tls = false;
  std::string certFile, keyFile, logFile, portFile;
  std::int64_t shutdownDelayMs = 0, shutdownGraceMs = 5000, startupDelayMs = 0, idleTimeoutMs = 10'000;
  bool listenWhenReady = false;
};

// What the process is doing now; read by every connection thread.
std::atomic<bool> g_shuttingDown{false};
std::atomic<int> g_active{0};
SteadyClock::time_point g_readyAt;
int g_logFd = -1;
SSL_CTX* g_tls = nullptr;
const Options* g_options = nullptr;

bool starting() { return SteadyClock::now() < g_readyAt; }

Options parse(int argc, char** argv) {
  Options o;
  bool haveListen = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--tls") { o.tls = true; continue; }
    if (flag == "--listen-when-ready") { o.listenWhenReady = true; continue; }
    if (i + 1 >= argc) usageError(kProgram, "flag " + std::string(flag) + " needs a value (see the header of apiserver_standin.cpp)");
    const std::string value = argv[++i];
    auto millis = [&](std::int64_t& out) {
      const auto parsed = parseMillis(value);
      if (!parsed) usageError(kProgram, std::string(flag) + ": not a duration (such as 500ms or 3s): " + value);
      out = *parsed;
    };
    if (flag == "--listen") {
      const auto address = parseAddress(value);
      if (!address) usageError(kProgram, "--listen: not ADDRESS:PORT: " + value);
      o.listen = *address;
      o.listenText = value;
      haveListen = true;
    } else if (flag == "--name") { o.name = value;
    } else if (flag == "--cert") { o.certFile = value;
    } else if (flag == "--key") { o.keyFile = value;
    } else if (flag == "--log") { o.logFile = value;
    } else if (flag == "--port-file") { o.portFile = value;
    } else if (flag == "--shutdown-delay") { millis(o.shutdownDelayMs);
    } else if (flag == "--shutdown-grace") { millis(o.shutdownGraceMs);
    } else if (flag == "--startup-delay") { millis(o.startupDelayMs);
    } else if (flag == "--idle-timeout") { millis(o.idleTimeoutMs);
    } else {
      usageError(kProgram, "unknown flag " + std::string(flag));
    }
  }
  if (!haveListen) usageError(kProgram, "--listen ADDRESS:PORT is required");
  if (o.certFile.empty() != o.keyFile.empty()) usageError(kProgram, "--cert and --key go together");
  if (!o.certFile.empty()) o.tls = true;
  if (o.name.empty() || o.name.find_first_of(" \r\n") != std::string::npos) usageError(kProgram, "--name: one word");
  return o;
}

// ---- the answers -------------------------------------------------------------------------------

struct Response {
  int status = 200;
  std::string body;
};

// The apiserver's health endpoints: "ok", or with ?verbose the list of checks and "<name> check
// passed"; a failure is always the list, "[-]<check> failed: reason withheld" and status 500.
Response healthAnswer(std::string_view endpoint, bool verbose) {
  const bool isReadyz = endpoint == "readyz";
  const bool startupFailed = starting();
  const bool shutdownFailed = isReadyz && g_shuttingDown.load();
  if (!verbose && !startupFailed && !shutdownFailed) return {200, "ok"};
  std::string list = "[+]ping ok\n[+]log ok\n[+]etcd ok\n";
  if (isReadyz) list += "[+]informer-sync ok\n";
  list += startupFailed ? "[-]poststarthook/start-apiserver-admission-initializer failed: reason withheld\n"
                        : "[+]poststarthook/start-apiserver-admission-initializer ok\n";
  if (isReadyz) list += shutdownFailed ? "[-]shutdown failed: reason withheld\n" : "[+]shutdown ok\n";
  if (startupFailed || shutdownFailed) return {500, list + std::string(endpoint) + " check failed\n"};
  return {200, list + std::string(endpoint) + " check passed\n"};
}

// The value of `key` in a query string ("id=7&delay=100"), or empty.
std::string_view queryValue(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.size() > key.size() && pair.starts_with(key) && pair[key.size()] == '=') return pair.substr(key.size() + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

// /api?id=<n>: the client request a benchmark counts. Logged before the answer is sent, so an
// acknowledged id is always in the log.
Response apiAnswer(std::string_view query) {
  const std::string_view id = queryValue(query, "id");
  if (id.empty() || id.size() > 20 || id.find_first_not_of("0123456789") != std::string_view::npos) {
    return {400, "id=<number> is required\n"};
  }
  if (const auto delay = parseCount(queryValue(query, "delay"), kMaxRequestDelayMs)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(*delay));
  }
  if (g_logFd >= 0) {
    const std::string line = std::string(id) + " " + g_options->name + "\n";
    if (write(g_logFd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return {500, "log write failed\n"};
  }
  return {200, g_options->name + " " + std::string(id) + "\n"};
}

Response answer(std::string_view target) {
  const auto mark = target.find('?');
  const std::string_view path = target.substr(0, mark);
  const std::string_view query = mark == std::string_view::npos ? std::string_view() : target.substr(mark + 1);
  const bool verbose = query == "verbose" || query.starts_with("verbose&") || query.starts_with("verbose=");
  if (path == "/healthz" || path == "/livez" || path == "/readyz") return healthAnswer(path.substr(1), verbose);
  if (path == "/api") return apiAnswer(query);
  return {404, "404 page not found\n"};
}

// ---- one connection ------------------------------------------------------------------------------

// Plain or TLS reads and writes on a blocking socket with SO_RCVTIMEO/SO_SNDTIMEO.
class Stream {
 public:
  explicit Stream(int fd) : fd_(fd) {}
  ~Stream() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    close(fd_);
  }
  bool handshake() {
    if (g_tls == nullptr) return true;
    ssl_ = SSL_new(g_tls);
    return ssl_ != nullptr && SSL_set_fd(ssl_, fd_) == 1 && SSL_accept(ssl_) == 1;
  }
  ssize_t read(char* buffer, std::size_t size) {
    if (ssl_ == nullptr) return recv(fd_, buffer, size, 0);
    const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
    return n > 0 ? n : -1;
  }
  bool writeAll(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ssl_ != nullptr ? SSL_write(ssl_, data.data(), static_cast<int>(data.size()))
                                        : send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    if (ssl_ != nullptr) SSL_shutdown(ssl_);
    return true;
  }

 private:
  int fd_;
  SSL* ssl_ = nullptr;
};

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    default: return "Internal Server Error";
  }
}

// One request per connection (Connection: close), as the probers and the load client use it.
void serve(int fd) {
  Stream stream(fd);
  if (!stream.handshake()) return;
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() > 16384) return;
    const ssize_t n = stream.read(buffer, sizeof buffer);
    if (n <= 0) return;
    head.append(buffer, static_cast<std::size_t>(n));
  }
  const auto firstSpace = head.find(' ');
  const auto secondSpace = head.find(' ', firstSpace + 1);
  if (firstSpace == std::string::npos || secondSpace == std::string::npos) return;
  const Response r = answer(std::string_view(head).substr(firstSpace + 1, secondSpace - firstSpace - 1));
  const std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) +
                          "\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"
                          "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n" + r.body;
  stream.writeAll(out);
}

void acceptLoop(int listener) {
  while (true) {
    const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) continue;
      return;  // the listener was shut down
    }
    if (g_active.load() >= kMaxConnections) {
      close(fd);
      continue;
    }
    const std::int64_t idleMs = std::max<std::int64_t>(g_options->idleTimeoutMs, 1);
    const timeval timeout{static_cast<time_t>(idleMs / 1000), static_cast<suseconds_t>(idleMs % 1000 * 1000)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    g_active.fetch_add(1);
    std::thread([fd] {
      serve(fd);
      g_active.fetch_sub(1);
    }).detach();
  }
}

// ---- the process -------------------------------------------------------------------------------

// Waits for SIGTERM or SIGINT for at most `millis` (forever when negative); true if one came.
bool waitForSignal(const sigset_t& signals, std::int64_t millis) {
  if (millis < 0) {
    int signo = 0;
    return sigwait(&signals, &signo) == 0;
  }
  const auto end = SteadyClock::now() + std::chrono::milliseconds(millis);
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(end - SteadyClock::now()).count();
    if (left <= 0) return false;
    const timespec wait{static_cast<time_t>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
    if (sigtimedwait(&signals, nullptr, &wait) > 0) return true;
    if (errno != EINTR && errno != EAGAIN) return false;
  }
}

int openListener(const Options& o) {
  const int fd = socket(o.listen.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, o.listen.get(), o.listen.length) != 0 || listen(fd, 4096) != 0) {
    std::fprintf(stderr, "%s: listen on %s: %s\n", kProgram, o.listenText.c_str(), std::strerror(errno));
    std::exit(1);
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  const int port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                     : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  if (!o.portFile.empty()) {
    // Written whole under another name, then renamed: a reader never sees half of it.
    const std::string temp = o.portFile + ".tmp";
    FILE* f = std::fopen(temp.c_str(), "w");
    if (f == nullptr || std::fprintf(f, "%d\n", port) < 0 || std::fclose(f) != 0 ||
        std::rename(temp.c_str(), o.portFile.c_str()) != 0) {
      std::fprintf(stderr, "%s: cannot write %s\n", kProgram, o.portFile.c_str());
      std::exit(1);
    }
  }
  std::fprintf(stderr, "%s %s: listening on port %d%s\n", kProgram, o.name.c_str(), port, o.tls ? " (TLS)" : "");
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  g_options = &options;
  // Every thread inherits this mask: only the main thread takes SIGTERM/SIGINT, with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  g_readyAt = SteadyClock::now() + std::chrono::milliseconds(options.startupDelayMs);

  if (!options.logFile.empty()) {
    g_logFd = open(options.logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (g_logFd < 0) usageError(kProgram, "--log: cannot open " + options.logFile + ": " + std::strerror(errno));
  }
  if (options.tls) {
    g_tls = options.certFile.empty() ? lvscare::testing::makeSelfSignedServerContext(options.name.c_str())
                                     : SSL_CTX_new(TLS_server_method());
    if (g_tls != nullptr && !options.certFile.empty() &&
        (SSL_CTX_use_certificate_chain_file(g_tls, options.certFile.c_str()) != 1 ||
         SSL_CTX_use_PrivateKey_file(g_tls, options.keyFile.c_str(), SSL_FILETYPE_PEM) != 1)) {
      usageError(kProgram, "cannot load --cert/--key " + options.certFile + " " + options.keyFile);
    }
    if (g_tls == nullptr) usageError(kProgram, "no TLS server context");
  }
  if (options.listenWhenReady && waitForSignal(signals, options.startupDelayMs)) return 0;

  const int listener = openListener(options);
  std::thread acceptor(acceptLoop, listener);
  waitForSignal(signals, -1);
  g_shuttingDown = true;
  std::fprintf(stderr, "%s %s: SIGTERM: /readyz fails for %lld ms, then the listener closes\n", kProgram,
               options.name.c_str(), static_cast<long long>(options.shutdownDelayMs));
  if (waitForSignal(signals, options.shutdownDelayMs)) return 1;  // a second signal: at once
  shutdown(listener, SHUT_RDWR);  // wakes accept(); queued, unaccepted connections are reset
  acceptor.join();
  close(listener);
  const auto graceEnd = SteadyClock::now() + std::chrono::milliseconds(options.shutdownGraceMs);
  while (g_active.load() > 0 && SteadyClock::now() < graceEnd) {
    if (waitForSignal(signals, 10)) return 1;
  }
  const int left = g_active.load();
  std::fprintf(stderr, "%s %s: exiting, %d request(s) still in flight\n", kProgram, options.name.c_str(), left);
  // Not returning from main: detached threads may still run; _exit ends them without destructors.
  _exit(0);
}
