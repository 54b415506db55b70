#include "care/care_endpoint.hpp"

#include <fmt/format.h>

#include "care/kept_weights.hpp"
#include "lvscare/log.hpp"
#include "observe/process_metrics.hpp"

namespace lvscare::care {
namespace {

double seconds(health::Duration d) { return std::chrono::duration<double>(d).count(); }

const RealServerStatus* findReal(const KernelState& kernel, const Endpoint& server) {
  for (const auto& status : kernel.reals)
    if (status.server.endpoint == server) return &status;
  return nullptr;
}

observe::HttpResponse text(int status, std::string body) {
  return observe::HttpResponse{status, "text/plain; charset=utf-8", std::move(body)};
}

}  // namespace

CareEndpoint::CareEndpoint(event::Dispatcher& dispatcher, const CareLoop& loop, Datapath& datapath, std::string mode,
                           BuildInfo build)
    : dispatcher_(dispatcher), loop_(loop), datapath_(datapath), mode_(std::move(mode)), build_(std::move(build)) {}

health::Duration CareEndpoint::livenessBound() const {
  const auto& options = loop_.options();
  return 2 * (options.monitor.policy.interval + options.monitor.timeout);
}

std::vector<observe::CheckOutcome> CareEndpoint::livezChecks(health::TimePoint now) const {
  const CareMetrics& metrics = loop_.metrics();
  std::vector<observe::CheckOutcome> checks;
  observe::CheckOutcome watchdog{"watchdog", std::nullopt};
  const auto since = metrics.lastRoundAt().value_or(metrics.started());
  if (now - since > livenessBound()) {
    watchdog.failure =
        fmt::format("{} check round completed {} ago, over the bound of {}", metrics.lastRoundAt() ? "the last" : "no",
                    health::formatDuration(now - since), health::formatDuration(livenessBound()));
  }
  checks.push_back(std::move(watchdog));
  checks.push_back({"kernel", metrics.kernelError() ? std::optional<std::string>("cannot read our virtual server: " +
                                                                                 *metrics.kernelError())
                                                    : std::nullopt});
  return checks;
}

std::vector<observe::CheckOutcome> CareEndpoint::readyzChecks() const {
  const CareMetrics& metrics = loop_.metrics();
  std::vector<observe::CheckOutcome> checks;
  checks.push_back({"first-round",
                    metrics.rounds() == 0 ? std::optional<std::string>("no check round completed yet") : std::nullopt});
  std::optional<std::string> rules;
  if (metrics.kernelError()) rules = "cannot read our virtual server: " + *metrics.kernelError();
  else if (!metrics.rulesProgrammed()) rules = "the last reconcile pass could not program every rule";
  checks.push_back({"rules", rules});
  checks.push_back(
      {"host-setup", metrics.hostError() ? std::optional<std::string>(*metrics.hostError()) : std::nullopt});
  return checks;
}

std::string CareEndpoint::metricsText() {
  using Type = observe::MetricsText::Type;
  const CareMetrics& metrics = loop_.metrics();
  const DesiredState& desired = loop_.desired();
  auto kernel = readKernelState(datapath_, desired.service().key);
  observe::MetricsText out;

  out.family("lvscare_build_info", Type::Gauge, "Always 1; the labels say which lvscare runs and on which datapath.");
  out.sample("lvscare_build_info",
             {{"version", build_.version}, {"commit", build_.commit}, {"datapath", datapath_.name()}}, 1);

  out.family("lvscare_real_server_state", Type::Gauge, "1 for the phase each real server is in, 0 for the others.");
  for (const auto& [server, phase] : desired.phases()) {
    const std::string address = server.toString();
    for (const ServerPhase each :
         {ServerPhase::Pending, ServerPhase::Active, ServerPhase::Draining, ServerPhase::Removed})
      out.sample("lvscare_real_server_state", {{"real_server", address}, {"state", toString(each)}},
                 each == phase ? 1 : 0);
  }
  if (kernel) {
    out.family("lvscare_real_server_weight", Type::Gauge,
               "Weight of each real server in the kernel (absent: not there).");
    for (const auto& [server, phase] : desired.phases()) {
      if (const auto* inKernel = findReal(*kernel, server))
        out.sample("lvscare_real_server_weight", {{"real_server", server.toString()}}, inKernel->server.weight);
    }
  }
  out.family("lvscare_real_server_last_check_success", Type::Gauge,
             "1 if the last completed check of a real server passed.");
  for (const auto& [server, record] : metrics.servers()) {
    if (record.last)
      out.sample("lvscare_real_server_last_check_success", {{"real_server", server.toString()}}, record.last->healthy);
  }
  out.family("lvscare_real_server_last_check_duration_seconds", Type::Gauge, "How long the last completed check took.");
  for (const auto& [server, record] : metrics.servers()) {
    if (record.last)
      out.sample("lvscare_real_server_last_check_duration_seconds", {{"real_server", server.toString()}},
                 seconds(record.last->latency));
  }
  metrics.writeCounters(out);
  out.family("lvscare_up", Type::Gauge, "1 while the care loop can read our virtual server from the kernel.");
  out.sample("lvscare_up", {}, metrics.kernelError() ? 0 : 1);
  observe::writeProcessMetrics(out);
  return out.take();
}

StatusReport CareEndpoint::status(health::TimePoint now) {
  const CareMetrics& metrics = loop_.metrics();
  const DesiredState& desired = loop_.desired();
  const auto& options = loop_.options();
  StatusReport report;
  report.virtualServer = desired.service().key.toString();
  report.datapath = std::string(datapath_.name());
  report.mode = mode_.empty() ? "\"\"" : mode_;
  report.scheduler = desired.service().scheduler;
  report.intervalSeconds = seconds(options.monitor.policy.interval);
  report.uptimeSeconds = seconds(now - metrics.started());
  if (metrics.lastRoundAt()) report.lastRoundAgeSeconds = seconds(now - *metrics.lastRoundAt());
  const auto failed = [](const std::vector<observe::CheckOutcome>& checks) {
    for (const auto& check : checks)
      if (check.failure) return true;
    return false;
  };
  report.live = !failed(livezChecks(now));
  report.ready = !failed(readyzChecks());
  report.hostError = metrics.hostError();

  auto kernel = readKernelState(datapath_, desired.service().key);
  if (!kernel) report.kernelError = kernel.error().describe();
  for (const auto& [server, phase] : desired.phases()) {
    StatusReport::Server row;
    row.address = server.toString();
    row.state = std::string(toString(phase));
    row.desiredWeight = weightOf(phase);
    if (kernel) {
      if (const auto* inKernel = findReal(*kernel, server)) {
        row.kernelWeight = inKernel->server.weight;
        // A weight set by hand on a server we want serving is kept (kept_weights.hpp): it is wanted.
        if (row.desiredWeight) row.desiredWeight = keptWeight(RealServer{server, *row.desiredWeight}, inKernel->server);
      }
    }
    if (auto found = metrics.servers().find(server); found != metrics.servers().end()) {
      const auto& record = found->second;
      if (record.last) {
        row.lastHealthy = record.last->healthy;
        row.lastReason = std::string(toString(record.lastReason));
        row.lastDetail = record.last->detail;
        row.lastLatencySeconds = seconds(record.last->latency);
      }
      row.lastError = record.lastError;
      row.sinceChangeSeconds = seconds(now - record.changedAt);
    }
    report.servers.push_back(std::move(row));
  }
  if (kernel) {
    const auto reals = desired.desiredReals();
    for (const DatapathOp& op : diff(desired.service(), reals, *kernel)) report.differences.push_back(op.toString());
  }
  return report;
}

observe::HttpResponse CareEndpoint::handle(const observe::RequestHead& request) {
  const health::TimePoint now = dispatcher_.now();
  const bool verbose = observe::queryHas(request.query, "verbose");
  if (request.path == "/metrics")
    return observe::HttpResponse{200, std::string(observe::kMetricsContentType), metricsText()};
  if (request.path == "/livez") return observe::renderHealthz("livez", livezChecks(now), verbose);
  if (request.path == "/readyz") return observe::renderHealthz("readyz", readyzChecks(), verbose);
  if (request.path == "/status") {
    const StatusReport report = status(now);
    if (observe::queryValue(request.query, "format") == std::optional<std::string_view>("table"))
      return text(200, statusTable(report));
    return observe::HttpResponse{200, "application/json", statusJson(report)};
  }
  return text(404, "not found: try /metrics, /livez, /readyz or /status\n");
}

ServedEndpoint serveEndpoint(event::EpollDispatcher& loop, const CareLoop& care, Datapath& datapath,
                             const Endpoint& address, std::string mode, BuildInfo build) {
  ServedEndpoint served;
  served.endpoint = std::make_unique<CareEndpoint>(loop, care, datapath, std::move(mode), std::move(build));
  auto server = observe::HttpServer::listen(
      loop, address,
      [endpoint = served.endpoint.get()](const observe::RequestHead& request) { return endpoint->handle(request); });
  if (!server) {
    logf(LogLevel::Warn, "metrics endpoint off error={}", logValue(server.error().describe()));
    return {};
  }
  served.server = std::move(*server);
  logf(LogLevel::Info, "metrics endpoint address={} paths=/metrics,/livez,/readyz,/status",
       served.server->localAddress().toString());
  return served;
}

}  // namespace lvscare::care
