// Test support: a second, named network namespace (`ip netns add lvs-nft-<pid>`) joined to the
// test's private namespace by a veth pair: 10.0.0.1/24 on our side, 10.0.0.2/24 on the peer's.
// It plays a remote master. Removed (with the veth pair) when the object goes away, even when the
// test fails half way.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <thread>

#include "support/run_command.hpp"

namespace lvscare::testing {

class PeerNetns {
 public:
  PeerNetns() : name_("lvs-nft-" + std::to_string(::getpid())) {
    (void)run("ip netns del " + name_);  // a leftover from a crashed run
    const std::string in = "ip -n " + name_ + " ";
    const auto setup =
        run("ip netns add " + name_ + " && ip link add veth-lvs type veth peer name veth-peer netns " + name_ +
            " && ip addr add 10.0.0.1/24 dev veth-lvs && ip link set veth-lvs up && " + in +
            "addr add 10.0.0.2/24 dev veth-peer && " + in + "link set veth-peer up && " + in + "link set lo up");
    if (setup.status != 0) error_ = "peer namespace setup: " + setup.output;
  }
  ~PeerNetns() { (void)run("ip netns del " + name_); }
  PeerNetns(const PeerNetns&) = delete;
  PeerNetns& operator=(const PeerNetns&) = delete;

  const std::string& error() const { return error_; }
  // A command inside the peer namespace.
  CommandResult exec(const std::string& command) const { return run("ip netns exec " + name_ + " " + command); }
  // Runs `work` on a thread that entered the peer namespace; threads it starts stay in there.
  bool enter(const std::function<void()>& work) const {
    bool entered = false;
    std::thread thread([&] {
      const int fd = ::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
      entered = fd >= 0 && ::setns(fd, CLONE_NEWNET) == 0;
      if (fd >= 0) ::close(fd);
      if (entered) work();
    });
    thread.join();
    return entered;
  }

 private:
  std::string name_;
  std::string error_;
};

}  // namespace lvscare::testing
