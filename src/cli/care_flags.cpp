#include "cli/care_flags.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <limits>
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
  add(c, "--ip", "",
      "node IP, the route's gateway in route mode, its source for IPv6 (else /etc/hosts "
      "lvscare.node.ip, else env LVSCARE_NODE_IP)");
  add(c, "--masqueradebit", "0", "mark bit (0-31) for masquerade in link mode");
  add(c, "--health-path", "/healthz", "URL path probed");
  add(c, "--health-schem", "https", "probe scheme: http, https or tcp");
  add(c, "--health-req-method", "GET", "HTTP request method");
  add(c, "--health-req-body", "", "HTTP request body");
  addRepeatable(c, "--health-req-headers", "HTTP request headers k=v,k2=v2 (one k=v: its value may hold commas)",
                false);
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
  add(c, "--metrics-bind-address", std::string(care::kDefaultMetricsBindAddress),
      "host:port of the HTTP endpoint (/metrics, /livez, /readyz, /status); \"\" turns it off");
  addBool(c, "--fail-open", true, "when no real server passes, keep all at weight 1 (false: LVScare's empty VIP)");
  add(c, "--drain-timeout", "10s",
      "how long a server answering a failing HTTP status keeps its connections at weight 0 before it is removed "
      "(0: LVScare's weight 0, then removed at the next failed check)");
  add(c, "--flap-damping-base", "0", "hold a flapping server out this long, doubling per flap (0: off)");
  add(c, "--flap-damping-max", "60s", "the longest flap-damping hold, and the window in which a failure is a flap");
  addBool(c, "--passive-detection", true,
          "take a server out at once when connections through the VIP are refused by it or go unanswered");
  addBool(c, "--canary", false,
          "hold an idle connection to each real server: its process dying takes the server out at once");
}

namespace {
std::string longName(std::string_view names) {
  const auto pos = names.rfind("--");
  return std::string(names.substr(pos + 2));
}
std::string firstName(std::string_view names) { return std::string(names.substr(0, names.find(','))); }
}  // namespace

CareFlags::Flag& CareFlags::add(CLI::App& command, std::string names, std::string defaultValue, std::string help) {
  Flag& flag = flags_[longName(names)];
  flag.name = longName(names);
  flag.spelling = firstName(names);
  flag.text = std::move(defaultValue);
  flag.option = command.add_option(names, flag.text, std::move(help))
                    ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)  // pflag: the last one wins
                    ->capture_default_str();
  return flag;
}

CareFlags::Flag& CareFlags::addRepeatable(CLI::App& command, std::string names, std::string help, bool splitItems) {
  Flag& flag = flags_[longName(names)];
  flag.name = longName(names);
  flag.spelling = firstName(names);
  flag.repeatable = true;
  flag.splitItems = splitItems;
  flag.option = command.add_option(names, flag.items, std::move(help))->allow_extra_args(false);
  return flag;
}

CareFlags::Flag& CareFlags::addBool(CLI::App& command, std::string names, bool defaultValue, std::string help) {
  Flag& flag = flags_[longName(names)];
  flag.name = longName(names);
  flag.spelling = firstName(names);
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
  flag.option =
      command.add_flag(spec, flag.text, std::move(help))->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  return flag;
}

