#include "ipvs/ipvs_datapath.hpp"

#include <linux/ip_vs.h>
#include <linux/netlink.h>

#include <cerrno>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "netlink/genl.hpp"

namespace lvscare::ipvs {
namespace {

constexpr std::string_view kFamilyName = IPVS_GENL_NAME;

bool isServiceDefinition(DatapathOp::Kind kind) {
  return kind == DatapathOp::Kind::AddVirtualServer || kind == DatapathOp::Kind::UpdateVirtualServer;
}

// For listings and single requests: EPERM names the capability, the rest gets context.
Error describeRequestError(const Error& error, std::string_view what) {
  if (error.code == Errc::Permission) {
    return Error{Errc::Permission, error.sysErrno, fmt::format("{}: needs CAP_NET_ADMIN ({})", what, error.message)};
  }
  return withContext(error, what);
}

Result<std::uint16_t> resolveIpvs(netlink::Socket& socket) {
  auto family = netlink::resolveFamily(socket, kFamilyName);
  if (!family) return passOn(family);
  return family->id;
}

}  // namespace

Error describeOpError(const DatapathOp& op, const Error& error) {
  const std::string what = op.toString();
  const std::string service = op.service.key.toString();
  std::string detail;
  Errc code = error.code;
  switch (error.sysErrno) {
    case EPERM:
    case EACCES: detail = "needs CAP_NET_ADMIN"; break;
    case ESRCH: detail = "no virtual server " + service; break;
    case EEXIST:
      detail = isServiceDefinition(op.kind)
                   ? "virtual server " + service + " exists already"
                   : "real server " + op.real.endpoint.toString() + " exists already in " + service;
      break;
    case ENOENT:
      if (isServiceDefinition(op.kind)) {
        // IPVS answers ENOENT on add/edit service only when it has no such scheduler.
        code = Errc::Unsupported;
        detail = fmt::format("the kernel has no scheduler '{}' (module ip_vs_{})", op.service.scheduler,
                             op.service.scheduler);
      } else {
        detail = "no real server " + op.real.endpoint.toString() + " in " + service;
      }
      break;
    default: break;
  }
  if (detail.empty()) return Error{code, error.sysErrno, what + ": " + error.message};
  return Error{code, error.sysErrno, fmt::format("{}: {} ({})", what, detail, error.message)};
}

IpvsDatapath::IpvsDatapath(netlink::Socket socket, std::uint16_t family, IpvsOptions options)
    : socket_(std::move(socket)), family_(family), options_(std::move(options)) {}

Result<std::unique_ptr<IpvsDatapath>> IpvsDatapath::open(IpvsOptions options) {
  auto socket = netlink::Socket::open(NETLINK_GENERIC);
  if (!socket) return passOn(socket, "open IPVS datapath");
  socket->setTimeout(options.timeout);
  if (options.pipelineWindow != 0) socket->setPipelineWindow(options.pipelineWindow);
  auto family = resolveIpvs(*socket);
  if (!family && family.error().code == Errc::NotFound) {
    if (!options.loadModule) {
      return fail(
          Errc::Unsupported,
          "the kernel has no IPVS (no generic netlink family IPVS) and no module loader was given to load ip_vs");
    }
    auto loaded = options.loadModule("ip_vs");
    if (!loaded) {
      return fail(Errc::Unsupported,
                  "the kernel has no IPVS: module ip_vs could not be loaded: " + loaded.error().message,
                  loaded.error().sysErrno);
    }
    family = resolveIpvs(*socket);
    if (!family && family.error().code == Errc::NotFound) {
      return fail(Errc::Unsupported, "the kernel has no IPVS: module ip_vs loaded, yet no generic netlink family IPVS");
    }
  }
  if (!family) return passOn(family, "open IPVS datapath");
  return std::unique_ptr<IpvsDatapath>(new IpvsDatapath(std::move(*socket), *family, std::move(options)));
}

void IpvsDatapath::send(std::span<const DatapathOp> ops, const std::vector<std::size_t>& indices,
                        std::vector<Result<void>>& results) {
  std::vector<netlink::Message> messages;
  std::vector<std::size_t> sent;
  messages.reserve(indices.size());
  for (const std::size_t i : indices) {
    auto message = encodeOp(family_, ops[i]);
    if (!message) {
      results[i] = passOn(message);
      continue;
    }
    messages.push_back(std::move(*message));
    sent.push_back(i);
  }
  auto answers = socket_.pipeline(messages);
  for (std::size_t k = 0; k < sent.size(); ++k) results[sent[k]] = std::move(answers[k]);
}

std::vector<Result<void>> IpvsDatapath::apply(std::span<const DatapathOp> ops) {
  std::vector<Result<void>> results(ops.size());
  std::vector<std::size_t> all(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) all[i] = i;
  send(ops, all, results);
  const auto loadFailures = retryUnknownSchedulers(ops, results);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (results[i] || results[i].error().code == Errc::InvalidArgument) continue;  // validation names its field
    if (results[i].error().sysErrno == 0) {  // transport failure: say which op it hit
      results[i] = passOn(results[i], ops[i].toString());
      continue;
    }
    Error error = describeOpError(ops[i], results[i].error());
    for (const auto& [scheduler, loadError] : loadFailures) {
      if (isServiceDefinition(ops[i].kind) && ops[i].service.scheduler == scheduler && error.sysErrno == ENOENT) {
        error.message += ": module ip_vs_" + scheduler + " could not be loaded: " + loadError.message;
      }
    }
    results[i] = fail(std::move(error));
  }
  return results;
}

