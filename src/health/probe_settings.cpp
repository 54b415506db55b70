#include "health/probe_settings.hpp"

namespace lvscare::health {
namespace {

// The TLS flags given, as "--health-ca-file, --health-server-name".
std::string tlsFlagsGiven(const ProbeConfig& probe) {
  std::string out;
  const auto add = [&](bool given, const char* flag) {
    if (!given) return;
    if (!out.empty()) out += ", ";
    out += flag;
  };
  add(!probe.caFile.empty(), "--health-ca-file");
  add(!probe.certFile.empty(), "--health-cert-file");
  add(!probe.keyFile.empty(), "--health-key-file");
  add(!probe.serverName.empty(), "--health-server-name");
  return out;
}

}  // namespace

ResolvedProbeSettings resolveProbeSettings(ProbeConfig probe, Duration interval) {
  ResolvedProbeSettings out;
  const std::string tls = tlsFlagsGiven(probe);
  if (probe.scheme != Scheme::Https) {
    if (!tls.empty())
      out.notes.push_back({true, tls + " given with --health-schem " + (probe.scheme == Scheme::Http ? "http" : "tcp") +
                                     ": unused (TLS settings apply to https only)"});
  } else if (probe.insecureSkipVerifyGiven) {
    probe.insecureSkipVerify = *probe.insecureSkipVerifyGiven;
    if (probe.insecureSkipVerify && !probe.caFile.empty())
      out.notes.push_back({true,
                           "--health-ca-file given with --health-insecure-skip-verify=true: the CA is unused, "
                           "server certificates are not verified"});
  } else if (!tls.empty()) {
    probe.insecureSkipVerify = false;
    out.notes.push_back({false, tls + " given: server certificates are verified (--health-insecure-skip-verify=true "
                                      "turns that off)"});
  }
  if (probe.timeout > Duration::zero() && probe.timeout < kMinTimeout) {
    out.notes.push_back({true, "--health-timeout " + formatDuration(probe.timeout) + " is below " +
                                   formatDuration(kMinTimeout) + ": raised to " + formatDuration(kMinTimeout) +
                                   " (a shorter timeout fails servers that answer)"});
    probe.timeout = kMinTimeout;
  }
  if (interval > Duration::zero() && probe.timeout > interval) {
    out.notes.push_back({true, "--health-timeout " + formatDuration(probe.timeout) + " is above --interval " +
                                   formatDuration(interval) + ": each probe is cut at " + formatDuration(interval)});
    probe.timeout = interval;
  }
  out.probe = std::move(probe);
  return out;
}

ResolvedPolicy resolvePolicy(CheckPolicy policy) {
  ResolvedPolicy out;
  const auto raise = [&](Duration& value, const char* flag) {
    if (value <= Duration::zero() || value >= kMinInterval) return;
    out.notes.push_back({true, std::string(flag) + " " + formatDuration(value) + " is below " +
                                   formatDuration(kMinInterval) + ": raised to " + formatDuration(kMinInterval) +
                                   " (a shorter one checks in a busy loop)"});
    value = kMinInterval;
  };
  raise(policy.interval, "--interval");
  raise(policy.fastInterval, "--health-fast-interval");
  out.policy = policy;
  return out;
}

}  // namespace lvscare::health
