// CPU per HTTP health check and peak RSS: lvscare's checker beside HAProxy's (`option httpchk`),
// in the same run, against the same local servers at the same per-server interval.
//
//   health_check_bench [--checks N] [--servers K] [--interval-ms I] [--scheme http|https] [--haproxy PATH|none]
//
// The servers are a forked child (one epoll loop, K ports on 127.0.0.1) that counts responses in
// shared memory. lvscare's checker runs in a fresh exec of this program ("client" mode), so its
// RSS is that of a small process that links lvscare_health, and measures itself with getrusage()
// after a warm-up round, and its peak RSS from VmHWM (ru_maxrss would carry the forked parent's
// peak across exec). HAProxy's CPU comes from /proc/<pid>/stat over the same number of checks,
// counted by the servers; its RSS is VmHWM. Output: one table, figures per check.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "health_bench_server.hpp"
#include "lvscare/event_loop.hpp"
#include "lvscare/health_monitor.hpp"
#include "lvscare/probers.hpp"

namespace {

using namespace lvscare;
using namespace lvscare::event;
using namespace lvscare::health;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct Options {
  long checks = 20000;
  int servers = 100;
  int intervalMs = 100;
  std::string haproxy = "/usr/sbin/haproxy";
  bool https = false;  // --scheme https: TLS, certificates not verified (LVScare's default)
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "health_check_bench: %s\n", what.c_str());
  std::exit(1);
}

// A "Key:   123 kB" line of /proc/<pid>/status, in kB.
long procStatusKb(pid_t pid, const std::string& key) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  }
  return 0;
}

// ---- lvscare's checker ("client" mode, in its own process) --------------------------------------

int runClient(const std::vector<int>& ports, long checks, int intervalMs, bool https) {
  auto loop = EpollDispatcher::create();
  if (!loop) die(loop.error().describe());
  ProbeConfig config;
  config.scheme = https ? Scheme::Https : Scheme::Http;
  config.timeout = seconds(1);
  auto factory = makeProberFactory(**loop, config);
  if (!factory) die(factory.error().describe());
  std::vector<Endpoint> targets;
  for (int port : ports) targets.push_back(Endpoint{IpAddress::v4(127, 0, 0, 1), static_cast<std::uint16_t>(port)});

  const long warmup = static_cast<long>(targets.size());
  long completed = 0;
  long failures = 0;
  rusage before{};
  rusage after{};
  auto start = std::chrono::steady_clock::now();
  auto end = start;
  MonitorOptions options{CheckPolicy{milliseconds(intervalMs)}, seconds(1), {}};
  HealthMonitor monitor(**loop, *factory, options, [&](const CheckEvent& e) {
    ++completed;
    if (completed > warmup && !e.result.healthy && ++failures <= 3) {
      std::fprintf(stderr, "lvscare check of %s failed: %s\n", e.target.toString().c_str(), e.result.detail.c_str());
    }
    if (completed == warmup) {
      getrusage(RUSAGE_SELF, &before);
      start = std::chrono::steady_clock::now();
    }
    if (completed == warmup + checks) {
      getrusage(RUSAGE_SELF, &after);
      end = std::chrono::steady_clock::now();
      (*loop)->stop();
    }
  });
  monitor.setTargets(targets);
  monitor.start();
  (*loop)->runFor(seconds(600));  // bound: a stuck run ends and reports what it has
  const long measured = std::min(completed - warmup, checks);
  if (measured < checks) getrusage(RUSAGE_SELF, &after);
  const double wall = std::chrono::duration<double>(end - start).count();
  auto us = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec); };
  const double n = static_cast<double>(measured);
  std::printf("%ld %.3f %.3f %ld %ld %.3f\n", measured, (us(after.ru_utime) - us(before.ru_utime)) / n,
              (us(after.ru_stime) - us(before.ru_stime)) / n, procStatusKb(getpid(), "VmHWM"), failures, wall);
  return measured == checks ? 0 : 1;
}

struct Figures {
  long checks = 0;
  double userUsPerCheck = 0;
  double systemUsPerCheck = 0;
  long rssKb = 0;
  long failures = 0;
  double wallSeconds = 0;
};

Figures measureLvscare(const std::vector<int>& ports, const Options& options) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) die("pipe");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    std::string list;
    for (int port : ports) {  // appended: GCC 12's -Wrestrict misfires on `"," + std::string` at -O3
      if (!list.empty()) list += ',';
      list += std::to_string(port);
    }
    const std::string checks = std::to_string(options.checks);
    const std::string interval = std::to_string(options.intervalMs);
    execl("/proc/self/exe", "health_check_bench", "client", list.c_str(), checks.c_str(), interval.c_str(),
          options.https ? "https" : "http", nullptr);
    _exit(127);
  }
  close(out[1]);
  char buffer[256] = {};
  const ssize_t n = read(out[0], buffer, sizeof buffer - 1);
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  Figures f;
  if (n <= 0 || std::sscanf(buffer, "%ld %lf %lf %ld %ld %lf", &f.checks, &f.userUsPerCheck, &f.systemUsPerCheck,
                            &f.rssKb, &f.failures, &f.wallSeconds) != 6) {
    die("lvscare client produced no figures");
  }
  return f;
}

// ---- HAProxy -------------------------------------------------------------------------------------

// User and system CPU seconds of a process, from /proc/<pid>/stat (clock ticks).
std::pair<double, double> procCpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name, which ends at the last ')': state is field 3, utime 14, stime 15.
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  const auto tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  return {static_cast<double>(utime) / tick, static_cast<double>(stime) / tick};
}

