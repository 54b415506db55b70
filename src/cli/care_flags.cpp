#include "cli/care_flags.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include "cli/flag_values.hpp"
#include "host/node_ip.hpp"
#include "lvscare/probers.hpp"

namespace lvscare::cli {

CareFlags::CareFlags(CLI::App& c, std::string envPrefix) : envPrefix_(std::move(envPrefix)) {
  // LVScare's flags, names and defaults as in Sealos' lvscare.
  add(c, "--vs", "", "virtual server host:port, e.g. 169.254.0.1:6443 (IPv6: [addr]:port)");
  addRepeatable(c, "--rs", "real server host:port; repeatable or comma-separated");
  add(c, "--scheduler", "rr", "scheduler: rr lc dh sh wrr wlc");
  add(c, "-i,--iface", std::string(care::kDefaultInterface), "dummy interface holding the VIP (link mode)");
  add(c, "--logger", "INFO", "log level: DEBG or INFO (also WARN, EROR)");
  add(c, "--mode", "route", "host setup: route, link, or \"\" for the rules only");
  addBool(c, "--run-once", false, "run one health round, program the rules and exit");
  addBool(c, "-C,--clean", false, "remove everything set up for this VIP and exit");
  add(c, "--interval", "5s", "health check interval: seconds, or a duration such as 500ms or 1m");
  add(c, "--ip", "", "node IP, the route's gateway in route mode, its source for IPv6 (else /etc/hosts "
                     "lvscare.node.ip, else env LVSCARE_NODE_IP)");
  add(c, "--masqueradebit", "0", "mark bit (0-31) for masquerade in link mode");
  add(c, "--health-path", "/healthz", "URL path probed");
  add(c, "--health-schem", "https", "probe scheme: http, https or tcp");
  add(c, "--health-req-method", "GET", "HTTP request method");
  add(c, "--health-req-body", "", "HTTP request body");
  addRepeatable(c, "--health-req-headers", "HTTP request headers k=v,k2=v2");
  addRepeatable(c, "--health-status", "extra HTTP status codes (>= 400) that count as healthy");
  addBool(c, "--health-insecure-skip-verify", true, "do not verify the server's certificate");
  add(c, "--health-timeout", "10s", "probe timeout (never more than the interval)");
  // Ours.
  add(c, "--health-rise", "1", "consecutive passes before a server is healthy");
  add(c, "--health-fall", "1", "consecutive failures before a server is unhealthy");
  add(c, "--health-fast-interval", "0", "re-check interval while a server is changing state (0: --interval)");
  add(c, "--health-jitter", "0", "spread each interval by up to +/- this fraction (0 to 0.5)");
  add(c, "--health-ca-file", "", "CA bundle to verify HTTPS servers with");
  add(c, "--health-cert-file", "", "client certificate for HTTPS probes");
  add(c, "--health-key-file", "", "client key for HTTPS probes");
  add(c, "--health-server-name", "", "TLS server name (SNI and verification); default: the server's IP");
  add(c, "--datapath", "auto", "kernel load balancer: ipvs, nftables or auto");
}

namespace {
std::string longName(std::string_view names) {
  const auto pos = names.rfind("--");
  return std::string(names.substr(pos + 2));
}
}  // namespace

CareFlags::Flag& CareFlags::add(CLI::App& command, std::string names, std::string defaultValue, std::string help) {
  Flag& flag = flags_[longName(names)];
  flag.name = longName(names);
  flag.text = std::move(defaultValue);
  flag.option = command.add_option(names, flag.text, std::move(help))
                    ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)  // pflag: the last one wins
                    ->capture_default_str();
  return flag;
}

CareFlags::Flag& CareFlags::addRepeatable(CLI::App& command, std::string names, std::string help) {
  Flag& flag = flags_[longName(names)];
  flag.name = longName(names);
  flag.repeatable = true;
  flag.option = command.add_option(names, flag.items, std::move(help))->allow_extra_args(false);
  return flag;
}

