// IpvsDatapath: the Datapath interface over the kernel's IPVS generic-netlink family. Changes are
// pipelined (many requests in flight before their ACKs); listings are dumps. Not thread-safe: one
// owner (the care loop) drives it.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "ipvs/ipvs_codec.hpp"
#include "lvscare/datapath.hpp"
#include "lvscare/kernel_module.hpp"
#include "netlink/socket.hpp"

namespace lvscare::ipvs {

struct IpvsOptions {
  // Used when the kernel has no IPVS family (loads "ip_vs") or rejects a scheduler as unknown
  // (loads "ip_vs_<scheduler>", then retries once). Empty: nothing is loaded, errors say what is missing.
  ModuleLoader loadModule;
  std::chrono::milliseconds timeout{5000};  // per wait for the kernel
  std::size_t pipelineWindow = 0;           // requests in flight; 0 keeps the socket's default
};

class IpvsDatapath final : public Datapath {
 public:
  // Opens a generic netlink socket and resolves the IPVS family, loading ip_vs if needed.
  // Errc::Unsupported with "the kernel has no IPVS: ..." when it cannot.
  static Result<std::unique_ptr<IpvsDatapath>> open(IpvsOptions options = {});

  std::string_view name() const override { return "ipvs"; }
  std::vector<Result<void>> apply(std::span<const DatapathOp> ops) override;
  Result<std::vector<VirtualServer>> listVirtualServers() override;  // firewall-mark services are skipped
  Result<VirtualServer> getVirtualServer(const ServiceKey& key) override;
  Result<std::vector<RealServerStatus>> listRealServers(const ServiceKey& key) override;
  // Both in one datagram and one stretch of receiving (the care loop's poll, four times a second:
  // IPVS announces nothing). The request is encoded once per key and kept.
  Result<VirtualServerState> readVirtualServer(const ServiceKey& key) override;
  Result<void> flush() override;

  // IPVS-specific extras.
  Result<std::vector<ServiceEntry>> listServiceEntries();  // with counters and firewall-mark services
  Result<Timeouts> timeouts();                             // ipvsadm -l --timeout
  Result<Info> info();                                     // version, connection table size
  std::uint16_t familyId() const { return family_; }

 private:
  IpvsDatapath(netlink::Socket socket, std::uint16_t family, IpvsOptions options);
  // Sends `indices` of `ops` (already known to encode) in one pipeline, storing into `results`.
  void send(std::span<const DatapathOp> ops, const std::vector<std::size_t>& indices,
            std::vector<Result<void>>& results);
  // After a pipeline: loads the modules of schedulers the kernel did not know and replays the ops
  // that failed because of it. Returns the load failure per scheduler for the error messages.
  std::vector<std::pair<std::string, Error>> retryUnknownSchedulers(std::span<const DatapathOp> ops,
                                                                    std::vector<Result<void>>& results);
  template <class T>
  Result<T> requestOne(netlink::Message message, std::string_view what,
                       const std::function<Result<T>(const netlink::MessageView&)>& decode);

  netlink::Socket socket_;
  std::uint16_t family_;
  IpvsOptions options_;
  std::optional<std::pair<ServiceKey, std::array<netlink::Query, 2>>> readQuery_;  // readVirtualServer's
};

// A kernel error for `op` in words: EPERM names the capability, ESRCH/ENOENT the missing object,
// EEXIST the existing one; the kernel's own text (and extended ACK) follows in parentheses.
Error describeOpError(const DatapathOp& op, const Error& error);

}  // namespace lvscare::ipvs
