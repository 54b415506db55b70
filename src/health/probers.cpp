#include "lvscare/probers.hpp"

#include <csignal>

#include "health/http_request.hpp"
#include "health/stream_prober.hpp"

namespace lvscare::health {

Result<void> validateProbeConfig(const ProbeConfig& config) {
  if (config.timeout <= Duration::zero()) {
    return fail(Errc::InvalidArgument, "health timeout " + formatDuration(config.timeout) + " must be positive");
  }
  for (int status : config.extraHealthyStatuses) {
    if (status < 100 || status > 599) {
      return fail(Errc::InvalidArgument, "health status " + std::to_string(status) + " is not an HTTP status (100-599)");
    }
  }
  if (config.scheme == Scheme::Tcp) return {};
  return validateHttpRequest(config);
}

Result<ProberFactory> makeProberFactory(event::EpollDispatcher& loop, const ProbeConfig& config) {
  if (auto ok = validateProbeConfig(config); !ok) return passOn(ok);
  auto spec = std::make_shared<ProbeSpec>();
  spec->config = config;
  if (config.scheme == Scheme::Https) {
    auto tls = TlsClientContext::create(config);
    if (!tls) return passOn(tls);
    spec->tls = std::move(*tls);
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);
  }
  return ProberFactory([&loop, spec = std::shared_ptr<const ProbeSpec>(std::move(spec))](const Endpoint& target) {
    return std::unique_ptr<Prober>(std::make_unique<StreamProber>(loop, target, spec));
  });
}

}  // namespace lvscare::health