std::vector<std::pair<std::string, Error>> IpvsDatapath::retryUnknownSchedulers(std::span<const DatapathOp> ops,
                                                                                std::vector<Result<void>>& results) {
  std::vector<std::pair<std::string, Error>> loadFailures;
  std::map<std::string, bool> loaded;  // scheduler -> module now loaded
  std::vector<std::size_t> replay;
  std::set<ServiceKey> replaying;  // keys whose failed ops are replayed, until one succeeded
  std::set<ServiceKey> closed;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const ServiceKey& key = ops[i].service.key;
    const bool failed = !results[i];
    if (!failed) {
      // A success on this key after the failure means later ops saw a state we must not rewrite.
      if (replaying.count(key) != 0) {
        replaying.erase(key);
        closed.insert(key);
      }
      continue;
    }
    const bool unknownScheduler = isServiceDefinition(ops[i].kind) && results[i].error().sysErrno == ENOENT;
    if (unknownScheduler && replaying.count(key) == 0 && closed.count(key) == 0) {
      const std::string& scheduler = ops[i].service.scheduler;
      if (!loaded.count(scheduler)) {
        Result<void> outcome = options_.loadModule ? options_.loadModule("ip_vs_" + scheduler)
                                                   : fail(Errc::Unsupported, "no module loader was given");
        loaded[scheduler] = outcome.has_value();
        if (!outcome) loadFailures.emplace_back(scheduler, outcome.error());
      }
      if (loaded[scheduler]) replaying.insert(key);
    }
    if (replaying.count(key) != 0) replay.push_back(i);
  }
  if (!replay.empty()) send(ops, replay, results);
  return loadFailures;
}

template <class T>
Result<T> IpvsDatapath::requestOne(netlink::Message message, std::string_view what,
                                   const std::function<Result<T>(const netlink::MessageView&)>& decode) {
  std::optional<T> value;
  auto status = socket_.request(std::move(message), [&](const netlink::MessageView& reply) -> Result<void> {
    auto decoded = decode(reply);
    if (!decoded) return passOn(decoded);
    value = std::move(*decoded);
    return {};
  });
  if (!status) return fail(describeRequestError(status.error(), what));
  if (!value) return fail(Errc::Malformed, std::string(what) + ": the kernel sent no reply before its ACK");
  return std::move(*value);
}

Result<std::vector<ServiceEntry>> IpvsDatapath::listServiceEntries() {
  auto dump = socket_.dump(dumpServicesRequest(family_));
  if (!dump) return fail(describeRequestError(dump.error(), "list IPVS virtual servers"));
  std::vector<ServiceEntry> entries;
  entries.reserve(dump->messages.size());
  for (const auto& message : dump->messages) {
    auto entry = decodeService(message);
    if (!entry) return passOn(entry, "list IPVS virtual servers");
    entries.push_back(std::move(*entry));
  }
  return entries;
}

