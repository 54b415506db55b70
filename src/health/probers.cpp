#include "lvscare/probers.hpp"

#include <csignal>

#include "health/http_request.hpp"
#include "health/stream_prober.hpp"

namespace lvscare::health {

FieldResult<HealthField> checkProbeConfig(const ProbeConfig& config) {
  if (config.timeout <= Duration::zero())
    return fieldError(HealthField::Timeout, formatDuration(config.timeout), "must be more than 0");
  for (std::size_t i = 0; i < config.extraHealthyStatuses.size(); ++i) {
    // Statuses below 400 count as healthy anyway.
    const int status = config.extraHealthyStatuses[i];
    if (status < 400 || status > 599)
      return fieldError(HealthField::Statuses, std::to_string(status), "want 400 to 599", std::nullopt, i);
  }
  if (config.method.empty()) return fieldError(HealthField::Method, std::string(), "must not be empty");
  if (config.scheme == Scheme::Tcp) return {};
  return checkHttpRequest(config);
}

Result<void> validateProbeConfig(const ProbeConfig& config) {
  auto checked = checkProbeConfig(config);
  if (!checked) return fail(Errc::InvalidArgument, describe(checked.error()));
  return {};
}

Result<ProberFactory> makeProberFactory(event::EpollDispatcher& loop, const ProbeConfig& config) {
  if (auto ok = validateProbeConfig(config); !ok) return passOn(ok);
  auto spec = std::make_shared<ProbeSpec>();
  spec->config = config;
  spec->sourcePorts = SourcePorts::ofThisNamespace();
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
