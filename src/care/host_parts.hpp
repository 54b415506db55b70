// The pieces a mode is made of, each a HostSetup over the host layer, and a composite that runs
// them in order:
//   route mode: RouteSetup
//   link mode:  DummyLinkSetup (or, without the dummy link type, the VIP's local route: see
//               FallbackHostSetup) + SysctlSetup(net.ipv4.vs.conntrack=1, IPVS only) + masquerade
//   any mode but link, on IPVS with passive detection: the mode's parts + NatHookSetup
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "care/host_setup.hpp"
#include "host/dummy_link.hpp"
#include "host/module_loader.hpp"
#include "host/route_codec.hpp"
#include "netlink/socket.hpp"
#include "nftables/host_rules.hpp"

namespace lvscare::care {

// `<VIP>/32 via <node IP> metric 50` (IPv6: `<VIP>/128 dev <interface of the node IP> src <node IP>
// metric 50`), or the local form (host::RouteSpec::local); see host/route_codec.hpp. The socket
// must outlive it.
class RouteSetup final : public HostSetup {
 public:
  RouteSetup(netlink::Socket& rtnl, host::RouteSpec spec) : rtnl_(rtnl), spec_(std::move(spec)) {}
  std::string_view name() const override { return "route"; }
  Result<std::vector<std::string>> ensure() override;
  Result<void> remove() override;

 private:
  netlink::Socket& rtnl_;
  host::RouteSpec spec_;
};

// -C in route mode without a node IP: our routes to the VIP (any gateway) still go.
class RouteCleanup final : public HostSetup {
 public:
  RouteCleanup(netlink::Socket& rtnl, IpAddress vip) : rtnl_(rtnl), vip_(vip) {}
  std::string_view name() const override { return "route"; }
  Result<std::vector<std::string>> ensure() override { return std::vector<std::string>{}; }
  Result<void> remove() override;

 private:
  netlink::Socket& rtnl_;
  IpAddress vip_;
};

// A dummy interface, up, holding the VIP as a host address.
class DummyLinkSetup final : public HostSetup {
 public:
  DummyLinkSetup(netlink::Socket& rtnl, host::DummyLinkSpec spec, ModuleLoader loadModule)
      : rtnl_(rtnl), spec_(std::move(spec)), loadModule_(std::move(loadModule)) {}
  std::string_view name() const override { return "link"; }
  Result<std::vector<std::string>> ensure() override;
  Result<void> remove() override;

 private:
  netlink::Socket& rtnl_;
  host::DummyLinkSpec spec_;
  ModuleLoader loadModule_;
};

// `primary` until it reports Errc::Unsupported (the kernel lacks what it needs), then `fallback`
// from that moment on; the switch is logged once with the primary's error. remove() removes both,
// so -C and a restart with another kernel leave nothing either way. Link mode's VIP holder: the
// dummy link, or on a kernel without the dummy link type the VIP's local route
// (host::RouteSpec::localVip): nftables' DNAT and IPVS only need the VIP to be a local
// destination, and a route of ours (proto 76) does that with no interface to create.
class FallbackHostSetup final : public HostSetup {
 public:
  FallbackHostSetup(std::unique_ptr<HostSetup> primary, std::unique_ptr<HostSetup> fallback)
      : primary_(std::move(primary)), fallback_(std::move(fallback)) {}
  std::string_view name() const override { return primary_->name(); }
  Result<std::vector<std::string>> ensure() override;
  Result<void> remove() override;
  bool usingFallback() const { return usingFallback_; }

 private:
  std::unique_ptr<HostSetup> primary_;
  std::unique_ptr<HostSetup> fallback_;
  bool usingFallback_ = false;
};

// A kernel parameter kept at a value. remove() leaves it: it is not ours alone to reset.
class SysctlSetup final : public HostSetup {
 public:
  SysctlSetup(std::string name, std::string value, std::string procSys = "/proc/sys")
      : name_(std::move(name)), value_(std::move(value)), procSys_(std::move(procSys)) {}
  std::string_view name() const override { return "sysctl"; }
  Result<std::vector<std::string>> ensure() override;
  Result<void> remove() override { return {}; }

 private:
  std::string name_;
  std::string value_;
  std::string procSys_;
};

// Link mode's masquerade of connections to the VIP (our own nftables table, masked mark match). Owns
// the netfilter socket it programs through.
class MasqueradeSetup final : public HostSetup {
 public:
  MasqueradeSetup(nftables::NftHostRules rules, nftables::MasqueradeSpec spec)
      : rules_(std::move(rules)), spec_(spec) {}
  std::string_view name() const override { return "masquerade"; }
  Result<std::vector<std::string>> ensure() override;
  Result<void> remove() override;

 private:
  nftables::NftHostRules rules_;
  nftables::MasqueradeSpec spec_;
};

// The NAT hook IPVS connections need once conntrack tracks them (nftables/nat_hook_ruleset.hpp):
// an empty nat chain of ours, so that conntrack moves a colliding connection to another source
// port instead of dropping it. Owns the netfilter socket it programs through.
class NatHookSetup final : public HostSetup {
 public:
  NatHookSetup(nftables::NftHostRules rules, IpAddress vip) : rules_(std::move(rules)), vip_(vip) {}
  std::string_view name() const override { return "nat hook"; }
  Result<std::vector<std::string>> ensure() override;
  Result<void> remove() override;

 private:
  nftables::NftHostRules rules_;
  IpAddress vip_;
};

// Runs its parts in order on ensure (every part is tried even when one fails; the first error is
// returned) and in reverse order on remove.
class CompositeHostSetup final : public HostSetup {
 public:
  CompositeHostSetup(std::string name, std::vector<std::unique_ptr<HostSetup>> parts)
      : name_(std::move(name)), parts_(std::move(parts)) {}
  std::string_view name() const override { return name_; }
  Result<std::vector<std::string>> ensure() override;
  Result<void> remove() override;

 private:
  std::string name_;
  std::vector<std::unique_ptr<HostSetup>> parts_;
};

}  // namespace lvscare::care
