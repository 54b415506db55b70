// Test support: tiny HTTP/1.1 backends that answer every request with their own port, and a client
// that talks to them through a VIP. The server thread is started from the test's thread, so it lives
// in the test's private network namespace. Every wait is bounded.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lvscare/endpoint.hpp"

namespace lvscare::testing {

inline sockaddr_storage socketAddress(const Endpoint& endpoint, socklen_t& length) {
  sockaddr_storage storage{};
  if (endpoint.address.isV4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(endpoint.port);
    std::memcpy(&in->sin_addr, endpoint.address.bytes.data(), 4);
    length = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(endpoint.port);
    std::memcpy(&in6->sin6_addr, endpoint.address.bytes.data(), 16);
    length = sizeof(sockaddr_in6);
  }
  return storage;
}

class HttpBackends {
 public:
  explicit HttpBackends(const std::vector<Endpoint>& endpoints) {
    for (const auto& endpoint : endpoints) {
      const int fd = ::socket(endpoint.address.af(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      const int on = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
      socklen_t length = 0;
      const auto address = socketAddress(endpoint, length);
      if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0 || ::listen(fd, 64) != 0) {
        error_ = "bind/listen " + endpoint.toString() + ": " + std::strerror(errno);
        ::close(fd);
        continue;
      }
      listeners_[fd] = endpoint.port;
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~HttpBackends() {
    stop_ = true;
    thread_.join();
    for (const auto& [fd, port] : listeners_) ::close(fd);
    for (const auto& [fd, port] : clients_) ::close(fd);
  }
  HttpBackends(const HttpBackends&) = delete;
  HttpBackends& operator=(const HttpBackends&) = delete;

  const std::string& error() const { return error_; }

 private:
  void serve() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!stop_ && std::chrono::steady_clock::now() < deadline) {
      std::vector<pollfd> fds;
      for (const auto& [fd, port] : listeners_) fds.push_back({fd, POLLIN, 0});
      for (const auto& [fd, port] : clients_) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      for (const auto& ready : fds) {
        if (!(ready.revents & (POLLIN | POLLHUP | POLLERR))) continue;
        if (const auto listener = listeners_.find(ready.fd); listener != listeners_.end()) {
          const int client = ::accept4(ready.fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
          if (client >= 0) clients_[client] = listener->second;
          continue;
        }
        answer(ready.fd);
      }
    }
  }

  // Answers each complete request on the connection with the backend's port; closes at EOF.
  void answer(int fd) {
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      ::close(fd);
      clients_.erase(fd);
      pending_.erase(fd);
      return;
    }
    std::string& pending = pending_[fd];
    pending.append(buffer, static_cast<std::size_t>(n));
    for (auto end = pending.find("\r\n\r\n"); end != std::string::npos; end = pending.find("\r\n\r\n")) {
      pending.erase(0, end + 4);
      const std::string body = std::to_string(clients_[fd]);
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      (void)::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
    }
  }

  std::map<int, std::uint16_t> listeners_;  // fd -> port
  std::map<int, std::uint16_t> clients_;    // fd -> port of the listener that accepted it
  std::map<int, std::string> pending_;
  std::atomic<bool> stop_{false};
  std::string error_;
  std::thread thread_;
};

// One TCP connection to `target`; request() sends GET / and returns the body (the backend's port).
class HttpClient {
 public:
  explicit HttpClient(const Endpoint& target, std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    fd_ = ::socket(target.address.af(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    socklen_t length = 0;
    const auto address = socketAddress(target, length);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
      error_ = std::string("connect: ") + std::strerror(errno);
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~HttpClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }

  // The body of one response, or std::nullopt (error() says why).
  std::optional<std::string> request() {
    if (fd_ < 0) return std::nullopt;
    const std::string get = "GET / HTTP/1.1\r\nHost: vip\r\n\r\n";
    if (::send(fd_, get.data(), get.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(get.size())) {
      error_ = std::string("send: ") + std::strerror(errno);
      return std::nullopt;
    }
    std::string received;
    for (int reads = 0; reads < 100; ++reads) {
      const auto headerEnd = received.find("\r\n\r\n");
      if (headerEnd != std::string::npos) {
        const auto lengthAt = received.find("Content-Length: ");
        const std::size_t length = lengthAt == std::string::npos ? 0 : std::stoul(received.substr(lengthAt + 16));
        if (received.size() >= headerEnd + 4 + length) return received.substr(headerEnd + 4, length);
      }
      char buffer[1024];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        error_ = n == 0 ? "connection closed" : std::string("recv: ") + std::strerror(errno);
        return std::nullopt;
      }
      received.append(buffer, static_cast<std::size_t>(n));
    }
    error_ = "response never completed";
    return std::nullopt;
  }

 private:
  int fd_ = -1;
  std::string error_;
};

// One request on a fresh connection: the backend's port as text, or "error: ...".
inline std::string getOnce(const Endpoint& target) {
  HttpClient client(target);
  if (auto body = client.request()) return *body;
  return "error: " + client.error();
}

}  // namespace lvscare::testing
