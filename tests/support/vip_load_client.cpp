// The client load of the failover benchmark (bench/care_failover_load.sh): requests at a fixed rate,
// each on a FRESH TCP (or TLS) connection to one address (the VIP, or HAProxy's frontend), each with
// a bounded timeout, as clients of a restarting kube-apiserver see it.
//
//   vip_load_client --target ADDR:PORT [--rate 50] [--clients 32] [--timeout 2s] [--duration 1h]
//                   [--tls] [--first-id 1] [--results FILE] [--acked FILE]
//
// Arrivals are open-loop: request k is due at start + k/rate whatever happened to the earlier ones,
// and --clients threads take them in turn (a request waits for a free client only when all are busy
// with slow ones; its latency counts from when it was due). Each sends `GET /api?id=<k>` and expects
// 200 "<server> <k>" (tests/support/apiserver_standin.cpp). Runs until --duration or SIGTERM/SIGINT,
// lets the requests in flight finish (bounded by --timeout), then prints failed requests by kind,
// the client-visible outage (first to last failed request, and the longest run of failed requests
// in order of start) and a last line "summary key=value ...". --results gets one line per request
// "<id> <start epoch us> <latency us> <outcome> <server or ->", --acked one line "<server> <id>" per
// acknowledged request (for the lost-request check against the servers' logs).
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/standin_common.hpp"

namespace {

using namespace lvscare::standin;
constexpr const char* kProgram = "vip_load_client";

struct Options {
  SocketAddress target;
  std::string targetText;
  long rate = 50, clients = 32;
  std::int64_t timeoutMs = 2000, durationMs = 3'600'000;
  bool tls = false;
  long firstId = 1;
  std::string resultsFile, ackedFile;
};

Options parse(int argc, char** argv) {
  Options o;
  bool haveTarget = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--tls") { o.tls = true; continue; }
    if (i + 1 >= argc) usageError(kProgram, "flag " + flag + " needs a value (see the header of vip_load_client.cpp)");
    const std::string value = argv[++i];
    auto count = [&](long& out, long max) {
      const auto parsed = parseCount(value, max);
      if (!parsed || *parsed == 0) usageError(kProgram, flag + ": not a number from 1 to " + std::to_string(max) + ": " + value);
      out = *parsed;
    };
    auto millis = [&](std::int64_t& out) {
      const auto parsed = parseMillis(value);
      if (!parsed || *parsed == 0) usageError(kProgram, flag + ": not a duration (such as 500ms or 2s): " + value);
      out = *parsed;
    };
    if (flag == "--target") {
      const auto address = parseAddress(value);
      if (!address) usageError(kProgram, "--target: not ADDRESS:PORT: " + value);
      o.target = *address;
      o.targetText = value;
      haveTarget = true;
    } else if (flag == "--rate") { count(o.rate, 10'000);
    } else if (flag == "--clients") { count(o.clients, 1000);
    } else if (flag == "--timeout") { millis(o.timeoutMs);
    } else if (flag == "--duration") { millis(o.durationMs);
    } else if (flag == "--first-id") { count(o.firstId, 1'000'000'000'000L);
    } else if (flag == "--results") { o.resultsFile = value;
    } else if (flag == "--acked") { o.ackedFile = value;
    } else {
      usageError(kProgram, "unknown flag " + flag);
    }
  }
  if (!haveTarget) usageError(kProgram, "--target ADDRESS:PORT is required");
  return o;
}

enum class Outcome { Ok, Refused, Reset, Timeout, Closed, Status, Other };
constexpr std::array<const char*, 7> kOutcomeNames = {"ok", "refused", "reset", "timeout", "closed", "status", "other"};

struct Record {
  long id = 0;
  std::int64_t startUs = 0;    // epoch: when the request was due
  std::int64_t latencyUs = 0;  // from due to outcome
  Outcome outcome = Outcome::Other;
  std::string server;
};

// ---- one request ---------------------------------------------------------------------------------

using Deadline = SteadyClock::time_point;

// Waits until fd is ready for `events` or the deadline passes; false on timeout.
bool waitReady(int fd, short events, Deadline deadline) {
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let the next call report the error
  }
}

Outcome fromErrno(int error) {
  switch (error) {
    case ECONNREFUSED: return Outcome::Refused;
    case ECONNRESET: case EPIPE: return Outcome::Reset;
    case ETIMEDOUT: return Outcome::Timeout;
    default: return Outcome::Other;
  }
}

