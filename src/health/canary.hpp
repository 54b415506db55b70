// Canary connections (issue 15): one idle TCP connection held open to each real server, so that
// the death of a server's process is known the moment its kernel closes the process's sockets,
// before the next client connects, with no probe traffic at all.
//
// A closed canary is not yet a death: servers close idle connections on purpose (an idle or
// header timeout, a graceful restart). So a close is confirmed at once by reconnecting: the
// reconnect refused (nothing listens any more) or unreachable is a death and is reported; a
// reconnect that succeeds is an idle close and only counted. A false alarm therefore costs no
// time out of rotation at all, and a real death is reported one connect round trip after it. A
// dying process's listener goes a moment after its other sockets and resets the connections it
// completed meanwhile: a reconnect that is reset so is made again at once (resetReconnects).
// A host that dies without a word (no FIN) is noticed by TCP keepalive on the canary (a few
// seconds) and by the active checks, whichever comes first.
//
// With an HTTPS check the canary completes a TLS handshake (resuming the last session when the
// checks do not verify) and then holds the session idle. A TLS server that gets a bare TCP
// connection closes it at its handshake timeout and, as Go's net/http (kube-apiserver) does,
// logs and counts a "TLS handshake error" each time; after a handshake it waits for a request
// and closes at its header or idle timeout without a word. Death is still told at the TCP level
// (a reconnect refused), so the TLS part never decides anything: a handshake that fails for a
// TLS reason is retried after tlsRetry and left to the checks to report.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "health/source_ports.hpp"
#include "health/tls_context.hpp"
#include "lvscare/event_loop.hpp"
#include "lvscare/health.hpp"

namespace lvscare::health {

struct CanaryOptions {
  Duration connectTimeout = std::chrono::seconds(1);  // a reconnect not answered by then is a timeout
  // While a server refuses, retry this often, doubling up to retryMax. Both 1 s by default: a
  // refused connect costs next to nothing, and a server back in rotation must have its canary
  // again before it can die again unnoticed.
  Duration retryMin = std::chrono::seconds(1);
  Duration retryMax = std::chrono::seconds(1);
  // A close is confirmed by reconnecting at once, however young the canary was: a server that dies
  // a moment after its canary opened (or reopened after an idle close) must be caught as fast as
  // any other. But a server that closes every connection straight away must not see a reconnect
  // loop: when two canaries in a row lived less than this, the reconnect waits for the retry
  // delay (so about one connect per retry delay).
  Duration minLifetime = std::chrono::seconds(1);
  // A dying process's kernel closes its connections (the canary's FIN) a moment before its
  // listener: until then the listener still completes handshakes, and resets those connections
  // when it goes (0.3-5 ms here). A young canary that was reset, not closed, is such a connection,
  // or one a server refused by a reset: it is reconnected at once, up to this many times in a row,
  // before the retry delay applies (so a server that resets every connection sees no loop).
  int resetReconnects = 8;
  // TCP keepalive on an open canary: first probe after idle, then every interval, dead after count.
  int keepaliveIdleSeconds = 5;
  int keepaliveIntervalSeconds = 1;
  int keepaliveCount = 3;
  // HTTPS checks: the checks' TLS client settings (CA, client certificate, server name); null for
  // a plain TCP canary (HTTP and TCP checks).
  std::shared_ptr<const TlsClientContext> tls;
  Duration tlsRetry = std::chrono::seconds(30);  // after a handshake failed (or hung) for a TLS reason
  // HTTP and HTTPS checks: the check's request (without "Connection: close"), sent when a canary
  // opens and every requestEvery after. A server closes a connection that carries no request for
  // a while (kube-apiserver: 32 s after the handshake, 90 s after its last answer), and every
  // reopen costs it a connection and a TLS handshake; one small request a minute keeps the canary
  // open for good. Answers are read and dropped. A server that closes the canary within
  // minLifetime of a request (no keep-alive) gets no more requests on it. Unset: nothing is sent.
  std::optional<ProbeConfig> request;
  Duration requestEvery = std::chrono::seconds(60);
  // Where canaries connect from (source_ports.hpp): null, this namespace's ports above the
  // ephemeral range; an empty SourcePorts, the kernel's choice.
  std::shared_ptr<const SourcePorts> sourcePorts;
};

// What a canary went through, for whoever counts (the metrics): connected, closed by the server
// (whatever the reason), or closed and the reconnect failed (a death, reported to DeathCallback too).
// An idle close is a Closed followed by an Opened.
enum class CanaryEvent : std::uint8_t { Opened, Closed, Death };
std::string_view toString(CanaryEvent event);  // "opened", "closed", "death"

class CanaryWatch {
 public:
  // A death: the server's canary closed and reconnecting failed (Refused, Unreachable, Timeout).
  using DeathCallback = std::function<void(const Endpoint& server, FailureKind kind, const std::string& detail)>;

  // `loop` must outlive the watch. The callback may call anything but must not destroy the watch.
  CanaryWatch(event::EpollDispatcher& loop, const std::vector<Endpoint>& servers, DeathCallback onDeath,
              CanaryOptions options = {});
  ~CanaryWatch();
  CanaryWatch(const CanaryWatch&) = delete;
  CanaryWatch& operator=(const CanaryWatch&) = delete;

  void start();  // connects every canary

  // Told of every open, close and death (after the counters moved). Optional; set before start().
  using EventCallback = std::function<void(const Endpoint& server, CanaryEvent event)>;
  void setObserver(EventCallback observer) { observer_ = std::move(observer); }

  struct Counters {
    std::uint64_t connects = 0;     // canaries opened
    std::uint64_t idleCloses = 0;   // closed, and the reconnect succeeded
    std::uint64_t deaths = 0;       // closed, and the reconnect failed: reported
    std::uint64_t tlsFailures = 0;  // TLS handshakes that failed for a TLS reason (not a close)
    std::uint64_t requests = 0;     // keep-alive requests sent
  };
  const Counters& counters() const { return counters_; }
  std::size_t open() const;  // canaries open now

 private:
  struct Canary;
  void connect(Canary& canary);
  void onEvents(Canary& canary, std::uint32_t events);
  void onConnectResult(Canary& canary, int error);
  void onClosed(Canary& canary, bool reset);
  void retryLater(Canary& canary);
  void tell(const Canary& canary, CanaryEvent event);
  void startHandshake(Canary& canary);
  void continueHandshake(Canary& canary);
  void drainOpen(Canary& canary);
  void keepSession(Canary& canary);
  void opened(Canary& canary);  // TCP connected and, for TLS, handshaken
  void sendRequest(Canary& canary);
  void onTimer(Canary& canary);
  void closeSocket(Canary& canary);

  event::EpollDispatcher& loop_;
  DeathCallback onDeath_;
  EventCallback observer_;
  CanaryOptions options_;
  std::map<Endpoint, std::unique_ptr<Canary>> canaries_;
  Counters counters_;
};

}  // namespace lvscare::health
