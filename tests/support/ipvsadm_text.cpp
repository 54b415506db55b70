#include "support/ipvsadm_text.hpp"

#include <sys/wait.h>

#include <bit>
#include <charconv>
#include <cstdio>
#include <optional>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace lvscare::testing {
namespace {

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream stream{std::string(line)};
  for (std::string word; stream >> word;) out.push_back(word);
  return out;
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    out.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

Failure bad(std::string_view what, std::string_view line) {
  return fail(Errc::Malformed, fmt::format("ipvsadm output: {} in line '{}'", what, line));
}

Result<std::uint32_t> number(std::string_view text) {
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return fail(Errc::Malformed, "not a number: '" + std::string(text) + "'");
  }
  return value;
}

// "255.255.255.0" (IPv4) or "64" (IPv6) -> prefix bits, 0 for a host mask as in our model.
Result<std::uint32_t> maskBits(std::string_view text, const IpAddress& of) {
  if (of.isV6()) {
    auto bits = number(text);
    if (!bits) return bits;
    return *bits == 128 ? 0 : *bits;
  }
  auto mask = IpAddress::parse(text);
  if (!mask) return passOn(mask);
  const std::uint32_t value =
      (std::uint32_t{mask->bytes[0]} << 24) | (mask->bytes[1] << 16) | (mask->bytes[2] << 8) | mask->bytes[3];
  const auto bits = static_cast<std::uint32_t>(std::countl_one(value));
  return bits == 32 ? 0 : bits;
}

Result<std::uint32_t> schedulerFlags(std::string_view list) {
  std::uint32_t flags = 0;
  std::string item;
  std::istringstream stream{std::string(list)};
  while (std::getline(stream, item, ',')) {
    if (item == "sh-fallback" || item == "mh-fallback" || item == "flag-1") {
      flags |= svcflags::kSchedFlag1;
    } else if (item == "sh-port" || item == "mh-port" || item == "flag-2") {
      flags |= svcflags::kSchedFlag2;
    } else if (item == "flag-3") {
      flags |= svcflags::kSchedFlag3;
    } else {
      return fail(Errc::Malformed, "unknown scheduler flag '" + item + "'");
    }
  }
  return flags;
}

Result<Protocol> protocolOption(std::string_view option) {
  if (option == "-t") return Protocol::Tcp;
  if (option == "-u") return Protocol::Udp;
  if (option == "--sctp-service") return Protocol::Sctp;
  return fail(Errc::Malformed, "unknown service option '" + std::string(option) + "'");
}

Result<ServiceKey> listedKey(const std::vector<std::string>& w) {
  auto protocol = parseProtocol(w.at(0));
  if (!protocol) return passOn(protocol);
  auto endpoint = Endpoint::parse(w.at(1));
  if (!endpoint) return passOn(endpoint);
  return ServiceKey{*protocol, *endpoint};
}

Result<ForwardMethod> listedForward(std::string_view name) {
  if (name == "Masq") return ForwardMethod::Masquerade;
  if (name == "Route") return ForwardMethod::DirectRoute;
  if (name == "Tunnel") return ForwardMethod::Tunnel;
  if (name == "Local") return ForwardMethod::Local;
  return fail(Errc::Malformed, "unknown forwarding method '" + std::string(name) + "'");
}

bool isListedServiceLine(const std::vector<std::string>& w) {
  return w.size() >= 2 && (w[0] == "TCP" || w[0] == "UDP" || w[0] == "SCTP");
}
bool isListedRealLine(const std::vector<std::string>& w) {
  return w.size() >= 2 && w[0] == "->" && w[1] != "RemoteAddress:Port";
}

// Walks a listing: `onService` for each service line, `onReal` for each real-server line under it.
template <class OnService, class OnReal>
Result<void> walkListing(std::string_view text, OnService onService, OnReal onReal) {
  std::optional<ServiceKey> current;
  for (const auto line : lines(text)) {
    const auto w = words(line);
    if (isListedServiceLine(w)) {
      auto key = listedKey(w);
      if (!key) return bad(key.error().message, line);
      current = *key;
      if (auto ok = onService(*key, w); !ok) return bad(ok.error().message, line);
    } else if (isListedRealLine(w)) {
      if (!current) return bad("real server before any service", line);
      auto endpoint = Endpoint::parse(w[1]);
      if (!endpoint) return bad(endpoint.error().message, line);
      if (auto ok = onReal(*current, *endpoint, w); !ok) return bad(ok.error().message, line);
    }
  }
  return {};
}

}  // namespace

