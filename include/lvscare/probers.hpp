// The real probers: TCP connect, and our own narrow HTTP/1.1 client, plain or over OpenSSL, all
// non-blocking on the EpollDispatcher.
#pragma once

#include "lvscare/health.hpp"
#include "lvscare/result.hpp"

namespace lvscare::event {
class EpollDispatcher;
}  // namespace lvscare::event

namespace lvscare::health {

// The one place for the rules of a ProbeConfig, checked without touching the network or files:
// timeout > 0, extra statuses 400 to 599, a method, and for HTTP(S) the method, path and header
// syntax (no CR/LF smuggling). Reports the field at fault.
FieldResult<HealthField> checkProbeConfig(const ProbeConfig& config);

// checkProbeConfig() as an Error whose message names the field in words.
Result<void> validateProbeConfig(const ProbeConfig& config);

// Validates the config and, for HTTPS, builds the one TLS client context every probe shares
// (loading the CA file and client certificate once). Errors name the file or setting at fault.
// For HTTPS it also ignores SIGPIPE if it is at its default: OpenSSL writes to the socket with
// write(2), which would raise SIGPIPE on a connection the server has closed.
// The dispatcher must outlive the factory and every prober it makes.
Result<ProberFactory> makeProberFactory(event::EpollDispatcher& loop, const ProbeConfig& config);

}  // namespace lvscare::health
