// HTTP(S) servers for the prober tests, on 127.0.0.1 (or ::1) ephemeral ports and on the same
// EpollDispatcher as the probers: one thread, no sleeps, each test waits with a bounded runUntil().
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lvscare/endpoint.hpp"
#include "lvscare/event_loop.hpp"

namespace lvscare::health::testing {

enum class ServerMode {
  Respond,              // reads the request, writes `response`, closes
  RespondKeepAlive,     // reads a request, writes `response`, and waits for the next one
  RespondToAnything,    // writes `response` on the first bytes, whatever they are, and closes
  CloseAtOnce,          // accepts and closes without a word
  ResetSoon,            // accepts and resets 2 ms later (as a listener going away resets its queue)
  NeverAccept,          // listens but never accepts: the kernel completes the handshake, then nothing
  AcceptSilently,       // accepts and never answers
  CloseAfterHandshake,  // TLS only: completes the handshake (its session tickets sent), then closes
};

struct TlsServerConfig {
  std::string certFile;
  std::string keyFile;
  std::string clientCaFile;  // set: a client certificate signed by this CA is required
};

class LoopbackServer {
 public:
  // Fails the current test (ADD_FAILURE) when it cannot listen; ok() then says false.
  LoopbackServer(event::EpollDispatcher& loop, ServerMode mode, std::string response = "HTTP/1.1 200 OK\r\n\r\n",
                 const char* address = "127.0.0.1", const TlsServerConfig* tls = nullptr);
  ~LoopbackServer();

  bool ok() const { return static_cast<bool>(listener_); }
  const Endpoint& endpoint() const { return endpoint_; }
  int accepted() const { return accepted_; }
  const std::vector<std::uint16_t>& peerPorts() const { return peerPorts_; }  // each accepted client's port
  const std::vector<std::string>& requests() const { return requests_; }
  const std::string& lastServerName() const { return serverName_; }  // SNI the client sent
  const std::string& lastTlsError() const { return tlsError_; }
  int resumedSessions() const { return resumed_; }  // TLS handshakes that resumed a session
  int handshakes() const { return handshakes_; }    // TLS handshakes completed

 private:
  struct Connection;
  void onAccept();
  void onReadable(int fd);
  void close(int fd);

  event::EpollDispatcher& loop_;
  ServerMode mode_;
  std::string response_;
  Endpoint endpoint_;
  SSL_CTX* tls_ = nullptr;
  std::unique_ptr<event::FdWatch> listener_;
  std::map<int, std::unique_ptr<Connection>> connections_;
  int accepted_ = 0;
  std::vector<std::uint16_t> peerPorts_;
  int resumed_ = 0;
  int handshakes_ = 0;
  std::vector<std::string> requests_;
  std::string serverName_;
  std::string tlsError_;
};

}  // namespace lvscare::health::testing