Result<std::vector<VirtualServer>> IpvsDatapath::listVirtualServers() {
  auto entries = listServiceEntries();
  if (!entries) return passOn(entries);
  std::vector<VirtualServer> servers;
  servers.reserve(entries->size());
  for (auto& entry : *entries) {
    if (entry.fwmark == 0) servers.push_back(std::move(entry.server));
  }
  return servers;
}

Result<VirtualServer> IpvsDatapath::getVirtualServer(const ServiceKey& key) {
  const std::string what = "get virtual server " + key.toString();
  auto entry = requestOne<ServiceEntry>(getServiceRequest(family_, key), what, decodeService);
  if (!entry) {
    if (entry.error().sysErrno == ESRCH) {
      return fail(Errc::NotFound, "no virtual server " + key.toString(), ESRCH);
    }
    return passOn(entry);
  }
  return std::move(entry->server);
}

Result<std::vector<RealServerStatus>> IpvsDatapath::listRealServers(const ServiceKey& key) {
  const std::string what = "list real servers of " + key.toString();
  auto dump = socket_.dump(dumpDestsRequest(family_, key));
  if (!dump) return fail(describeRequestError(dump.error(), what));
  std::vector<RealServerStatus> servers;
  servers.reserve(dump->messages.size());
  for (const auto& message : dump->messages) {
    auto status = decodeDest(message, key.endpoint.address.family);
    if (!status) return passOn(status, what);
    servers.push_back(std::move(*status));
  }
  // The kernel answers a dump for a missing service with nothing at all: tell that from "no real
  // servers" by asking for the service.
  if (servers.empty()) {
    auto service = getVirtualServer(key);
    if (!service) return passOn(service);
  }
  return servers;
}

Result<VirtualServerState> IpvsDatapath::readVirtualServer(const ServiceKey& key) {
  if (!readQuery_ || readQuery_->first != key) readQuery_.emplace(key, readServiceQueries(family_, key));
  for (int attempt = 0; attempt < 3; ++attempt) {
    VirtualServerState state;
    auto answers =
        socket_.query(readQuery_->second, [&](std::size_t index, const netlink::MessageView& reply) -> Result<void> {
          if (index == kReadService) {
            auto entry = decodeService(reply);
            if (!entry) return passOn(entry);
            state.exists = true;
            state.service = std::move(entry->server);
            return {};
          }
          auto dest = decodeDest(reply, key.endpoint.address.family);
          if (!dest) return passOn(dest);
          state.reals.push_back(std::move(*dest));
          return {};
        });
    if (!answers) return fail(describeRequestError(answers.error(), "read virtual server " + key.toString()));
    if (answers->interrupted) continue;  // a change between the dump's parts: read it all again
    if (const auto& service = answers->results[kReadService]; !service) {
      // Its destinations' dump then answered nothing at all: the kernel has no such service.
      if (service.error().sysErrno == ESRCH) return VirtualServerState{};
      return fail(describeRequestError(service.error(), "get virtual server " + key.toString()));
    }
    if (const auto& dests = answers->results[kReadDests]; !dests)
      return fail(describeRequestError(dests.error(), "list real servers of " + key.toString()));
    if (!state.exists) return fail(Errc::Malformed, "get virtual server " + key.toString() + ": no reply");
    return state;
  }
  return fail(Errc::Kernel, "read virtual server " + key.toString() + ": kept being interrupted by concurrent changes");
}

Result<void> IpvsDatapath::flush() {
  auto status = socket_.request(flushRequest(family_));
  if (!status) return fail(describeRequestError(status.error(), "flush IPVS"));
  return {};
}

Result<Timeouts> IpvsDatapath::timeouts() {
  return requestOne<Timeouts>(getConfigRequest(family_), "get IPVS timeouts", decodeTimeouts);
}

Result<Info> IpvsDatapath::info() { return requestOne<Info>(getInfoRequest(family_), "get IPVS info", decodeInfo); }

}  // namespace lvscare::ipvs
