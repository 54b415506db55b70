#include "health/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>

namespace lvscare::health {
namespace {

// The reason of the most recent OpenSSL error, and the queue cleared for the next call.
std::string openSslReason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(code);
  if (reason != nullptr) return reason;
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

}  // namespace

Result<std::shared_ptr<TlsClientContext>> TlsClientContext::create(const ProbeConfig& config) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return fail(Errc::Io, "create TLS client context: " + openSslReason());
  std::shared_ptr<TlsClientContext> context(new TlsClientContext(ctx, config));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Buffers are freed between reads: probes are short and many servers may be probed at once.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_verify(ctx, context->verify_ ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  // The CA file is loaded even when verification is off, so a wrong path is reported at start.
  if (!config.caFile.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, config.caFile.c_str(), nullptr) != 1) {
      return fail(Errc::InvalidArgument, "load health CA file '" + config.caFile + "': " + openSslReason());
    }
  } else if (context->verify_ && SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return fail(Errc::Io, "load the system CA store: " + openSslReason());
  }
  if (config.certFile.empty() && !config.keyFile.empty()) {
    return fail(Errc::InvalidArgument, "health key file '" + config.keyFile + "' given without a certificate file");
  }
  if (!config.certFile.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, config.certFile.c_str()) != 1) {
      return fail(Errc::InvalidArgument, "load health certificate file '" + config.certFile + "': " + openSslReason());
    }
    // A PEM file may hold both the certificate and its key.
    const std::string& key = config.keyFile.empty() ? config.certFile : config.keyFile;
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return fail(Errc::InvalidArgument, "load health key file '" + key + "': " + openSslReason());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return fail(Errc::InvalidArgument,
                  "health key file '" + key + "' does not match certificate '" + config.certFile + "'");
    }
  }
  return context;
}

TlsClientContext::TlsClientContext(SSL_CTX* ctx, const ProbeConfig& config)
    : ctx_(ctx), verify_(!config.insecureSkipVerify), serverName_(config.serverName) {}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(ctx_); }

Result<SslPtr> TlsClientContext::newConnection(const Endpoint& target, int fd) const {
  ERR_clear_error();
  SslPtr ssl(SSL_new(ctx_));
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) return fail(Errc::Io, "TLS setup: " + openSslReason());
  SSL_set_connect_state(ssl.get());
  const bool nameIsIp = IpAddress::parse(serverName_).has_value();
  // RFC 6066 3: SNI carries host names only, never a literal address.
  // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
  if (!serverName_.empty() && !nameIsIp &&
      SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(serverName_.c_str())) != 1) {
    return fail(Errc::InvalidArgument, "TLS server name '" + serverName_ + "': " + openSslReason());
  }
  if (verify_) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    int ok = 1;
    if (serverName_.empty()) {
      ok = X509_VERIFY_PARAM_set1_ip(param, target.address.bytes.data(), target.address.size());
    } else if (nameIsIp) {
      ok = X509_VERIFY_PARAM_set1_ip_asc(param, serverName_.c_str());
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ok = SSL_set1_host(ssl.get(), serverName_.c_str());
    }
    if (ok != 1) return fail(Errc::InvalidArgument, "TLS name to verify: " + openSslReason());
  }
  return ssl;
}

std::string TlsClientContext::failure(SSL* ssl, int ret, std::string_view what) const {
  const int savedErrno = errno;
  const int kind = SSL_get_error(ssl, ret);
  std::string prefix(what);
  if (verify_) {
    const long verifyResult = SSL_get_verify_result(ssl);
    if (verifyResult != X509_V_OK) {
      ERR_clear_error();
      return prefix + ": certificate verify failed: " + X509_verify_cert_error_string(verifyResult);
    }
  }
  if (kind == SSL_ERROR_SSL) return prefix + ": " + openSslReason();
  ERR_clear_error();
  if (kind == SSL_ERROR_SYSCALL && savedErrno != 0) return prefix + ": " + std::strerror(savedErrno);
  return prefix + ": connection closed by the server";
}

}  // namespace lvscare::health
