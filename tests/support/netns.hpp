// Test support: run a piece of a test inside a fresh, private network namespace, so nothing it does
// to routes, links or nftables can reach the host's own. Linux namespaces are per thread: the
// namespace applies to the calling thread until the guard is destroyed.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace lvscare::testing {

class PrivateNetns {
 public:
  PrivateNetns() {
    original_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (original_ < 0) {
      error_ = std::string("open own netns: ") + std::strerror(errno);
      return;
    }
    if (::unshare(CLONE_NEWNET) != 0) {
      error_ = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      return;
    }
    entered_ = true;
  }
  ~PrivateNetns() {
    if (entered_) (void)::setns(original_, CLONE_NEWNET);
    if (original_ >= 0) ::close(original_);
  }
  PrivateNetns(const PrivateNetns&) = delete;
  PrivateNetns& operator=(const PrivateNetns&) = delete;

  bool ok() const { return entered_; }
  const std::string& error() const { return error_; }

 private:
  int original_ = -1;
  bool entered_ = false;
  std::string error_;
};

inline bool isRoot() { return ::geteuid() == 0; }

}  // namespace lvscare::testing
