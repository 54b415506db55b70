// One prober per target for the TCP, HTTP and HTTPS schemes: a non-blocking connect, then for
// HTTP(S) one request and the response's status line and headers, all driven by epoll events.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "health/http_response_parser.hpp"
#include "health/source_ports.hpp"
#include "health/tls_context.hpp"
#include "lvscare/event_loop.hpp"
#include "lvscare/health.hpp"

namespace lvscare::health {

// What every prober of one config shares.
struct ProbeSpec {
  ProbeConfig config;
  std::shared_ptr<TlsClientContext> tls;           // HTTPS only
  std::shared_ptr<const SourcePorts> sourcePorts;  // where the probes connect from; null: the kernel's choice
};

class StreamProber final : public Prober {
 public:
  StreamProber(event::EpollDispatcher& loop, const Endpoint& target, std::shared_ptr<const ProbeSpec> spec);
  ~StreamProber() override;

  void start(ProbeCallback done) override;
  void cancel() override;
  std::string_view stage() const override;

 private:
  enum class Stage : std::uint8_t { Idle, Connecting, Handshake, Sending, Receiving };

  void onEvents(std::uint32_t events);
  void connected();
  void drive();  // runs the current stage, and the next ones, until one must wait for the socket
  bool handshake();
  bool send();
  void receive();
  bool consume(std::string_view bytes);                  // feeds the parser; true when the probe is finished
  void finish(FailureKind failure, std::string detail);  // FailureKind::None: the probe passed
  void finishLater(FailureKind failure,
                   std::string detail);  // for errors found inside start(): done never runs from start()
  void close();

  event::EpollDispatcher& loop_;
  Endpoint target_;
  std::shared_ptr<const ProbeSpec> spec_;
  std::string request_;
  PortCursor sourcePort_;
  std::unique_ptr<event::FdWatch> watch_;  // owns the socket
  SslPtr ssl_;
  SslSessionPtr session_;  // the last good TLS session, resumed by the next probe (see resumesSessions)
  HttpResponseParser parser_;
  std::size_t sent_ = 0;
  bool readable_ = false;  // an edge-triggered read event came and the socket was not drained since
  Stage stage_ = Stage::Idle;
  ProbeCallback done_;
  std::unique_ptr<event::Timer> later_;
  FailureKind laterFailure_ = FailureKind::Other;
  std::string laterDetail_;
};

}  // namespace lvscare::health
