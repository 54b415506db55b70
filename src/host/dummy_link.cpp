#include "host/dummy_link.hpp"

#include <cerrno>
#include <algorithm>

namespace lvscare::host {
namespace {

// The link, after checking it may be ours. NotFound passes through for the caller to decide.
Result<LinkInfo> findOurLink(netlink::Socket& rtnl, const DummyLinkSpec& spec) {
  if (auto valid = validateInterfaceName(spec.name); !valid) return passOn(valid);
  auto link = findLink(rtnl, spec.name);
  if (!link) return link;
  if (link->kind != kDummyKind) {
    const std::string kind = link->kind.empty() ? "a device without a link kind" : "a " + link->kind + " link";
    return fail(Errc::Foreign, "interface " + spec.name + " exists and is " + kind + ", not a dummy link; left alone");
  }
  return link;
}

Result<LinkInfo> createDummy(netlink::Socket& rtnl, const DummyLinkSpec& spec, const ModuleLoader& loadModule) {
  auto created = rtnl.request(buildCreateDummy(spec.name));
  std::string moduleNote;
  if (!created && created.error().code == Errc::Unsupported && loadModule) {
    auto loaded = loadModule("dummy");
    if (loaded) {
      created = rtnl.request(buildCreateDummy(spec.name));
    } else {
      moduleNote = " (" + loaded.error().message + ")";
    }
  }
  if (!created) {
    if (created.error().code == Errc::Unsupported) {
      return fail(Errc::Unsupported,
                  "create interface " + spec.name + ": the kernel has no dummy link type" + moduleNote,
                  created.error().sysErrno);
    }
    return passOn(created, "create dummy interface " + spec.name);
  }
  auto link = findLink(rtnl, spec.name);
  if (!link) return passOn(link, "created interface " + spec.name);
  return link;
}

bool holds(const std::vector<AddressInfo>& addresses, const IpAddress& vip) {
  return std::any_of(addresses.begin(), addresses.end(), [&](const AddressInfo& a) { return a.address == vip; });
}

bool isLinkLocal(const IpAddress& address) {
  return address.isV6() && address.bytes[0] == 0xfe && (address.bytes[1] & 0xc0) == 0x80;
}

}  // namespace

Result<LinkInfo> findLink(netlink::Socket& rtnl, std::string_view name) {
  LinkInfo found;
  bool seen = false;
  auto status = rtnl.request(buildGetLink(name), [&](const netlink::MessageView& reply) -> Result<void> {
    auto link = parseLink(reply);
    if (!link) return passOn(link);
    found = std::move(*link);
    seen = true;
    return {};
  });
  if (!status) {
    if (status.error().code == Errc::NotFound) return fail(Errc::NotFound, "no interface " + std::string(name));
    return passOn(status, "look up interface " + std::string(name));
  }
  if (!seen) return fail(Errc::Malformed, "look up interface " + std::string(name) + ": the kernel sent no link");
  return found;
}

Result<std::vector<AddressInfo>> linkAddresses(netlink::Socket& rtnl, int index) {
  std::vector<AddressInfo> addresses;
  for (Family family : {Family::V4, Family::V6}) {
    auto dump = rtnl.dump(buildAddressDump(family, index));
    if (!dump) return passOn(dump, "list addresses");
    for (const auto& message : dump->messages) {
      auto address = parseAddress(message);
      if (!address) return passOn(address, "list addresses");
      if (address->index == index) addresses.push_back(*address);
    }
  }
  return addresses;
}

Result<Change> ensureDummyLink(netlink::Socket& rtnl, const DummyLinkSpec& spec, const ModuleLoader& loadModule) {
  Change change = Change::Unchanged;
  auto link = findOurLink(rtnl, spec);
  if (!link && link.error().code == Errc::NotFound) {
    link = createDummy(rtnl, spec, loadModule);
    change = Change::Created;
  }
  if (!link) return passOn(link);
  if (!link->isUp()) {
    if (auto up = rtnl.request(buildSetLinkUp(link->index)); !up) {
      return passOn(up, "bring interface " + spec.name + " up");
    }
    change = Change::Replaced;
  }
  auto addresses = linkAddresses(rtnl, link->index);
  if (!addresses) return passOn(addresses);
  if (!holds(*addresses, spec.vip)) {
    auto added = rtnl.request(buildAddAddress(link->index, spec.vip));
    if (!added && added.error().code != Errc::Exists) {
      return passOn(added, "add " + spec.vip.toString() + " to interface " + spec.name);
    }
    if (change == Change::Unchanged) change = Change::Replaced;
  }
  return change;
}

Result<bool> hasDummyLink(netlink::Socket& rtnl, const DummyLinkSpec& spec) {
  auto link = findOurLink(rtnl, spec);
  if (!link) {
    if (link.error().code == Errc::NotFound) return false;
    return passOn(link);
  }
  if (!link->isUp()) return false;
  auto addresses = linkAddresses(rtnl, link->index);
  if (!addresses) return passOn(addresses);
  return holds(*addresses, spec.vip);
}

Result<Change> removeDummyLink(netlink::Socket& rtnl, const DummyLinkSpec& spec) {
  auto link = findOurLink(rtnl, spec);
  if (!link) {
    if (link.error().code == Errc::NotFound) return Change::Unchanged;
    return passOn(link);
  }
  auto addresses = linkAddresses(rtnl, link->index);
  if (!addresses) return passOn(addresses);
  Change change = Change::Unchanged;
  if (holds(*addresses, spec.vip)) {
    auto removed = rtnl.request(buildDeleteAddress(link->index, spec.vip));
    // EADDRNOTAVAIL: removed meanwhile, which is what we wanted.
    if (!removed && removed.error().sysErrno != EADDRNOTAVAIL) {
      return passOn(removed, "remove " + spec.vip.toString() + " from interface " + spec.name);
    }
    change = Change::Removed;
  }
  const bool othersLeft = std::any_of(addresses->begin(), addresses->end(), [&](const AddressInfo& a) {
    return a.address != spec.vip && !isLinkLocal(a.address);
  });
  if (othersLeft) return change;
  auto deleted = rtnl.request(buildDeleteLink(link->index));
  if (!deleted && deleted.error().code != Errc::NotFound) {
    return passOn(deleted, "delete interface " + spec.name);
  }
  return Change::Removed;
}

}  // namespace lvscare::host