Figures measureHaproxy(const std::vector<int>& ports, const Options& options, std::atomic<std::uint64_t>* served) {
  char dir[] = "/tmp/lvscare-bench-haproxy-XXXXXX";
  if (mkdtemp(dir) == nullptr) die("mkdtemp");
  const std::string config = std::string(dir) + "/haproxy.cfg";
  {
    std::ofstream cfg(config);
    cfg << "global\n  nbthread 1\n  maxconn 4096\n"
        << "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n  timeout check 1s\n"
        // HAProxy refuses to run without a listener; a unix socket in our directory takes no port.
        << "frontend unused\n  bind unix@" << dir << "/haproxy.sock\n  default_backend masters\n"
        << "backend masters\n  option httpchk GET /healthz\n";
    for (std::size_t i = 0; i < ports.size(); ++i) {
      cfg << "  server s" << i << " 127.0.0.1:" << ports[i] << " check inter " << options.intervalMs << "ms"
          << (options.https ? " check-ssl verify none" : "") << "\n";
    }
  }
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    const int null = open("/dev/null", O_RDWR);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    execl(options.haproxy.c_str(), "haproxy", "-db", "-f", config.c_str(), nullptr);
    _exit(127);
  }
  // Warm-up: one check per server, then the window of `checks` checks.
  const auto deadline = std::chrono::steady_clock::now() + seconds(600);
  auto waitFor = [&](std::uint64_t count) {
    while (served->load() < count && std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid, nullptr, WNOHANG) == pid) die("haproxy exited; config in " + config);
      std::this_thread::sleep_for(milliseconds(20));
    }
  };
  const std::uint64_t base = served->load();
  waitFor(base + ports.size());
  const std::uint64_t first = served->load();
  const auto cpuFirst = procCpuSeconds(pid);
  const auto start = std::chrono::steady_clock::now();
  waitFor(first + static_cast<std::uint64_t>(options.checks));
  const std::uint64_t last = served->load();
  const auto cpuLast = procCpuSeconds(pid);
  Figures f;
  f.wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  f.checks = static_cast<long>(last - first);
  f.userUsPerCheck = (cpuLast.first - cpuFirst.first) * 1e6 / static_cast<double>(f.checks);
  f.systemUsPerCheck = (cpuLast.second - cpuFirst.second) * 1e6 / static_cast<double>(f.checks);
  f.rssKb = procStatusKb(pid, "VmHWM");
  f.failures = -1;
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  std::remove(config.c_str());
  std::remove((std::string(dir) + "/haproxy.sock").c_str());
  rmdir(dir);
  return f;
}

// ---- main ----------------------------------------------------------------------------------------

std::vector<int> parsePorts(const std::string& list) {
  std::vector<int> ports;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) ports.push_back(std::stoi(item));
  return ports;
}

Options parseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--checks") o.checks = std::stol(value);
    else if (flag == "--servers") o.servers = std::stoi(value);
    else if (flag == "--interval-ms") o.intervalMs = std::stoi(value);
    else if (flag == "--haproxy") o.haproxy = value;
    else if (flag == "--scheme" && (value == "http" || value == "https")) o.https = value == "https";
    else
      die("unknown flag " + flag +
          " (want --checks N --servers K --interval-ms I --scheme http|https --haproxy PATH|none)");
  }
  if (o.checks < 1 || o.servers < 1 || o.intervalMs < 1) die("--checks, --servers and --interval-ms must be positive");
  return o;
}

// failures < 0: not measured (HAProxy's own verdicts are not read; the servers only count answers).
void printRow(const char* name, const Figures& f) {
  const std::string failures = f.failures < 0 ? "n/a" : std::to_string(f.failures);
  std::printf("%-26s %7ld %10.1f %8.1f %8.1f %11.1f %8s %6.1f\n", name, f.checks, f.userUsPerCheck + f.systemUsPerCheck,
              f.userUsPerCheck, f.systemUsPerCheck, static_cast<double>(f.rssKb) / 1024.0, failures.c_str(),
              f.wallSeconds);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 6 && std::string(argv[1]) == "client") {
    return runClient(parsePorts(argv[2]), std::stol(argv[3]), std::stoi(argv[4]), std::string(argv[5]) == "https");
  }
  const Options options = parseOptions(argc, argv);

  auto* served = static_cast<std::atomic<std::uint64_t>*>(
      mmap(nullptr, sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (served == MAP_FAILED) die("mmap");
  new (served) std::atomic<std::uint64_t>(0);
  std::vector<int> ports;
  std::vector<UniqueFd> listeners = lvscare::bench::listenLoopback(options.servers, ports);
  const pid_t server = fork();
  if (server == 0) {
    // The servers end with this process, however it ends (die() included).
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1) _exit(0);
    lvscare::bench::serveHealth(listeners, options.https, served);
  }
  listeners.clear();

  std::printf("%ld %s checks, %d servers on 127.0.0.1, every %d ms per server\n", options.checks,
              options.https ? "HTTPS (no verification)" : "HTTP", options.servers, options.intervalMs);
  std::printf("%-26s %7s %10s %8s %8s %11s %8s %6s\n", "checker", "checks", "cpu us", "user us", "sys us",
              "peak RSS MB", "failures", "wall s");
  printRow(options.https ? "lvscare (own HTTP, OpenSSL)" : "lvscare (epoll, own HTTP)", measureLvscare(ports, options));
  if (options.haproxy != "none") {
    if (access(options.haproxy.c_str(), X_OK) != 0) {
      std::printf("%-26s (not installed at %s)\n", "haproxy option httpchk", options.haproxy.c_str());
    } else {
      printRow(options.https ? "haproxy httpchk check-ssl" : "haproxy option httpchk",
               measureHaproxy(ports, options, served));
    }
  }
  kill(server, SIGTERM);
  waitpid(server, nullptr, 0);
  return 0;
}