std::string IpvsTable::toString() const {
  std::string out;
  for (const auto& [key, service] : services) {
    const auto& vs = service.server;
    out += fmt::format("{} sched {} flags {:#x} timeout {} mask /{}\n", key.toString(), vs.scheduler, vs.flags,
                       vs.persistenceTimeout, vs.netmaskBits);
    for (const auto& [endpoint, rs] : service.reals) {
      out += fmt::format("  -> {} {} weight {} thresholds {}/{}\n", endpoint.toString(), lvscare::toString(rs.forward),
                         rs.weight, rs.upperThreshold, rs.lowerThreshold);
    }
  }
  return out.empty() ? "(empty)\n" : out;
}

Result<IpvsTable> parseIpvsadmSave(std::string_view text) {
  IpvsTable table;
  for (const auto line : lines(text)) {
    const auto w = words(line);
    if (w.empty()) continue;
    if (w.size() < 3 || (w[0] != "-A" && w[0] != "-a")) return bad("not a -A/-a rule", line);
    auto protocol = protocolOption(w[1]);
    if (!protocol) return bad(protocol.error().message, line);
    auto endpoint = Endpoint::parse(w[2]);
    if (!endpoint) return bad(endpoint.error().message, line);
    const ServiceKey key{*protocol, *endpoint};
    if (w[0] == "-A") {
      VirtualServer vs;
      vs.key = key;
      for (std::size_t i = 3; i < w.size(); ++i) {
        const bool hasValue = i + 1 < w.size();
        if (w[i] == "-s" && hasValue) {
          vs.scheduler = w[++i];
        } else if (w[i] == "-p" && hasValue) {
          auto timeout = number(w[++i]);
          if (!timeout) return bad(timeout.error().message, line);
          vs.flags |= svcflags::kPersistent;
          vs.persistenceTimeout = *timeout;
        } else if (w[i] == "-M" && hasValue) {
          auto bits = maskBits(w[++i], key.endpoint.address);
          if (!bits) return bad(bits.error().message, line);
          vs.netmaskBits = *bits;
        } else if (w[i] == "-o") {
          vs.flags |= svcflags::kOnePacket;
        } else if (w[i] == "-b" && hasValue) {
          auto flags = schedulerFlags(w[++i]);
          if (!flags) return bad(flags.error().message, line);
          vs.flags |= *flags;
        } else {
          return bad("unexpected '" + w[i] + "'", line);
        }
      }
      table.services[key].server = vs;
      continue;
    }
    auto service = table.services.find(key);
    if (service == table.services.end()) return bad("real server of an unknown service", line);
    RealServer rs;
    bool haveEndpoint = false;
    for (std::size_t i = 3; i < w.size(); ++i) {
      const bool hasValue = i + 1 < w.size();
      if (w[i] == "-r" && hasValue) {
        auto real = Endpoint::parse(w[++i]);
        if (!real) return bad(real.error().message, line);
        rs.endpoint = *real;
        haveEndpoint = true;
      } else if (w[i] == "-m") {
        rs.forward = ForwardMethod::Masquerade;
      } else if (w[i] == "-g") {
        rs.forward = ForwardMethod::DirectRoute;
      } else if (w[i] == "-i") {
        rs.forward = ForwardMethod::Tunnel;
      } else if (w[i] == "-w" && hasValue) {
        auto weight = number(w[++i]);
        if (!weight) return bad(weight.error().message, line);
        rs.weight = *weight;
      } else if (w[i] == "--tun-type" && hasValue && w[i + 1] == "ipip") {
        ++i;  // the default tunnel type, which we never change
      } else {
        return bad("unexpected '" + w[i] + "'", line);
      }
    }
    if (!haveEndpoint) return bad("no -r", line);
    service->second.reals[rs.endpoint] = rs;
  }
  return table;
}