CareFlags::Flag& CareFlags::addBool(CLI::App& command, std::string names, bool defaultValue, std::string help) {
  Flag& flag = flags_[longName(names)];
  flag.name = longName(names);
  flag.text = defaultValue ? "true" : "false";
  // "--run-once" alone means true; "--run-once=false" is pflag's way to turn a flag off.
  std::string spec;
  for (std::size_t start = 0; start < names.size();) {
    const auto comma = names.find(',', start);
    const auto end = comma == std::string::npos ? names.size() : comma;
    if (!spec.empty()) spec += ',';
    spec += names.substr(start, end - start) + "{true}";
    start = end + 1;
  }
  flag.option = command.add_flag(spec, flag.text, std::move(help))
                    ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  return flag;
}

std::string CareFlags::envName(std::string_view flag) const {
  std::string out = envPrefix_ + "_";
  for (const char c : flag) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

namespace {

// One value of one flag with the name to blame for it: "--interval" or "CARE_INTERVAL".
struct Value {
  std::string source;
  std::string text;
};

tl::unexpected<Error> invalid(std::string message) { return fail(Errc::InvalidArgument, std::move(message)); }

template <class T>
tl::unexpected<Error> passOn(const Result<T>& result) {
  return tl::unexpected<Error>(result.error());
}

Result<LogLevel> parseLogger(const Value& v) {
  std::string upper;
  for (const char c : v.text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "DEBG" || upper == "DEBUG") return LogLevel::Debug;
  if (upper == "INFO") return LogLevel::Info;
  if (upper == "WARN" || upper == "WARNING") return LogLevel::Warn;
  if (upper == "EROR" || upper == "ERROR") return LogLevel::Error;
  return invalid(fmt::format("{} \"{}\": want DEBG, INFO, WARN or EROR", v.source, v.text));
}

Result<health::Scheme> parseScheme(const Value& v) {
  if (v.text == "http") return health::Scheme::Http;
  if (v.text == "https") return health::Scheme::Https;
  if (v.text == "tcp") return health::Scheme::Tcp;
  return invalid(fmt::format("{} \"{}\": want http, https or tcp", v.source, v.text));
}

Result<Endpoint> parseEndpoint(const Value& v) {
  auto endpoint = Endpoint::parse(v.text);
  // The parser's message quotes the value already, as given: escaped here.
  if (!endpoint) return invalid(fmt::format("{}: {}", v.source, printable(endpoint.error().message)));
  return endpoint;
}

// The probers' own syntax rules (no CR/LF smuggling, HTTP tokens), checked one field at a time so
// the message names the flag that carries the field, with the value.
Result<void> checkProbeField(const Value& v, const health::ProbeConfig& onlyThisField) {
  auto ok = health::validateProbeConfig(onlyThisField);
  if (!ok) return invalid(fmt::format("{} \"{}\": {}", v.source, printable(v.text), printable(ok.error().message)));
  return {};
}

// The TLS files are loaded only when the prober is made, after the flags; a file that cannot be
// read is named here with its flag instead.
Result<void> checkReadable(const Value& v) {
  if (v.text.empty() || ::access(v.text.c_str(), R_OK) == 0) return {};
  const int error = errno;
  return invalid(fmt::format("{} \"{}\": cannot read it: {}", v.source, printable(v.text), std::strerror(error)));
}

Result<double> parseFraction(const Value& v) {
  char* end = nullptr;
  const std::string text = v.text;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(value >= 0.0 && value <= 0.5))
    return invalid(fmt::format("{} \"{}\": want a fraction from 0 to 0.5", v.source, v.text));
  return value;
}

}  // namespace

