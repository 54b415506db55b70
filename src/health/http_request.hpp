// The request side of the narrow HTTP/1.1 client: validation of the user's method, path and
// headers, and the request bytes. Pure, so both are unit-tested directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lvscare/endpoint.hpp"
#include "lvscare/health.hpp"
#include "lvscare/result.hpp"

namespace lvscare::health {

// The syntax of the user's method, path and headers (no CR/LF smuggling, HTTP tokens, no framing
// headers of our own). An empty method is checked by checkProbeConfig() for every scheme.
FieldResult<HealthField> checkHttpRequest(const ProbeConfig& config);

// The whole request for one target, for a config checkHttpRequest() accepted:
//   <METHOD> <path> HTTP/1.1 / Host / User-Agent / user headers / Content-Length / Connection: close
// Host is serverName (else the target's address) with the port; a user's Host or User-Agent header
// replaces ours. Content-Length is sent with a body, and as 0 for POST, PUT and PATCH without one.
// KeepAlive leaves out "Connection: close" (the canary's requests, which keep a connection open).
enum class Connection : std::uint8_t { Close, KeepAlive };
std::string buildHttpRequest(const ProbeConfig& config, const Endpoint& target,
                             Connection connection = Connection::Close);

// LVScare's rule: healthy below 400, or when listed as an extra healthy status.
bool isHealthyStatus(int status, const std::vector<int>& extraHealthyStatuses);

}  // namespace lvscare::health
