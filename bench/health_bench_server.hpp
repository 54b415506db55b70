// The local servers health_check_bench probes: K listening sockets on 127.0.0.1, one epoll loop,
// a 200 to every request, plain or over TLS (a self-signed certificate made in memory).
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "lvscare/unique_fd.hpp"

namespace lvscare::bench {

// Listens on `count` ephemeral ports of 127.0.0.1; their numbers go to `ports`. Exits on failure.
std::vector<UniqueFd> listenLoopback(int count, std::vector<int>& ports);

// Serves until killed, counting responses in `served` (shared memory, read by the parent).
[[noreturn]] void serveHealth(const std::vector<UniqueFd>& listeners, bool tls, std::atomic<std::uint64_t>* served);

}  // namespace lvscare::bench
