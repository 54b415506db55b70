#include "lvscare/datapath.hpp"

#include <fmt/format.h>

namespace lvscare {

std::string_view toString(Protocol protocol) {
  switch (protocol) {
    case Protocol::Tcp: return "TCP";
    case Protocol::Udp: return "UDP";
    case Protocol::Sctp: return "SCTP";
  }
  return "?";
}

Result<Protocol> parseProtocol(std::string_view text) {
  if (text == "tcp" || text == "TCP") return Protocol::Tcp;
  if (text == "udp" || text == "UDP") return Protocol::Udp;
  if (text == "sctp" || text == "SCTP") return Protocol::Sctp;
  return fail(Errc::InvalidArgument, "protocol '" + std::string(text) + "' is not one of tcp, udp, sctp");
}

std::string_view toString(ForwardMethod method) {
  switch (method) {
    case ForwardMethod::Masquerade: return "masq";
    case ForwardMethod::Local: return "local";
    case ForwardMethod::Tunnel: return "tunnel";
    case ForwardMethod::DirectRoute: return "route";
  }
  return "?";
}

std::string ServiceKey::toString() const {
  return fmt::format("{} {}", lvscare::toString(protocol), endpoint.toString());
}

DatapathOp DatapathOp::addVirtualServer(VirtualServer vs) { return {Kind::AddVirtualServer, std::move(vs), {}}; }
DatapathOp DatapathOp::updateVirtualServer(VirtualServer vs) { return {Kind::UpdateVirtualServer, std::move(vs), {}}; }
DatapathOp DatapathOp::deleteVirtualServer(ServiceKey key) {
  VirtualServer vs;
  vs.key = key;
  return {Kind::DeleteVirtualServer, std::move(vs), {}};
}
DatapathOp DatapathOp::addRealServer(ServiceKey key, RealServer rs) {
  VirtualServer vs;
  vs.key = key;
  return {Kind::AddRealServer, std::move(vs), rs};
}
DatapathOp DatapathOp::updateRealServer(ServiceKey key, RealServer rs) {
  VirtualServer vs;
  vs.key = key;
  return {Kind::UpdateRealServer, std::move(vs), rs};
}
DatapathOp DatapathOp::deleteRealServer(ServiceKey key, Endpoint rs) {
  VirtualServer vs;
  vs.key = key;
  RealServer real;
  real.endpoint = rs;
  return {Kind::DeleteRealServer, std::move(vs), real};
}

std::string DatapathOp::toString() const {
  const std::string vs = service.key.toString();
  switch (kind) {
    case Kind::AddVirtualServer: return fmt::format("add virtual server {} scheduler {}", vs, service.scheduler);
    case Kind::UpdateVirtualServer: return fmt::format("update virtual server {} scheduler {}", vs, service.scheduler);
    case Kind::DeleteVirtualServer: return fmt::format("delete virtual server {}", vs);
    case Kind::AddRealServer:
      return fmt::format("add real server {} weight {} to {}", real.endpoint.toString(), real.weight, vs);
    case Kind::UpdateRealServer:
      return fmt::format("set real server {} weight {} on {}", real.endpoint.toString(), real.weight, vs);
    case Kind::DeleteRealServer: return fmt::format("delete real server {} from {}", real.endpoint.toString(), vs);
  }
  return "?";
}

namespace {
Result<void> applySingle(Datapath& datapath, DatapathOp op) {
  auto results = datapath.apply(std::span<const DatapathOp>(&op, 1));
  if (results.size() != 1) return fail(Errc::Kernel, "datapath returned no result for " + op.toString());
  return results.front();
}
}  // namespace

Result<VirtualServerState> Datapath::readVirtualServer(const ServiceKey& key) {
  auto service = getVirtualServer(key);
  if (!service) {
    if (service.error().code == Errc::NotFound) return VirtualServerState{};
    return passOn(service, "read virtual server " + key.toString());
  }
  auto reals = listRealServers(key);
  if (!reals) {
    // Deleted between the two reads: the next read sees it missing.
    if (reals.error().code == Errc::NotFound) return VirtualServerState{};
    return passOn(reals, "list real servers of " + key.toString());
  }
  return VirtualServerState{true, std::move(*service), std::move(*reals)};
}

Result<void> Datapath::addVirtualServer(const VirtualServer& vs) {
  return applySingle(*this, DatapathOp::addVirtualServer(vs));
}
Result<void> Datapath::updateVirtualServer(const VirtualServer& vs) {
  return applySingle(*this, DatapathOp::updateVirtualServer(vs));
}
Result<void> Datapath::deleteVirtualServer(const ServiceKey& key) {
  return applySingle(*this, DatapathOp::deleteVirtualServer(key));
}
Result<void> Datapath::addRealServer(const ServiceKey& key, const RealServer& rs) {
  return applySingle(*this, DatapathOp::addRealServer(key, rs));
}
Result<void> Datapath::updateRealServer(const ServiceKey& key, const RealServer& rs) {
  return applySingle(*this, DatapathOp::updateRealServer(key, rs));
}
Result<void> Datapath::deleteRealServer(const ServiceKey& key, const Endpoint& rs) {
  return applySingle(*this, DatapathOp::deleteRealServer(key, rs));
}

}  // namespace lvscare
