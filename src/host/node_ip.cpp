#include "host/node_ip.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "host/file_io.hpp"
#include "host/text.hpp"

namespace lvscare::host {
namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view familyName(Family family) { return family == Family::V4 ? "IPv4" : "IPv6"; }

// Parses one source's text; `source` names it in errors ("--ip", "LVSCARE_NODE_IP"...).
Result<IpAddress> parseFrom(const std::string& text, const std::string& source, std::optional<Family> family) {
  auto address = IpAddress::parse(text);
  if (!address) return passOn(address, "node IP from " + source);
  if (family && address->family != *family) {
    return fail(Errc::InvalidArgument, "node IP from " + source + " is " + std::string(familyName(address->family)) +
                                           " but the VIP is " + std::string(familyName(*family)));
  }
  return *address;
}

Result<std::optional<IpAddress>> fromHosts(const NodeIpSources& sources) {
  auto content = readFile(sources.hostsFile, 1u << 20);
  if (!content) {
    if (content.error().code == Errc::NotFound) return std::optional<IpAddress>{};
    return passOn(content);
  }
  const auto entries = findHostsEntries(*content, kNodeIpHostname);
  if (entries.empty()) return std::optional<IpAddress>{};
  const std::string source = sources.hostsFile + " entry " + std::string(kNodeIpHostname);
  for (const auto& entry : entries) {
    auto address = IpAddress::parse(entry);
    if (address && (!sources.family || address->family == *sources.family)) return std::optional<IpAddress>(*address);
  }
  // None fits: report the first, which says what is wrong with it.
  auto first = parseFrom(entries.front(), source, sources.family);
  return passOn(first);
}

}  // namespace

std::vector<std::string> findHostsEntries(std::string_view hostsContent, std::string_view hostname) {
  std::vector<std::string> found;
  forEachLine(hostsContent, [&](std::string_view line, std::size_t) {
    const auto fields = splitWords(line.substr(0, line.find('#')));
    if (fields.size() < 2) return;
    if (std::any_of(fields.begin() + 1, fields.end(),
                    [&](std::string_view name) { return equalsIgnoreCase(name, hostname); })) {
      found.emplace_back(fields.front());
    }
  });
  return found;
}

Result<std::optional<IpAddress>> lookupNodeIp(const NodeIpSources& sources) {
  if (!sources.flag.empty()) {
    auto address = parseFrom(sources.flag, sources.flagName, sources.family);
    if (!address) return passOn(address);
    return std::optional<IpAddress>(*address);
  }
  auto hosts = fromHosts(sources);
  if (!hosts || *hosts) return hosts;
  std::optional<std::string> env;
  if (sources.getenv) {
    env = sources.getenv(kNodeIpEnv);
  } else if (const char* value = std::getenv(kNodeIpEnv)) {
    env = value;
  }
  if (!env || env->empty()) return std::optional<IpAddress>{};
  auto address = parseFrom(*env, kNodeIpEnv, sources.family);
  if (!address) return passOn(address);
  return std::optional<IpAddress>(*address);
}

Result<IpAddress> resolveNodeIp(const NodeIpSources& sources) {
  auto found = lookupNodeIp(sources);
  if (!found) return passOn(found);
  if (!*found) {
    return fail(Errc::NotFound, "no node IP for route mode: give " + sources.flagName + ", an " + sources.hostsFile +
                                    " entry " + std::string(kNodeIpHostname) + ", or " + kNodeIpEnv);
  }
  return **found;
}

}  // namespace lvscare::host
