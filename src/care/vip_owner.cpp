#include "care/vip_owner.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstring>

#include "lvscare/care.hpp"
#include "lvscare/log.hpp"

namespace lvscare::care {

std::string VipOwner::nameFor(const Endpoint& vs) { return "lvscare/vip/" + vs.toString(); }

Result<VipOwner> VipOwner::claim(const Endpoint& vs) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return failErrno(errno, "unix socket for the VIP's owner mark");
  const std::string name = nameFor(vs);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // Abstract: sun_path starts with a NUL and the name is exactly the bytes that follow.
  std::memcpy(address.sun_path + 1, name.data(), name.size());
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    const int err = errno;
    if (err == EADDRINUSE) return fail(Errc::Exists, "another process owns " + vs.toString() + " on this node", err);
    return failErrno(err, "bind @" + name);
  }
  return VipOwner(std::move(fd));
}

VipStandby::VipStandby(event::Dispatcher& dispatcher, Claim claim, health::Duration retry,
                       std::function<void(VipOwner)> owned, std::function<void(const Error&)> failed)
    : claim_(std::move(claim)),
      retry_(retry),
      owned_(std::move(owned)),
      failed_(std::move(failed)),
      timer_(dispatcher.createTimer([this] { attempt(); })) {}

void VipStandby::start() { timer_->arm(retry_); }

void VipStandby::attempt() {
  ++attempts_;
  auto owner = claim_();
  if (owner) return owned_(std::move(*owner));
  if (owner.error().code != Errc::Exists) return failed_(owner.error());
  timer_->arm(retry_);
}

void logHangupIgnored() {
  logf(LogLevel::Info, "signal=SIGHUP ignored: nothing is reloaded; restart lvscare to apply new flags or files");
}

VipClaim claimVip(event::EpollDispatcher& loop, const CareConfig& config) {
  const std::string vs = config.virtualServer.toString();
  const auto claim = [&] { return VipOwner::claim(config.virtualServer); };
  auto owner = claim();
  if (owner) return VipClaim{std::move(*owner), std::nullopt};
  if (owner.error().code != Errc::Exists) {
    logf(LogLevel::Error, "owner vs={} error={}", vs, logValue(owner.error().describe()));
    return VipClaim{std::nullopt, kExitFailure};
  }
  if (config.clean) {
    logf(LogLevel::Error,
         "clean vs={} refused: another lvscare owns it on this node and would put it back; stop that one first", vs);
    return VipClaim{std::nullopt, kExitFailure};
  }
  if (config.runOnce) {
    logf(LogLevel::Info, "run-once vs={} another lvscare owns it on this node and keeps it; nothing changed", vs);
    return VipClaim{std::nullopt, kExitOk};
  }
  logf(LogLevel::Warn, "another lvscare owns vs={}; standing by", vs);
  VipClaim result;
  const auto started = loop.now();
  VipStandby standby(
      loop, claim, kStandbyRetry,
      [&](VipOwner taken) {
        result.owner.emplace(std::move(taken));
        loop.stop();
      },
      [&](const Error& error) {
        logf(LogLevel::Error, "owner vs={} error={}", vs, logValue(error.describe()));
        result.exitStatus = kExitFailure;
        loop.stop();
      });
  int stopSignal = 0;
  auto signals = loop.watchSignals({SIGTERM, SIGINT, SIGHUP}, [&](int signo) {
    if (signo == SIGHUP) return logHangupIgnored();
    stopSignal = signo;
    loop.stop();
  });
  if (!signals) {
    logf(LogLevel::Error, "signals error={}", logValue(signals.error().describe()));
    return VipClaim{std::nullopt, kExitFailure};
  }
  standby.start();
  loop.run();
  if (result.owner) {
    logf(LogLevel::Info, "standby vs={} took over: the previous owner is gone waited={}", vs,
         health::formatDuration(loop.now() - started));
  } else if (!result.exitStatus) {
    logf(LogLevel::Info, "stop signal={} standby vs={}", stopSignal == SIGTERM ? "SIGTERM" : "SIGINT", vs);
    result.exitStatus = kExitOk;
  }
  return result;
}

}  // namespace lvscare::care