class Connection {
 public:
  Connection(const Options& o, SSL_CTX* tls, Deadline deadline) : o_(o), tls_(tls), deadline_(deadline) {}
  ~Connection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
  }

  // The outcome of one GET /api?id=<id>; the answering server's name goes to `server`.
  Outcome request(long id, std::string& server) {
    if (const auto failed = connectNow()) return *failed;
    const std::string out = "GET /api?id=" + std::to_string(id) + " HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n";
    if (const auto failed = writeAll(out)) return *failed;
    std::string in;
    char buffer[2048];
    while (in.size() < 65536) {
      std::size_t n = 0;
      if (const auto failed = readSome(buffer, sizeof buffer, n)) return *failed;
      if (n == 0) break;
      in.append(buffer, n);
    }
    if (in.empty()) return Outcome::Closed;
    if (!in.starts_with("HTTP/1.1 200 ") && !in.starts_with("HTTP/1.0 200 ")) return Outcome::Status;
    const auto body = in.find("\r\n\r\n");
    const auto space = body == std::string::npos ? std::string::npos : in.find(' ', body + 4);
    if (space == std::string::npos) return Outcome::Closed;  // cut off before the body
    const std::string expectedId = std::to_string(id);
    if (in.compare(space + 1, expectedId.size(), expectedId) != 0) return Outcome::Other;
    server = in.substr(body + 4, space - body - 4);
    return Outcome::Ok;
  }

 private:
  std::optional<Outcome> connectNow() {
    fd_ = socket(o_.target.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return Outcome::Other;
    if (connect(fd_, o_.target.get(), o_.target.length) != 0) {
      if (errno != EINPROGRESS) return fromErrno(errno);
      if (!waitReady(fd_, POLLOUT, deadline_)) return Outcome::Timeout;
      int error = 0;
      socklen_t length = sizeof error;
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
      if (error != 0) return fromErrno(error);
    }
    if (tls_ == nullptr) return std::nullopt;
    ssl_ = SSL_new(tls_);
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) return Outcome::Other;
    SSL_set_connect_state(ssl_);
    while (true) {
      ERR_clear_error();
      errno = 0;
      const int ret = SSL_do_handshake(ssl_);
      if (ret == 1) return std::nullopt;
      if (const auto failed = tlsWait(ret)) return failed;
    }
  }

  // After a TLS call that did not finish: waits for what it wants, or says how it failed.
  std::optional<Outcome> tlsWait(int ret) {
    const int error = SSL_get_error(ssl_, ret);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (!waitReady(fd_, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_)) return Outcome::Timeout;
      return std::nullopt;
    }
    if (error == SSL_ERROR_ZERO_RETURN) return Outcome::Closed;
    if (error == SSL_ERROR_SYSCALL) return errno == 0 ? Outcome::Closed : fromErrno(errno);
    return Outcome::Other;
  }

  std::optional<Outcome> writeAll(std::string_view data) {
    while (!data.empty()) {
      if (ssl_ != nullptr) {
        ERR_clear_error();
        errno = 0;
        const int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
        if (n > 0) { data.remove_prefix(static_cast<std::size_t>(n)); continue; }
        if (const auto failed = tlsWait(n)) return failed;
        continue;
      }
      const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) { data.remove_prefix(static_cast<std::size_t>(n)); continue; }
      if (errno != EAGAIN) return fromErrno(errno);
      if (!waitReady(fd_, POLLOUT, deadline_)) return Outcome::Timeout;
    }
    return std::nullopt;
  }

  // Reads up to `size` bytes into `buffer`; `got` 0 is the end of the response.
  std::optional<Outcome> readSome(char* buffer, std::size_t size, std::size_t& got) {
    while (true) {
      if (ssl_ != nullptr) {
        ERR_clear_error();
        errno = 0;
        const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
        if (n > 0) { got = static_cast<std::size_t>(n); return std::nullopt; }
        const int error = SSL_get_error(ssl_, n);
        if (error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && errno == 0)) return std::nullopt;
        if (const auto failed = tlsWait(n)) return failed;
        continue;
      }
      const ssize_t n = recv(fd_, buffer, size, 0);
      if (n >= 0) { got = static_cast<std::size_t>(n); return std::nullopt; }
      if (errno != EAGAIN) return fromErrno(errno);
      if (!waitReady(fd_, POLLIN, deadline_)) return Outcome::Timeout;
    }
  }

  const Options& o_;
  SSL_CTX* tls_;
  Deadline deadline_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
};

// ---- the load ------------------------------------------------------------------------------------

struct Due {
  long id;
  std::int64_t epochUs;
  SteadyClock::time_point at;
};

class Load {
 public:
  Load(const Options& o, SSL_CTX* tls) : o_(o), tls_(tls) {}

  void clientLoop() {
    while (true) {
      Due due{};
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;
        due = queue_.front();
        queue_.pop_front();
      }
      Record r{due.id, due.epochUs, 0, Outcome::Other, {}};
      Connection connection(o_, tls_, SteadyClock::now() + std::chrono::milliseconds(o_.timeoutMs));
      r.outcome = connection.request(due.id, r.server);
      r.latencyUs = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - due.at).count();
      std::lock_guard lock(mutex_);
      records_.push_back(std::move(r));
    }
  }

  void push(Due due) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(due);
    }
    wake_.notify_one();
  }

  // No more requests: the clients finish the queued ones and return.
  void finish() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
  }

  std::vector<Record> takeRecords() {
    std::lock_guard lock(mutex_);
    std::sort(records_.begin(), records_.end(), [](const Record& a, const Record& b) { return a.id < b.id; });
    return std::move(records_);
  }

 private:
  const Options& o_;
  SSL_CTX* tls_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Due> queue_;
  std::vector<Record> records_;
  bool done_ = false;
};