Result<CareInvocation> CareFlags::resolve(const CareSources& sources) const {
  const auto getenv = [&](const std::string& name) -> std::optional<std::string> {
    if (sources.getenv) return sources.getenv(name);
    if (const char* value = std::getenv(name.c_str())) return std::string(value);
    return std::nullopt;
  };
  // The value of a single-valued flag: the command line, else the environment, else the default.
  const auto value = [&](const std::string& name) -> Value {
    const Flag& flag = flags_.at(name);
    if (flag.option->count() == 0) {
      if (auto env = getenv(envName(name))) return Value{envName(name), *env};
    }
    return Value{"--" + name, flag.text};
  };
  // Each item of a repeatable flag, every occurrence split at commas.
  const auto list = [&](const std::string& name) -> Result<std::vector<Value>> {
    const Flag& flag = flags_.at(name);
    std::vector<Value> occurrences;
    if (flag.option->count() > 0) {
      for (const auto& item : flag.items) occurrences.push_back(Value{"--" + name, item});
    } else if (auto env = getenv(envName(name))) {
      occurrences.push_back(Value{envName(name), *env});
    }
    std::vector<Value> out;
    for (const Value& occurrence : occurrences) {
      auto items = splitList(occurrence.source, occurrence.text);
      if (!items) return passOn(items);
      for (auto& item : *items) out.push_back(Value{occurrence.source, std::move(item)});
    }
    return out;
  };
  const auto boolean = [&](const std::string& name) -> Result<bool> {
    const Value v = value(name);
    return parseGoBool(v.source, v.text);
  };
  const auto integer = [&](const std::string& name, long long min, long long max) -> Result<long long> {
    const Value v = value(name);
    return parseInteger(v.source, v.text, min, max);
  };

  CareInvocation out;
  care::CareConfig& c = out.config;

  auto logLevel = parseLogger(value("logger"));
  if (!logLevel) return passOn(logLevel);
  out.logLevel = *logLevel;

  auto clean = boolean("clean");
  if (!clean) return passOn(clean);
  c.clean = *clean;
  auto runOnce = boolean("run-once");
  if (!runOnce) return passOn(runOnce);
  c.runOnce = *runOnce;

  const Value vs = value("vs");
  if (vs.text.empty()) return invalid("--vs: required (host:port, e.g. 10.103.97.12:6443)");
  auto vip = parseEndpoint(vs);
  if (!vip) return passOn(vip);
  c.virtualServer = *vip;

  auto reals = list("rs");
  if (!reals) return passOn(reals);
  std::set<Endpoint> seen;
  for (const Value& item : *reals) {
    auto rs = parseEndpoint(item);
    if (!rs) return passOn(rs);
    if (seen.insert(*rs).second) c.realServers.push_back(*rs);  // LVScare keeps one of each
  }

  c.scheduler = value("scheduler").text;
  c.interfaceName = value("iface").text;
  auto mode = care::parseMode(value("mode").text);
  if (!mode) {
    const Value v = value("mode");
    return invalid(fmt::format("{} \"{}\": want route, link or \"\"", v.source, v.text));
  }
  c.mode = *mode;

  const Value interval = value("interval");
  auto period = parseSecondsOrDuration(interval.source, interval.text);
  if (!period) return passOn(period);
  // LVScare: an interval of 0 means the default, 5 s.
  c.policy.interval = period->count() == 0 ? health::Duration(std::chrono::seconds(5)) : *period;

  auto bit = integer("masqueradebit", 0, 31);
  if (!bit) return passOn(bit);
  c.masqueradeBit = static_cast<int>(*bit);

  // Probe.
  auto scheme = parseScheme(value("health-schem"));
  if (!scheme) return passOn(scheme);
  c.probe.scheme = *scheme;
  c.probe.path = value("health-path").text;
  if (c.probe.path.empty() || c.probe.path[0] != '/') c.probe.path.insert(0, "/");
  c.probe.method = value("health-req-method").text;
  if (c.probe.method.empty()) return invalid("--health-req-method: must not be empty");
  c.probe.body = value("health-req-body").text;
  auto headers = list("health-req-headers");
  if (!headers) return passOn(headers);
  for (const Value& item : *headers) {
    const auto eq = item.text.find('=');
    if (eq == std::string::npos || eq == 0)
      return invalid(fmt::format("{} \"{}\": want key=value", item.source, item.text));
    c.probe.headers.emplace_back(item.text.substr(0, eq), item.text.substr(eq + 1));
  }
  auto statuses = list("health-status");
  if (!statuses) return passOn(statuses);
  for (const Value& item : *statuses) {
    auto status = parseInteger(item.source, item.text, 400, 599);
    if (!status) return passOn(status);
    c.probe.extraHealthyStatuses.push_back(static_cast<int>(*status));
  }
  auto insecure = boolean("health-insecure-skip-verify");
  if (!insecure) return passOn(insecure);
  c.probe.insecureSkipVerify = *insecure;
  const Value timeoutValue = value("health-timeout");
  auto timeout = parseSecondsOrDuration(timeoutValue.source, timeoutValue.text);
  if (!timeout) return passOn(timeout);
  if (timeout->count() == 0)
    return invalid(fmt::format("{} \"{}\": must be more than 0", timeoutValue.source, timeoutValue.text));
  c.probe.timeout = *timeout;
  c.probe.caFile = value("health-ca-file").text;
  c.probe.certFile = value("health-cert-file").text;
  c.probe.keyFile = value("health-key-file").text;
  c.probe.serverName = value("health-server-name").text;
  if (c.probe.scheme != health::Scheme::Tcp) {
    health::ProbeConfig field;  // the defaults, with one field at a time from the flags
    field.scheme = health::Scheme::Http;
    field.method = c.probe.method;
    if (auto ok = checkProbeField(value("health-req-method"), field); !ok) return passOn(ok);
    field = health::ProbeConfig{};
    field.scheme = health::Scheme::Http;
    field.path = c.probe.path;
    if (auto ok = checkProbeField(value("health-path"), field); !ok) return passOn(ok);
    for (std::size_t i = 0; i < headers->size(); ++i) {
      field = health::ProbeConfig{};
      field.scheme = health::Scheme::Http;
      field.headers = {c.probe.headers[i]};
      if (auto ok = checkProbeField((*headers)[i], field); !ok) return passOn(ok);
    }
  }
  if (c.probe.scheme == health::Scheme::Https) {
    for (const char* name : {"health-ca-file", "health-cert-file", "health-key-file"}) {
      if (auto ok = checkReadable(value(name)); !ok) return passOn(ok);
    }
  }

  // Policy.
  auto rise = integer("health-rise", 1, 1000);
  if (!rise) return passOn(rise);
  c.policy.rise = static_cast<int>(*rise);
  auto fall = integer("health-fall", 1, 1000);
  if (!fall) return passOn(fall);
  c.policy.fall = static_cast<int>(*fall);
  const Value fast = value("health-fast-interval");
  auto fastInterval = parseSecondsOrDuration(fast.source, fast.text);
  if (!fastInterval) return passOn(fastInterval);
  c.policy.fastInterval = *fastInterval;
  auto jitter = parseFraction(value("health-jitter"));
  if (!jitter) return passOn(jitter);
  c.policy.jitter = *jitter;

  const Value datapath = value("datapath");
  auto choice = care::parseDatapathChoice(datapath.text);
  if (!choice) return invalid(fmt::format("{} \"{}\": want ipvs, nftables or auto", datapath.source, datapath.text));
  c.datapath = *choice;

  // Node IP: --ip, else the hosts file entry, else LVSCARE_NODE_IP (LVScare's order; it consults
  // the last two in route mode only).
  const Value ip = value("ip");
  if (!ip.text.empty() || c.mode == care::Mode::Route) {
    host::NodeIpSources nodeSources;
    nodeSources.flag = ip.text;
    nodeSources.hostsFile = c.mode == care::Mode::Route ? sources.hostsFile : std::string();
    nodeSources.getenv = [&](const char* name) -> std::optional<std::string> {
      if (c.mode != care::Mode::Route) return std::nullopt;
      return getenv(name);
    };
    nodeSources.family = c.virtualServer.address.family;
    auto nodeIp = host::lookupNodeIp(nodeSources);
    if (!nodeIp) return passOn(nodeIp);
    c.nodeIp = *nodeIp;
  }

  auto valid = care::validateConfig(c);
  if (!valid) return passOn(valid);
  return out;
}

std::vector<std::string> splitEmptyAssignments(std::vector<std::string> args) {
  std::vector<std::string> out;
  bool positional = false;  // after "--" nothing is a flag
  for (auto& arg : args) {
    if (arg == "--") positional = true;
    if (!positional && arg.size() > 3 && arg.starts_with("--") && arg.back() == '=' && arg.find('=') == arg.size() - 1) {
      arg.pop_back();
      out.push_back(std::move(arg));
      out.emplace_back();
    } else {
      out.push_back(std::move(arg));
    }
  }
  return out;
}

}  // namespace lvscare::cli