Result<IpvsTable> parseIpvsadmList(std::string_view text) {
  IpvsTable table;
  auto walked = walkListing(
      text,
      [&](const ServiceKey& key, const std::vector<std::string>& w) -> Result<void> {
        VirtualServer vs;
        vs.key = key;
        if (w.size() < 3) return fail(Errc::Malformed, "no scheduler");
        vs.scheduler = w[2];
        for (std::size_t i = 3; i < w.size(); ++i) {
          const bool hasValue = i + 1 < w.size();
          if (w[i] == "persistent" && hasValue) {
            auto timeout = number(w[++i]);
            if (!timeout) return passOn(timeout);
            vs.flags |= svcflags::kPersistent;
            vs.persistenceTimeout = *timeout;
          } else if (w[i] == "mask" && hasValue) {
            auto bits = maskBits(w[++i], key.endpoint.address);
            if (!bits) return passOn(bits);
            vs.netmaskBits = *bits;
          } else if (w[i] == "ops") {
            vs.flags |= svcflags::kOnePacket;
          } else if (w[i].size() > 2 && w[i].front() == '(' && w[i].back() == ')') {
            auto flags = schedulerFlags(std::string_view(w[i]).substr(1, w[i].size() - 2));
            if (!flags) return passOn(flags);
            vs.flags |= *flags;
          } else {
            return fail(Errc::Malformed, "unexpected '" + w[i] + "'");
          }
        }
        table.services[key].server = vs;
        return {};
      },
      [&](const ServiceKey& key, const Endpoint& endpoint, const std::vector<std::string>& w) -> Result<void> {
        if (w.size() != 6) return fail(Errc::Malformed, "want 6 columns");
        RealServer rs;
        rs.endpoint = endpoint;
        auto forward = listedForward(w[2]);
        if (!forward) return passOn(forward);
        rs.forward = *forward;
        auto weight = number(w[3]);
        if (!weight) return passOn(weight);
        rs.weight = *weight;
        table.services[key].reals[endpoint] = rs;
        return {};
      });
  if (!walked) return passOn(walked);
  return table;
}

Result<void> mergeIpvsadmThresholds(std::string_view text, IpvsTable& table) {
  return walkListing(
      text, [](const ServiceKey&, const std::vector<std::string>&) -> Result<void> { return {}; },
      [&](const ServiceKey& key, const Endpoint& endpoint, const std::vector<std::string>& w) -> Result<void> {
        auto service = table.services.find(key);
        if (service == table.services.end() || !service->second.reals.count(endpoint)) {
          return fail(Errc::Malformed, "real server not in the table");
        }
        if (w.size() != 6) return fail(Errc::Malformed, "want 6 columns");
        auto upper = number(w[2]);
        auto lower = number(w[3]);
        if (!upper || !lower) return fail(Errc::Malformed, "thresholds are not numbers");
        service->second.reals[endpoint].upperThreshold = *upper;
        service->second.reals[endpoint].lowerThreshold = *lower;
        return {};
      });
}

Result<std::array<std::uint32_t, 3>> parseIpvsadmTimeouts(std::string_view text) {
  constexpr std::string_view prefix = "Timeout (tcp tcpfin udp):";
  const auto at = text.find(prefix);
  if (at == std::string_view::npos) return bad("no timeout line", text);
  const auto w = words(text.substr(at + prefix.size()));
  if (w.size() != 3) return bad("want 3 timeouts", text);
  std::array<std::uint32_t, 3> out{};
  for (std::size_t i = 0; i < 3; ++i) {
    auto value = number(w[i]);
    if (!value) return bad(value.error().message, text);
    out[i] = *value;
  }
  return out;
}

Result<std::map<std::pair<ServiceKey, Endpoint>, std::uint64_t>> parseIpvsadmConnections(std::string_view text) {
  std::map<std::pair<ServiceKey, Endpoint>, std::uint64_t> out;
  auto walked = walkListing(
      text, [](const ServiceKey&, const std::vector<std::string>&) -> Result<void> { return {}; },
      [&](const ServiceKey& key, const Endpoint& endpoint, const std::vector<std::string>& w) -> Result<void> {
        if (w.size() != 7) return fail(Errc::Malformed, "want 7 columns");
        auto conns = number(w[2]);
        if (!conns) return passOn(conns);
        out[{key, endpoint}] = *conns;
        return {};
      });
  if (!walked) return passOn(walked);
  return out;
}

Result<std::string> runCommand(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return fail(Errc::Io, "cannot run: " + command);
  std::string output;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = ::pclose(pipe);
  if (status != 0) {
    return fail(Errc::Kernel, fmt::format("'{}' exited with status {}: {}", command, WEXITSTATUS(status), output));
  }
  return output;
}

}  // namespace lvscare::testing
