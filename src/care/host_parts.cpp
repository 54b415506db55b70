#include "care/host_parts.hpp"

#include <functional>

#include "host/routes.hpp"
#include "host/sysctl.hpp"
#include "lvscare/log.hpp"

namespace lvscare::care {
namespace {

std::vector<std::string> madeIf(host::Change change, std::string what) {
  if (change == host::Change::Unchanged) return {};
  return {what + " " + std::string(host::toString(change))};
}

// A table of ours that is checked (`installed`) and installed when it is absent or damaged.
Result<std::vector<std::string>> ensureNftTable(const std::string& what, Result<bool> installed,
                                                const std::function<Result<void>()>& install) {
  if (!installed) return passOn(installed, what);
  if (*installed) return std::vector<std::string>{};
  if (auto done = install(); !done) return passOn(done, what);
  return std::vector<std::string>{what + " installed"};
}

// Removing a table that is not there is done already.
Result<void> absentIsRemoved(Result<void> removed, const std::string& what) {
  if (!removed && removed.error().code != Errc::NotFound) return passOn(removed, what);
  return {};
}

}  // namespace

Result<std::vector<std::string>> RouteSetup::ensure() {
  auto change = host::ensureRoute(rtnl_, spec_);
  if (!change) return passOn(change, "route " + spec_.toString());
  return madeIf(*change, "route " + spec_.toString());
}

Result<void> RouteSetup::remove() {
  auto change = host::removeRoute(rtnl_, spec_.vip, spec_.nodeIp);
  if (!change) return passOn(change, "remove route to " + spec_.vip.toString());
  return {};
}

Result<void> RouteCleanup::remove() {
  auto change = host::removeRoute(rtnl_, vip_, std::nullopt);
  if (!change) return passOn(change, "remove route to " + vip_.toString());
  return {};
}

Result<std::vector<std::string>> DummyLinkSetup::ensure() {
  auto change = host::ensureDummyLink(rtnl_, spec_, loadModule_);
  const std::string what = "link " + spec_.name + " with " + spec_.vip.toString();
  if (!change) return passOn(change, what);
  return madeIf(*change, what);
}

Result<void> DummyLinkSetup::remove() {
  auto change = host::removeDummyLink(rtnl_, spec_);
  if (!change) return passOn(change, "remove link " + spec_.name);
  return {};
}

Result<std::vector<std::string>> FallbackHostSetup::ensure() {
  if (!usingFallback_) {
    auto made = primary_->ensure();
    if (made || made.error().code != Errc::Unsupported) return made;
    usingFallback_ = true;
    logf(LogLevel::Info, "host part={} fallback={} reason={}", primary_->name(), fallback_->name(),
         logValue(made.error().describe()));
  }
  return fallback_->ensure();
}

Result<void> FallbackHostSetup::remove() {
  auto fallbackRemoved = fallback_->remove();
  auto primaryRemoved = primary_->remove();
  // A primary the kernel cannot even have (no dummy link type) has nothing to remove.
  if (!primaryRemoved && primaryRemoved.error().code != Errc::Unsupported) return primaryRemoved;
  return fallbackRemoved;
}

Result<std::vector<std::string>> SysctlSetup::ensure() {
  auto change = host::setSysctl(name_, value_, procSys_);
  const std::string what = name_ + "=" + value_;
  if (!change) return passOn(change, "sysctl " + what);
  return madeIf(*change, "sysctl " + what);
}

Result<std::vector<std::string>> MasqueradeSetup::ensure() {
  return ensureNftTable("masquerade table " + nftables::masqTableName(spec_.vip), rules_.installed(spec_),
                        [&] { return rules_.install(spec_); });
}

Result<void> MasqueradeSetup::remove() {
  return absentIsRemoved(rules_.remove(spec_.vip), "remove " + nftables::masqTableName(spec_.vip));
}

Result<std::vector<std::string>> NatHookSetup::ensure() {
  return ensureNftTable("nat hook table " + nftables::natHookTableName(vip_), rules_.natHookInstalled(vip_),
                        [&] { return rules_.installNatHook(vip_); });
}

Result<void> NatHookSetup::remove() {
  return absentIsRemoved(rules_.removeNatHook(vip_), "remove " + nftables::natHookTableName(vip_));
}

Result<std::vector<std::string>> CompositeHostSetup::ensure() {
  std::vector<std::string> made;
  std::optional<Error> first;
  for (auto& part : parts_) {
    auto result = part->ensure();
    if (!result) {
      if (!first) first = result.error();
      continue;
    }
    made.insert(made.end(), result->begin(), result->end());
  }
  if (first) return fail(*first);
  return made;
}

Result<void> CompositeHostSetup::remove() {
  Result<void> result;
  for (auto it = parts_.rbegin(); it != parts_.rend(); ++it) {
    // A real failure wins over "not ours, left alone" (Errc::Foreign), which is no failure to -C.
    if (auto removed = (*it)->remove(); !removed && (result || result.error().code == Errc::Foreign)) result = removed;
  }
  return result;
}

}  // namespace lvscare::care
