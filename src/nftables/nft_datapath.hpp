// Datapath on nftables: one table of our own per virtual server (lb_ruleset.hpp), programmed over
// nfnetlink with no nft binary and no libnftables. Every apply() is one atomic transaction that
// rewrites the affected tables: in place when the table is intact (lb rule, map and changed backend
// chains; the hooked chains stay), else whole (add-if-missing + delete + create). No packet ever
// meets a half-written map. State is read back from the kernel on every call: a restart adopts the rules as
// they are, and anything of ours damaged by someone else reads as absent, so the care loop re-adds it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "lvscare/datapath.hpp"
#include "netlink/socket.hpp"
#include "nftables/client.hpp"
#include "nftables/lb_ruleset.hpp"

namespace lvscare::nftables {

class NftDatapath final : public Datapath {
 public:
  // Opens the NETLINK_NETFILTER socket in the calling thread's network namespace.
  static Result<std::unique_ptr<NftDatapath>> open();

  std::string_view name() const override { return "nftables"; }
  std::vector<Result<void>> apply(std::span<const DatapathOp> ops) override;
  Result<std::vector<VirtualServer>> listVirtualServers() override;
  Result<VirtualServer> getVirtualServer(const ServiceKey& key) override;
  // stats.connections: new connections sent to the backend by this table (its DNAT rule's counter).
  Result<std::vector<RealServerStatus>> listRealServers(const ServiceKey& key) override;
  Result<void> flush() override;

  // Whether conntrack entries of removed backends are deleted (default on). Reported by the last
  // apply(): how many entries it deleted, and the error if deleting them failed (the ruleset
  // change itself had succeeded then).
  void setConntrackCleanup(bool enabled) { conntrackCleanup_ = enabled; }
  std::size_t lastConntrackDeleted() const { return lastConntrackDeleted_; }
  const std::optional<Error>& lastConntrackError() const { return lastConntrackError_; }

 private:
  explicit NftDatapath(netlink::Socket socket) : socket_(std::move(socket)) {}

  // What the kernel holds: intact tables decoded, and the names of every table that is ours by
  // name (intact or damaged) so a rewrite can delete it first.
  struct OurTables {
    std::map<ServiceKey, LbReading> services;
    std::set<ServiceKey> tables;
    std::map<ServiceKey, Error> foreign;  // named like ours, without our mark (ownership.hpp)
  };
  Result<OurTables> readAll();
  Result<OurTables> readSome(const std::set<ServiceKey>& keys);
  // One virtual server's table before and after the ops.
  struct TableChange {
    ServiceKey key;
    const LbService* before = nullptr;  // intact in the kernel; null: absent or damaged
    const LbService* after = nullptr;   // null: to be deleted
    bool tablePresent = false;          // a table of that name exists, intact or not
    ConnectionCounts counts;            // counters to carry over
  };
  Result<void> commitChanges(const std::vector<TableChange>& changes, bool inPlace);
  Result<void> decodeInto(OurTables& state, const ServiceKey& key, const TableDump& dump);

  netlink::Socket socket_;
  bool conntrackCleanup_ = true;
  std::size_t lastConntrackDeleted_ = 0;
  std::optional<Error> lastConntrackError_;
};

}  // namespace lvscare::nftables