void writeFiles(const Options& o, const std::vector<Record>& records) {
  auto open = [](const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) usageError(kProgram, "cannot write " + path);
    return f;
  };
  if (!o.resultsFile.empty()) {
    FILE* f = open(o.resultsFile);
    for (const Record& r : records) {
      std::fprintf(f, "%ld %lld %lld %s %s\n", r.id, static_cast<long long>(r.startUs), static_cast<long long>(r.latencyUs),
                   kOutcomeNames[static_cast<std::size_t>(r.outcome)], r.server.empty() ? "-" : r.server.c_str());
    }
    std::fclose(f);
  }
  if (!o.ackedFile.empty()) {
    FILE* f = open(o.ackedFile);
    for (const Record& r : records) {
      if (r.outcome == Outcome::Ok) std::fprintf(f, "%s %ld\n", r.server.c_str(), r.id);
    }
    std::fclose(f);
  }
}

void report(const std::vector<Record>& records) {
  std::array<long, kOutcomeNames.size()> counts{};
  std::map<std::string, long> perServer;
  std::vector<std::int64_t> latencies;
  long failed = 0, run = 0, longestRun = 0;
  std::int64_t firstFailUs = 0, lastFailUs = 0;
  for (const Record& r : records) {  // in order of id, which is the order of start
    ++counts[static_cast<std::size_t>(r.outcome)];
    if (r.outcome == Outcome::Ok) {
      ++perServer[r.server];
      latencies.push_back(r.latencyUs);
      run = 0;
      continue;
    }
    if (failed++ == 0) firstFailUs = r.startUs;
    lastFailUs = r.startUs;
    longestRun = std::max(longestRun, ++run);
  }
  std::sort(latencies.begin(), latencies.end());
  auto percentile = [&](double p) {
    return latencies.empty() ? 0.0 : latencies[static_cast<std::size_t>(p * static_cast<double>(latencies.size() - 1))] / 1000.0;
  };
  const double outageMs = failed == 0 ? 0.0 : static_cast<double>(lastFailUs - firstFailUs) / 1000.0;
  std::printf("%zu requests, %ld failed:", records.size(), failed);
  for (std::size_t k = 1; k < kOutcomeNames.size(); ++k) std::printf(" %s %ld", kOutcomeNames[k], counts[k]);
  std::printf("\nclient-visible outage: %.1f ms from the first to the last failed request, longest run %ld failed\n",
              outageMs, longestRun);
  std::printf("answered by:");
  for (const auto& [server, n] : perServer) std::printf(" %s %ld", server.c_str(), n);
  std::printf("\nlatency of answered requests: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", percentile(0.5),
              percentile(0.99), percentile(1.0));
  std::printf("summary requests=%zu failed=%ld", records.size(), failed);
  for (std::size_t k = 0; k < kOutcomeNames.size(); ++k) std::printf(" %s=%ld", kOutcomeNames[k], counts[k]);
  std::printf(" outage_ms=%.1f longest_run=%ld first_fail_us=%lld p50_ms=%.2f max_ms=%.2f\n", outageMs, longestRun,
              static_cast<long long>(firstFailUs), percentile(0.5), percentile(1.0));
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by the clients: only main takes them
  signal(SIGPIPE, SIG_IGN);
  SSL_CTX* tls = nullptr;
  if (options.tls) {
    tls = SSL_CTX_new(TLS_client_method());  // the stand-in's certificate is self-signed: not verified
    if (tls == nullptr) usageError(kProgram, "no TLS client context");
  }

  Load load(options, tls);
  std::vector<std::thread> clients;
  for (long i = 0; i < options.clients; ++i) clients.emplace_back([&load] { load.clientLoop(); });

  const auto start = SteadyClock::now();
  const std::int64_t startEpochUs = epochMicros();
  const auto end = start + std::chrono::milliseconds(options.durationMs);
  const auto period = std::chrono::nanoseconds(1'000'000'000 / options.rate);
  for (long k = 0;; ++k) {
    const auto due = start + k * period;
    if (due >= end) break;
    const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(due - SteadyClock::now()).count();
    if (wait > 0) {
      const timespec ts{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
      if (sigtimedwait(&signals, nullptr, &ts) > 0) break;
    }
    const auto offsetUs = std::chrono::duration_cast<std::chrono::microseconds>(due - start).count();
    load.push({options.firstId + k, startEpochUs + offsetUs, due});
  }
  load.finish();
  for (auto& client : clients) client.join();
  const std::vector<Record> records = load.takeRecords();
  writeFiles(options, records);
  report(records);
  return 0;
}
