// What the metrics endpoint serves about a running care loop:
//   /metrics  Prometheus text: lvscare_* (per real server state, kernel weight, last check; counters
//             of checks, transitions, repairs, datapath operations; build info) and process_*
//   /livez    the loop's own watchdog (a check round completed recently) and the kernel readable
//   /readyz   a first check round done and the rules (and host setup) programmed
//   /status   per real server state, weights, last check and differences, as JSON, or as the
//             table `lvscare status` prints with ?format=table
// The kernel is read (one dump of our virtual server) when /metrics or /status is asked for, so
// "weight in the kernel" and "differences" are the kernel's truth at that moment.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "care/care_loop.hpp"
#include "lvscare/event_loop.hpp"
#include "observe/healthz.hpp"
#include "observe/http_server.hpp"

namespace lvscare::care {

struct BuildInfo {
  std::string version;  // "v0.1.0"
  std::string commit;
};

// A point-in-time view for `lvscare status`.
struct StatusReport {
  struct Server {
    std::string address;
    std::string state;  // pending, active, draining, removed
    std::optional<std::uint32_t> desiredWeight;
    std::optional<std::uint32_t> kernelWeight;  // none: not in the kernel (or it could not be read)
    std::optional<bool> lastHealthy;            // none: not checked yet
    std::string lastReason;
    std::string lastDetail;
    double lastLatencySeconds = 0;
    std::string lastError;
    double sinceChangeSeconds = 0;
  };
  std::string virtualServer;
  std::string datapath;
  std::string mode;
  std::string scheduler;
  double intervalSeconds = 0;
  double uptimeSeconds = 0;
  std::optional<double> lastRoundAgeSeconds;
  bool live = false;
  bool ready = false;
  std::optional<std::string> kernelError;
  std::optional<std::string> hostError;
  std::vector<Server> servers;
  std::vector<std::string> differences;  // ops that would make the kernel match; empty when it does
};

std::string statusJson(const StatusReport& report);
std::string statusTable(const StatusReport& report);

class CareEndpoint {
 public:
  // The dispatcher (its clock), the loop and the datapath must outlive this object.
  CareEndpoint(event::Dispatcher& dispatcher, const CareLoop& loop, Datapath& datapath, std::string mode,
               BuildInfo build);

  observe::HttpResponse handle(const observe::RequestHead& request);

  // The watchdog's bound: a round may take an interval plus a probe timeout; twice that (plus the
  // fast interval or jitter's slack, covered by the factor) before lvscare counts as stuck.
  health::Duration livenessBound() const;
  std::vector<observe::CheckOutcome> livezChecks(health::TimePoint now) const;
  std::vector<observe::CheckOutcome> readyzChecks() const;
  std::string metricsText();
  StatusReport status(health::TimePoint now);

 private:
  event::Dispatcher& dispatcher_;
  const CareLoop& loop_;
  Datapath& datapath_;
  std::string mode_;
  BuildInfo build_;
};

// The endpoint of a running care loop, served on its event loop.
struct ServedEndpoint {
  std::unique_ptr<CareEndpoint> endpoint;
  std::unique_ptr<observe::HttpServer> server;
};

// Starts serving on `address`. The endpoint must never stop lvscare from working: when the address
// cannot be bound (a second lvscare on the node, another program on the port) this logs one
// warning line and returns an empty ServedEndpoint; the care loop goes on without it.
ServedEndpoint serveEndpoint(event::EpollDispatcher& loop, const CareLoop& care, Datapath& datapath,
                             const Endpoint& address, std::string mode, BuildInfo build);

}  // namespace lvscare::care