std::string CareFlags::envName(std::string_view flag) const {
  std::string out = envPrefix_ + "_";
  for (const char c : flag) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

namespace {

using care::CareConfig;
using care::ConfigField;
using Value = FlagValue;

Failure invalid(std::string message) { return fail(Errc::InvalidArgument, std::move(message)); }

// Stores a converted value, or passes the conversion's error on.
template <class T, class U>
Result<void> store(Result<T> converted, U& into) {
  if (!converted) return passOn(converted);
  into = std::move(*converted);
  return {};
}

// A library parser's complaint ("want route, link or \"\"") said about this value.
template <class T>
Result<T> blamed(Result<T> parsed, const Value& v) {
  if (!parsed) return invalid(fmt::format("{} \"{}\": {}", v.source, printable(v.text), parsed.error().message));
  return parsed;
}

// LVScare: "DEBG" turns debug on, anything else means INFO. Ours also reads WARN and EROR (and
// the spellings below, in any case).
LogLevel parseLogger(const Value& v, std::vector<std::string>& warnings) {
  std::string upper;
  for (const char c : v.text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "DEBG" || upper == "DEBUG") return LogLevel::Debug;
  if (upper == "INFO") return LogLevel::Info;
  if (upper == "WARN" || upper == "WARNING") return LogLevel::Warn;
  if (upper == "EROR" || upper == "ERROR") return LogLevel::Error;
  warnings.push_back(fmt::format("{} \"{}\": not DEBG, INFO, WARN or EROR; logging at INFO, as LVScare does", v.source,
                                 printable(v.text)));
  return LogLevel::Info;
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

// The jitter as a number; text that is none becomes NaN, which the policy's rule refuses saying
// what it wants.
double fractionOrNan(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return std::numeric_limits<double>::quiet_NaN();
  return value;
}

Result<health::Duration> parseInterval(const Value& v) {
  auto period = parseSecondsOrDuration(v.source, v.text);
  if (!period) return passOn(period);
  // LVScare: an interval of 0 means the default, 5 s.
  return period->count() == 0 ? health::Duration(std::chrono::seconds(5)) : *period;
}

// How one flag's text becomes part of the invocation: converted and stored, nothing more. What
// a stored value must meet is care::validateConfig()'s to check; a repeatable flag's `apply`
// runs once per item. `goReads`, for LVScare's flags whose Go type can refuse a text: whether Go
// reads it. Sealos' SetFlagsFromEnv drops flag.Set's error, so a CARE_ value that neither Go nor
// lvscare can read is ignored (the default stays), where the same text on the command line is an
// error.
struct Setting {
  const char* flag;
  GoTypeCheck goReads;
  Result<void> (*apply)(const Value& v, CareInvocation& out);
};

// --ip is used in resolve(), once the mode is known; here only read (pflag's IPVar trims spaces).
Result<void> readIp(const Value& v, CareInvocation&) {
  if (trimSpace(v.text).empty()) return {};
  if (auto ip = IpAddress::parse(trimSpace(v.text)); !ip) return passOn(ip, "node IP from " + v.source);
  return {};
}

// A map in LVScare: a key given again replaces its values; each value is split at commas, one
// header line per part (Go's Header.Add).
Result<void> addHeaders(const Value& v, CareInvocation& o) {
  auto pairs = parseStringToString(v.source, v.text);
  if (!pairs) return passOn(pairs);
  auto& headers = o.config.probe.headers;
  for (const auto& [key, value] : *pairs) {
    std::erase_if(headers, [&key](const auto& header) { return header.first == key; });
    for (std::size_t start = 0;;) {
      const auto comma = value.find(',', start);
      headers.emplace_back(key, value.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return {};
}

// LVScare keeps the codes in a set consulted only for statuses of 400 and above: one below is a
// no-op there, and above 599 no status lvscare reads can match.
Result<void> addHealthyStatus(const Value& v, CareInvocation& o) {
  auto status = parseGoInt(v.source, v.text, 10, false);
  if (!status) return passOn(status);
  if (*status < 400 || *status > 599) {
    o.warnings.push_back(fmt::format("{} \"{}\": {}; ignored", v.source, printable(v.text),
                                     *status < 400
                                         ? "a status below 400 counts as healthy anyway (a no-op in LVScare too)"
                                         : "lvscare reads statuses 100 to 599 only"));
    return {};
  }
  o.config.probe.extraHealthyStatuses.push_back(static_cast<int>(*status));
  return {};
}

// clang-format off
constexpr Setting kSettings[] = {
  {"logger", nullptr, [](const Value& v, CareInvocation& o) { o.logLevel = parseLogger(v, o.warnings); return Result<void>(); }},
  {"clean", goReadsBool, [](const Value& v, CareInvocation& o) { return store(parseGoBool(v.source, v.text), o.config.clean); }},
  {"run-once", goReadsBool, [](const Value& v, CareInvocation& o) {
     return store(parseGoBool(v.source, v.text), o.config.runOnce);
   }},
  {"vs", nullptr, [](const Value& v, CareInvocation& o) {
     // Left unset when empty: validateConfig() says it is required.
     return v.text.empty() ? Result<void>() : store(parseEndpoint(v), o.config.virtualServer);
   }},
  {"rs", goReadsStringSlice, [](const Value& v, CareInvocation& o) -> Result<void> {
     auto rs = parseEndpoint(v);
     if (!rs) return passOn(rs);
     auto& reals = o.config.realServers;  // LVScare keeps one of each
     if (std::find(reals.begin(), reals.end(), *rs) == reals.end()) reals.push_back(*rs);
     return {};
   }},
  {"scheduler", nullptr, [](const Value& v, CareInvocation& o) { o.config.scheduler = v.text; return Result<void>(); }},
  {"iface", nullptr, [](const Value& v, CareInvocation& o) { o.config.interfaceName = v.text; return Result<void>(); }},
  {"mode", nullptr, [](const Value& v, CareInvocation& o) {
     return store(blamed(care::parseMode(v.text), v), o.config.mode);
   }},
  {"interval", goReadsSecondsOrDuration, [](const Value& v, CareInvocation& o) {
     return store(parseInterval(v), o.config.policy.interval);
   }},
  {"ip", goReadsIp, readIp},
  {"masqueradebit", goReadsInt, [](const Value& v, CareInvocation& o) -> Result<void> {
     auto bit = parseGoInt(v.source, v.text, 0, true);  // pflag's IntVar: 0x1e, 0o36, 036 too
     if (!bit) return passOn(bit);
     o.config.masqueradeBit = static_cast<int>(std::clamp<long long>(*bit, INT_MIN, INT_MAX));
     return {};
   }},
  {"health-schem", nullptr, [](const Value& v, CareInvocation& o) { return store(parseScheme(v), o.config.probe.scheme); }},
  {"health-path", nullptr, [](const Value& v, CareInvocation& o) {
     o.config.probe.path = v.text.starts_with('/') ? v.text : "/" + v.text;
     return Result<void>();
   }},
  {"health-req-method", nullptr, [](const Value& v, CareInvocation& o) {
     o.config.probe.method = v.text.empty() ? "GET" : v.text;  // Go's http.NewRequest: "" is GET
     return Result<void>();
   }},
  {"health-req-body", nullptr, [](const Value& v, CareInvocation& o) { o.config.probe.body = v.text; return Result<void>(); }},
  {"health-req-headers", goReadsStringToString, addHeaders},
  {"health-status", goReadsIntSlice, addHealthyStatus},
  {"health-insecure-skip-verify", goReadsBool, [](const Value& v, CareInvocation& o) {
     return store(parseGoBool(v.source, v.text), o.config.probe.insecureSkipVerify);
   }},
  {"health-timeout", goReadsDuration, [](const Value& v, CareInvocation& o) {
     return store(parseSecondsOrDuration(v.source, v.text), o.config.probe.timeout);
   }},
  // Ours from here on: a value that cannot be read is an error wherever it comes from.
  {"health-ca-file", nullptr, [](const Value& v, CareInvocation& o) { o.config.probe.caFile = v.text; return Result<void>(); }},
  {"health-cert-file", nullptr, [](const Value& v, CareInvocation& o) { o.config.probe.certFile = v.text; return Result<void>(); }},
  {"health-key-file", nullptr, [](const Value& v, CareInvocation& o) { o.config.probe.keyFile = v.text; return Result<void>(); }},
  {"health-server-name", nullptr, [](const Value& v, CareInvocation& o) {
     o.config.probe.serverName = v.text;
     return Result<void>();
   }},
  {"health-rise", nullptr, [](const Value& v, CareInvocation& o) {
     return store(parseClampedInt(v.source, v.text), o.config.policy.rise);
   }},
  {"health-fall", nullptr, [](const Value& v, CareInvocation& o) {
     return store(parseClampedInt(v.source, v.text), o.config.policy.fall);
   }},
  {"health-fast-interval", nullptr, [](const Value& v, CareInvocation& o) {
     return store(parseSecondsOrDuration(v.source, v.text), o.config.policy.fastInterval);
   }},
  {"health-jitter", nullptr, [](const Value& v, CareInvocation& o) {
     o.config.policy.jitter = fractionOrNan(v.text);
     return Result<void>();
   }},
  {"datapath", nullptr, [](const Value& v, CareInvocation& o) {
     return store(blamed(care::parseDatapathChoice(v.text), v), o.config.datapath);
   }},
  {"fail-open", nullptr, [](const Value& v, CareInvocation& o) {
     return store(parseGoBool(v.source, v.text), o.config.failOpen);
   }},
  {"drain-timeout", nullptr, [](const Value& v, CareInvocation& o) {
     return store(parseSecondsOrDuration(v.source, v.text), o.config.drainTimeout);
   }},
  {"flap-damping-base", nullptr, [](const Value& v, CareInvocation& o) {
     return store(parseSecondsOrDuration(v.source, v.text), o.config.flapDampingBase);
   }},
  {"flap-damping-max", nullptr, [](const Value& v, CareInvocation& o) {
     return store(parseSecondsOrDuration(v.source, v.text), o.config.flapDampingMax);
   }},
  {"passive-detection", nullptr, [](const Value& v, CareInvocation& o) {
     return store(parseGoBool(v.source, v.text), o.config.passiveDetection);
   }},
  {"canary", nullptr, [](const Value& v, CareInvocation& o) {
     return store(parseGoBool(v.source, v.text), o.config.canary);
   }},
  {"metrics-bind-address", nullptr, [](const Value& v, CareInvocation& o) -> Result<void> {
     // A host:port like --vs; an empty value turns the endpoint off (kube-proxy's flag).
     if (v.text.empty()) {
       o.config.metricsBindAddress.reset();
       return {};
     }
     auto address = parseEndpoint(v);
     if (!address) return passOn(address);
     o.config.metricsBindAddress = *address;
     return {};
   }},
};
// clang-format on

// The flag that sets a field of the config; nullptr for a field no flag sets.
const char* flagOf(ConfigField field) {
  switch (field) {
    case ConfigField::VirtualServer: return "vs";
    case ConfigField::RealServers: return "rs";
    case ConfigField::Scheduler: return "scheduler";
    case ConfigField::InterfaceName: return "iface";
    case ConfigField::Clean: return "clean";
    case ConfigField::NodeIp: return "ip";
    case ConfigField::MasqueradeBit: return "masqueradebit";
    case ConfigField::ReconcileInterval: return nullptr;
    case ConfigField::DrainTimeout: return "drain-timeout";
    case ConfigField::FlapDampingBase: return "flap-damping-base";
    case ConfigField::FlapDampingMax: return "flap-damping-max";
    case ConfigField::Interval: return "interval";
    case ConfigField::Rise: return "health-rise";
    case ConfigField::Fall: return "health-fall";
    case ConfigField::FastInterval: return "health-fast-interval";
    case ConfigField::Jitter: return "health-jitter";
    case ConfigField::ProbeTimeout: return "health-timeout";
    case ConfigField::ProbeMethod: return "health-req-method";
    case ConfigField::ProbePath: return "health-path";
    case ConfigField::ProbeHeaders: return "health-req-headers";
    case ConfigField::ProbeStatuses: return "health-status";
  }
  return nullptr;
}

// The TLS files are loaded only when the prober is made, after the flags; a file that cannot be
// read is named here with its flag instead.
Result<void> checkReadable(const Value& v) {
  if (v.text.empty() || ::access(v.text.c_str(), R_OK) == 0) return {};
  const int error = errno;
  return invalid(fmt::format("{} \"{}\": cannot read it: {}", v.source, printable(v.text), std::strerror(error)));
}

}  // namespace

class CareFlags::Reading {
 public:
  Reading(const CareFlags& flags, const CareSources& sources) : flags_(flags), sources_(sources) {}

  std::optional<std::string> getenv(const std::string& name) const {
    if (sources_.getenv) return sources_.getenv(name);
    if (const char* value = std::getenv(name.c_str())) return std::string(value);
    return std::nullopt;
  }

  // The flag's variable as LVScare reads it: an empty one is not set (Sealos' SetFlagsFromEnv
  // skips it), nor one whose text was found unreadable. Our --metrics-bind-address keeps an empty
  // value: that is how its variable turns the endpoint off.
  std::optional<std::string> envText(const std::string& name) const {
    if (ignored_.contains(name)) return std::nullopt;
    auto text = getenv(flags_.envName(name));
    if (text && text->empty() && name != "metrics-bind-address") return std::nullopt;
    return text;
  }
  void ignore(const std::string& name) { ignored_.insert(name); }

  // Whether the flag was given at all, on the command line or in its environment variable.
  bool given(const std::string& name) const {
    return flags_.flags_.at(name).option->count() > 0 || envText(name).has_value();
  }

  // Whether the flag's value comes from its environment variable: not on the command line, set there.
  bool fromEnvironment(const std::string& name) const {
    return flags_.flags_.at(name).option->count() == 0 && envText(name).has_value();
  }

  // A single-valued flag: the command line, else the environment, else the default.
  Value value(const std::string& name) const {
    if (fromEnvironment(name)) return Value{flags_.envName(name), *envText(name)};
    return Value{"--" + name, flags_.flags_.at(name).text};
  }

  // Each item of a repeatable flag, every occurrence split at commas (or whole, for a flag that
  // reads its occurrences itself).
  Result<std::vector<Value>> list(const std::string& name) const {
    std::vector<Value> occurrences;
    if (fromEnvironment(name)) {
      occurrences.push_back(value(name));
    } else {
      for (const auto& item : flags_.flags_.at(name).items) occurrences.push_back(Value{"--" + name, item});
    }
    if (!flags_.flags_.at(name).splitItems) return occurrences;
    std::vector<Value> out;
    for (const Value& occurrence : occurrences) {
      auto items = splitList(occurrence.source, occurrence.text);
      if (!items) return passOn(items);
      for (auto& item : *items) out.push_back(Value{occurrence.source, std::move(item)});
    }
    return out;
  }

  // The validation's complaint about a field, naming the flag or variable that set it and the text
  // given there: `--rs "[fd00::1]:80": an IPv6 real server for the IPv4 --vs 10.0.0.1:80`.
  Error blame(const care::ConfigError& error, const CareConfig& config) const {
    const char* flag = flagOf(error.field);
    const auto pointAt = [&](ConfigField field) {
      const char* other = flagOf(field);
      if (other == nullptr) return std::string(care::toString(field));
      return fromEnvironment(other) ? flags_.envName(other) : flags_.flags_.at(other).spelling;
    };
    const std::string problem = printable(problemText<ConfigField>(error, pointAt));
    const std::string name = flag == nullptr ? std::string(care::toString(error.field)) : value(flag).source;
    if (error.value.empty() && !error.namesItself) return Error{Errc::InvalidArgument, 0, name + ": " + problem};
    std::string text = error.value;
    if (flag != nullptr) text = textOf(flag, error, config);
    return Error{Errc::InvalidArgument, 0, fmt::format("{} \"{}\": {}", name, printable(text), problem)};
  }

 private:
  // What the user wrote for the field at fault: the flag's text, or the item of a list.
  std::string textOf(const std::string& flag, const care::ConfigError& error, const CareConfig& config) const {
    if (!flags_.flags_.at(flag).repeatable) return value(flag).text;
    if (error.field == ConfigField::ProbeHeaders && error.item < config.probe.headers.size()) {
      const auto& [key, value] = config.probe.headers[error.item];
      return key + "=" + value;
    }
    auto items = list(flag);
    if (!items) return error.value;
    if (error.field == ConfigField::RealServers) {
      // Duplicates were dropped: the first item that reads as that real server.
      for (const Value& item : *items) {
        if (Endpoint::parse(item.text) == config.realServers.at(error.item)) return item.text;
      }
      return error.value;
    }
    return error.item < items->size() ? (*items)[error.item].text : error.value;
  }

  const CareFlags& flags_;
  const CareSources& sources_;
  std::set<std::string> ignored_;
};

namespace {
// Applies one setting: its value, or each item of a repeatable flag.
Result<void> applySetting(const Setting& setting, bool repeatable, const auto& reading, CareInvocation& out) {
  if (!repeatable) return setting.apply(reading.value(setting.flag), out);
  auto items = reading.list(setting.flag);
  if (!items) return passOn(items);
  for (const Value& item : *items) {
    if (auto stored = setting.apply(item, out); !stored) return stored;
  }
  return {};
}
}  // namespace

Result<CareInvocation> CareFlags::resolve(const CareSources& sources) const {
  Reading reading(*this, sources);
  CareInvocation out;
  for (const Setting& setting : kSettings) {
    if (setting.goReads == nullptr || !reading.fromEnvironment(setting.flag)) continue;
    const Flag& flag = flags_.at(setting.flag);
    const Value v = reading.value(setting.flag);
    auto read = setting.goReads(v.source, v.text);
    CareInvocation scratch;
    if (read || applySetting(setting, flag.repeatable, reading, scratch)) continue;
    const std::string kept = flag.repeatable || flag.text.empty() ? "none" : flag.text;
    out.warnings.push_back(fmt::format("{}; ignored, as LVScare ignores it: {} stays {}",
                                       printable(read.error().message), flag.spelling, kept));
    reading.ignore(setting.flag);
  }
  for (const Setting& setting : kSettings) {
    if (auto stored = applySetting(setting, flags_.at(setting.flag).repeatable, reading, out); !stored)
      return passOn(stored);
  }
  care::CareConfig& c = out.config;
  // Given at all? Decides whether TLS files given with it turn verification on.
  if (reading.given("health-insecure-skip-verify")) c.probe.insecureSkipVerifyGiven = c.probe.insecureSkipVerify;
  // LVScare reads -i/--iface and --masqueradebit in link mode only: elsewhere a value it would
  // refuse there is ignored (at most these two fields, so at most two passes more).
  for (int pass = 0;; ++pass) {
    auto valid = care::validateConfig(c);
    if (valid) break;
    const ConfigField field = valid.error().field;
    const bool linkOnly = field == ConfigField::InterfaceName || field == ConfigField::MasqueradeBit;
    if (!linkOnly || c.mode == care::Mode::Link || pass >= 2) return fail(reading.blame(valid.error(), c));
    out.warnings.push_back(reading.blame(valid.error(), c).message + "; ignored outside link mode, as LVScare does");
    if (field == ConfigField::InterfaceName) c.interfaceName = std::string(care::kDefaultInterface);
    if (field == ConfigField::MasqueradeBit) c.masqueradeBit = 0;
  }
  if (c.probe.scheme == health::Scheme::Https) {
    for (const char* name : {"health-ca-file", "health-cert-file", "health-key-file"}) {
      if (auto ok = checkReadable(reading.value(name)); !ok) return passOn(ok);
    }
  }
  // Node IP: --ip, else the hosts file entry, else LVSCARE_NODE_IP (LVScare's order; it consults
  // the last two in route mode only).
  const Value ip = reading.value("ip");
  if (!trimSpace(ip.text).empty() || c.mode == care::Mode::Route) {
    host::NodeIpSources nodeSources;
    nodeSources.flag = std::string(trimSpace(ip.text));  // pflag's IPVar trims spaces
    nodeSources.flagName = ip.source;
    nodeSources.hostsFile = c.mode == care::Mode::Route ? sources.hostsFile : std::string();
    nodeSources.getenv = [&](const char* name) -> std::optional<std::string> {
      if (c.mode != care::Mode::Route) return std::nullopt;
      return reading.getenv(name);
    };
    nodeSources.family = c.virtualServer.address.family;
    auto nodeIp = host::lookupNodeIp(nodeSources);
    if (!nodeIp) return passOn(nodeIp);
    c.nodeIp = *nodeIp;
  }
  return out;
}

std::vector<std::string> splitEmptyAssignments(std::vector<std::string> args) {
  std::vector<std::string> out;
  bool positional = false;  // after "--" nothing is a flag
  for (auto& arg : args) {
    if (arg == "--") positional = true;
    if (!positional && arg.size() > 3 && arg.starts_with("--") && arg.back() == '=' &&
        arg.find('=') == arg.size() - 1) {
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
