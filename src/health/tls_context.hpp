// The TLS side of HTTPS probes: one OpenSSL client context per probe config, built once (loading
// the CA file and client certificate costs far more than a probe), and per-connection setup of
// SNI and the name or address the certificate must match.
#pragma once

#include <memory>
#include <string>

#include <openssl/ssl.h>

#include "lvscare/endpoint.hpp"
#include "lvscare/health.hpp"
#include "lvscare/result.hpp"

namespace lvscare::health {

struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;
struct SslSessionFree {
  void operator()(SSL_SESSION* session) const { SSL_SESSION_free(session); }
};
using SslSessionPtr = std::unique_ptr<SSL_SESSION, SslSessionFree>;

class TlsClientContext {
 public:
  static Result<std::shared_ptr<TlsClientContext>> create(const ProbeConfig& config);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // A client SSL on `fd` for `target`: SNI is serverName when it is a host name (never for an IP),
  // and when verifying, the certificate must match serverName, else the target's IP address.
  Result<SslPtr> newConnection(const Endpoint& target, int fd) const;

  bool verifying() const { return verify_; }
  // Sessions are resumed only when nothing is verified: a resumed handshake carries no certificate,
  // and a verifying check must notice a certificate that expired or changed at its next probe.
  bool resumesSessions() const { return !verify_; }

  // One line on why a TLS call failed: the verification error when verifying, else the
  // OpenSSL reason ("tlsv13 alert certificate required"), else errno or "connection closed".
  std::string failure(SSL* ssl, int ret, std::string_view what) const;

 private:
  TlsClientContext(SSL_CTX* ctx, const ProbeConfig& config);

  SSL_CTX* ctx_;
  bool verify_;
  std::string serverName_;
};

}  // namespace lvscare::health
