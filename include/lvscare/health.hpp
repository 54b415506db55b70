// Health checking: what to probe, how often, and the per-server verdict that drives the care loop.
// Contract between src/health (which implements it) and src/care (which consumes it). Timing goes
// through an event::Dispatcher (dispatcher.hpp) so that logic tests run on a fake clock with no sleeps.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lvscare/dispatcher.hpp"
#include "lvscare/endpoint.hpp"
#include "lvscare/field_error.hpp"
#include "lvscare/result.hpp"

namespace lvscare::health {

// Health speaks the event layer's clock: probe timeouts and check intervals are its durations.
using event::Duration;
using event::TimePoint;

enum class Scheme : std::uint8_t { Http, Https, Tcp };

// What one probe does. Defaults are LVScare's.
struct ProbeConfig {
  Scheme scheme = Scheme::Https;
  std::string path = "/healthz";
  std::string method = "GET";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<int> extraHealthyStatuses;  // statuses >= 400 that still count as healthy (k3s: 401)
  Duration timeout = std::chrono::seconds(10);
  // TLS
  bool insecureSkipVerify = true;  // what the probers do (LVScare's default: skip)
  // --health-insecure-skip-verify as the user gave it: nullopt when not given at all. Then a CA,
  // client certificate or server name turns verification on (resolveProbeSettings()).
  std::optional<bool> insecureSkipVerifyGiven;
  std::string caFile;
  std::string certFile;
  std::string keyFile;
  std::string serverName;  // SNI and the name verified; empty = the target's IP
};

// When to probe and how many results flip a verdict. Defaults reproduce LVScare: one failure marks
// a server unhealthy, one success healthy, a fixed interval, no jitter.
struct CheckPolicy {
  Duration interval = std::chrono::seconds(5);
  int rise = 1;             // consecutive successes to become healthy
  int fall = 1;             // consecutive failures to become unhealthy
  Duration fastInterval{};  // re-check interval while a server is changing state; 0 = interval
  double jitter = 0.0;      // each interval is spread by up to +/- this fraction (0..0.5)
};

// What a failed probe says about the server, for the care loop's down-versus-drain rule: a server
// that cannot serve at all is taken out at once, one that answers "not ready" is drained.
enum class FailureKind : std::uint8_t {
  None,         // the probe passed (or nothing more is known)
  Refused,      // connection refused or reset: nothing listens on the port (down)
  Unreachable,  // no route to the server, or an ICMP unreachable (down)
  Tls,          // the TLS handshake or session failed (down: clients cannot be served either)
  Timeout,      // no answer in time: a black hole, or a server too busy to answer
  HttpStatus,   // the server answered with a failing status: alive, but not ready (drain)
  Other,        // anything else: a malformed answer, a connection closed without one
};
std::string_view toString(FailureKind kind);  // "refused", "unreachable", "tls", "timeout", "http_status", ...
// Errno of a failed connect/send/recv as a failure kind.
FailureKind failureKindOfErrno(int error);

struct ProbeResult {
  bool healthy = false;
  std::string detail;  // "HTTP 200", "HTTP 503", "connect: Connection refused", "timed out after 10s"
  Duration latency{};
  FailureKind failure = FailureKind::None;  // why it failed; None when healthy
};

enum class Verdict : std::uint8_t { Unknown, Healthy, Unhealthy };

// Reported after every completed check of one server.
struct CheckEvent {
  Endpoint target;
  ProbeResult result;
  Verdict verdict = Verdict::Unknown;  // after this check
  bool changed = false;                // verdict differs from before this check
  int consecutiveSuccesses = 0;
  int consecutiveFailures = 0;
};

// One probe at a time against one target. start() begins a probe; `done` runs exactly once, later,
// from the dispatcher (never from inside start()), unless cancel() or the destructor comes first.
// Timeouts are not the prober's business: the check session cancels a probe that runs too long, so
// that the rule "a probe's timeout never exceeds the interval" lives in one place.
using ProbeCallback = std::function<void(ProbeResult)>;

class Prober {
 public:
  virtual ~Prober() = default;
  virtual void start(ProbeCallback done) = 0;
  virtual void cancel() = 0;
  // Where an unfinished probe stands ("connecting", "TLS handshake", "waiting for response
  // headers"), so a timeout can say what it was waiting for. Empty when idle or unknown.
  virtual std::string_view stage() const { return {}; }
};

// Makes the prober for one target. Real ones come from makeProberFactory() (probers.hpp); tests
// and the care loop's tests use FakeProbers (tests/testing/fake_prober.hpp).
using ProberFactory = std::function<std::unique_ptr<Prober>(const Endpoint& target)>;

// The fields of a ProbeConfig and a CheckPolicy a user can get wrong, for FieldError.
enum class HealthField : std::uint8_t {
  Interval,
  Rise,
  Fall,
  FastInterval,
  Jitter,  // CheckPolicy
  Timeout,
  Method,
  Path,
  Headers,
  Statuses,  // ProbeConfig
};
std::string_view toString(HealthField field);  // "interval", "health timeout", "health request method"...
using HealthError = FieldError<HealthField>;
std::string describe(const HealthError& error);  // with the fields named by toString()

// The one place for the policy's rules, as a user gave the policy: rise and fall 1 to 1000,
// interval > 0, fastInterval >= 0, jitter within 0..0.5 (NaN refused).
inline constexpr int kMaxRiseFall = 1000;
FieldResult<HealthField> checkPolicy(const CheckPolicy& policy);

// checkPolicy() as an Error whose message names the field in words: "rise 0: want 1 to 1000".
Result<void> validatePolicy(const CheckPolicy& policy);

// "10s", "500ms", "1500ms", "250us": for detail strings and logs.
std::string formatDuration(Duration d);

std::string_view toString(Verdict verdict);

}  // namespace lvscare::health
