// The real probers: TCP connect, and our own narrow HTTP/1.1 client, plain or over OpenSSL, all
// non-blocking on the EpollDispatcher.
#pragma once

#include "lvscare/health.hpp"
#include "lvscare/result.hpp"

namespace lvscare::event {
class EpollDispatcher;
}  // namespace lvscare::event

namespace lvscare::health {

// Checks what a user can get wrong in a ProbeConfig without touching the network or files: the
// method, path and header syntax (no CR/LF smuggling), extra statuses, the timeout. The message
// names the field and the value.
Result<void> validateProbeConfig(const ProbeConfig& config);

// Validates the config and, for HTTPS, builds the one TLS client context every probe shares
// (loading the CA file and client certificate once). Errors name the file or setting at fault.
// For HTTPS it also ignores SIGPIPE if it is at its default: OpenSSL writes to the socket with
// write(2), which would raise SIGPIPE on a connection the server has closed.
// The dispatcher must outlive the factory and every prober it makes.
Result<ProberFactory> makeProberFactory(event::EpollDispatcher& loop, const ProbeConfig& config);

}  // namespace lvscare::health
