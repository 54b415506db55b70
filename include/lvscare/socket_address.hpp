// An Endpoint as the sockets API wants it: for connect(), bind() and sendto().
#pragma once

#include <sys/socket.h>

#include "lvscare/endpoint.hpp"

namespace lvscare {

// Fills `storage` with a sockaddr_in or sockaddr_in6 for `endpoint`; returns its length.
socklen_t toSockaddr(const Endpoint& endpoint, sockaddr_storage& storage);

}  // namespace lvscare
