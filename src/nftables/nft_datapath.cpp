#include "nftables/nft_datapath.hpp"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "lvscare/log.hpp"
#include "nftables/client.hpp"
#include "nftables/conntrack.hpp"
#include "nftables/lb_model.hpp"
#include "nftables/ownership.hpp"

namespace lvscare::nftables {
namespace {

// Up to this many affected services are read one by one (two round trips each); more, and one dump
// of every table and rule is cheaper.
constexpr std::size_t kFewServices = 8;

TableInfo tableFor(const ServiceKey& key) {
  return TableInfo{nfFamily(key.endpoint.address.family), lbTableName(key), 0, 0, {}};
}

std::vector<Result<void>> failAll(std::size_t count, const Error& error) {
  return std::vector<Result<void>>(count, fail(error));
}

}  // namespace

Result<std::unique_ptr<NftDatapath>> NftDatapath::open() {
  auto socket = netlink::Socket::open(NETLINK_NETFILTER);
  if (!socket) return passOn(socket);
  return std::unique_ptr<NftDatapath>(new NftDatapath(std::move(*socket)));
}

Result<void> NftDatapath::decodeInto(OurTables& state, const ServiceKey& key, const TableDump& dump) {
  if (!carriesOurMark(dump.table)) {
    state.foreign.emplace(key, foreignTable(dump.table));
    return {};
  }
  auto reading = decodeLbTable(dump.table, dump.rules);
  if (!reading) {
    // Damaged by someone else: it reads as absent, and the next add of it replaces it.
    logf(LogLevel::Debug, "nftables table damaged name={} why={}", dump.table.name, logValue(reading.error().message));
    return {};
  }
  state.services.emplace(key, std::move(*reading));
  return {};
}

Result<NftDatapath::OurTables> NftDatapath::readAll() {
  // Two dumps whatever the number of tables: every table, then every rule (a dump per table would
  // be a round trip each).
  OurTables state;
  auto tables = readTables(socket_, NFPROTO_UNSPEC);
  if (!tables) return passOn(tables);
  std::map<std::pair<std::uint8_t, std::string>, std::pair<ServiceKey, TableDump>> ours;
  for (auto& table : *tables) {
    const auto key = parseLbTableName(table.family, table.name);
    if (!key) continue;
    state.tables.insert(*key);
    auto name = std::make_pair(table.family, table.name);
    TableDump dump;
    dump.table = std::move(table);
    ours.emplace(std::move(name), std::make_pair(*key, std::move(dump)));
  }
  if (ours.empty()) return state;
  auto rules = socket_.dump(dumpRules(NFPROTO_UNSPEC, {}));
  if (!rules) return passOn(rules);
  for (const auto& message : rules->messages) {
    auto rule = parseRule(message);
    if (!rule) return passOn(rule);
    const auto found = ours.find(std::make_pair(rule->family, rule->table));
    if (found != ours.end()) found->second.second.rules.push_back(std::move(*rule));
  }
  for (const auto& [name, entry] : ours) {
    auto decoded = decodeInto(state, entry.first, entry.second);
    if (!decoded) return passOn(decoded);
  }
  return state;
}

Result<NftDatapath::OurTables> NftDatapath::readSome(const std::set<ServiceKey>& keys) {
  if (keys.size() > kFewServices) return readAll();
  OurTables state;
  for (const auto& key : keys) {
    auto dump = nftables::readTable(socket_, nfFamily(key.endpoint.address.family), lbTableName(key));
    if (!dump) return passOn(dump);
    if (!*dump) continue;
    state.tables.insert(key);
    auto decoded = decodeInto(state, key, **dump);
    if (!decoded) return passOn(decoded);
  }
  return state;
}

std::vector<Result<void>> NftDatapath::apply(std::span<const DatapathOp> ops) {
  lastConntrackDeleted_ = 0;
  lastConntrackError_.reset();
  std::set<ServiceKey> keys;
  for (const auto& op : ops) keys.insert(op.service.key);
  auto kernel = readSome(keys);
  if (!kernel) return failAll(ops.size(), withContext(kernel.error(), "read nftables state"));

  LbState before;
  for (const auto& [key, reading] : kernel->services) {
    if (keys.contains(key)) before.set(reading.lb);
  }
  LbState after = before;
  std::vector<Result<void>> results;
  results.reserve(ops.size());
  for (const auto& op : ops) {
    const auto foreign = kernel->foreign.find(op.service.key);
    results.push_back(foreign == kernel->foreign.end() ? applyOp(after, op) : Result<void>(fail(foreign->second)));
  }

  std::vector<TableChange> changes;
  for (const auto& key : keys) {
    if (kernel->foreign.contains(key)) continue;  // never touched
    TableChange change{key, before.find(key), after.find(key), kernel->tables.contains(key), {}};
    if (change.before == nullptr && change.after == nullptr) continue;
    if (change.before != nullptr && change.after != nullptr && *change.before == *change.after) continue;
    if (const auto reading = kernel->services.find(key); reading != kernel->services.end()) {
      for (std::size_t i = 0; i < reading->second.lb.reals.size(); ++i) {
        change.counts[reading->second.lb.reals[i].endpoint] = reading->second.counters[i];
      }
    }
    changes.push_back(std::move(change));
  }
  if (changes.empty()) return results;

  auto committed = commitChanges(changes, true);
  if (!committed) {
    // An in-place update assumes the table is as we read it; if someone changed it meanwhile,
    // replacing the tables whole still gives the intended result.
    committed = commitChanges(changes, false);
  }
  if (!committed) {
    for (auto& result : results) {
      if (result) result = passOn(committed);
    }
    return results;
  }
  if (conntrackCleanup_) {
    // After the commit: no new connection can pick these backends any more.
    std::vector<RemovedBackends> removed;
    for (const auto& change : changes) {
      if (change.before != nullptr)
        removed.push_back(RemovedBackends{change.key, removedBackends(*change.before, change.after)});
    }
    auto deleted = deleteConntrackEntries(socket_, removed);
    if (deleted) {
      lastConntrackDeleted_ = *deleted;
    } else {
      logf(LogLevel::Debug, "nftables conntrack cleanup failed error={}", logValue(deleted.error().message));
      lastConntrackError_ = deleted.error();
    }
  }
  return results;
}

Result<void> NftDatapath::commitChanges(const std::vector<TableChange>& changes, bool inPlace) {
  std::vector<netlink::Message> messages;
  std::uint32_t setId = 0;
  for (const auto& change : changes) {
    std::vector<netlink::Message> part;
    if (inPlace && change.before != nullptr && change.after != nullptr &&
        change.before->service == change.after->service) {
      part = buildLbUpdate(*change.before, *change.after, ++setId, change.counts);
    } else {
      const TableInfo table = tableFor(change.key);
      if (change.tablePresent) {
        // Created first when absent, so the delete cannot fail on a race with someone else's delete.
        messages.push_back(newTable(TableSpec{table.family, table.name, {}, 0}));
        messages.push_back(deleteTable(table.family, table.name));
      }
      if (change.after != nullptr) part = buildLbTable(*change.after, ++setId, change.counts);
    }
    for (auto& message : part) messages.push_back(std::move(message));
  }
  return commit(socket_, messages, "nftables transaction");
}

Result<std::vector<VirtualServer>> NftDatapath::listVirtualServers() {
  auto kernel = readAll();
  if (!kernel) return passOn(kernel);
  std::vector<VirtualServer> out;
  out.reserve(kernel->services.size());
  for (const auto& [key, reading] : kernel->services) out.push_back(reading.lb.service);
  return out;
}

Result<VirtualServer> NftDatapath::getVirtualServer(const ServiceKey& key) {
  auto kernel = readSome({key});
  if (!kernel) return passOn(kernel);
  if (const auto foreign = kernel->foreign.find(key); foreign != kernel->foreign.end()) return fail(foreign->second);
  const auto found = kernel->services.find(key);
  if (found == kernel->services.end()) return absentService(key);
  return found->second.lb.service;
}

Result<std::vector<RealServerStatus>> NftDatapath::listRealServers(const ServiceKey& key) {
  auto kernel = readSome({key});
  if (!kernel) return passOn(kernel);
  if (const auto foreign = kernel->foreign.find(key); foreign != kernel->foreign.end()) return fail(foreign->second);
  const auto found = kernel->services.find(key);
  if (found == kernel->services.end()) return absentService(key);
  const auto& reading = found->second;
  std::vector<RealServerStatus> out;
  out.reserve(reading.lb.reals.size());
  for (std::size_t i = 0; i < reading.lb.reals.size(); ++i) {
    RealServerStatus status;
    status.server = reading.lb.reals[i];
    status.stats.connections = reading.counters[i].packets;
    out.push_back(status);
  }
  return out;
}

Result<void> NftDatapath::flush() {
  auto tables = readTables(socket_, NFPROTO_UNSPEC);
  if (!tables) return passOn(tables);
  std::vector<netlink::Message> messages;
  for (const auto& table : *tables) {
    if (parseLbTableName(table.family, table.name) && carriesOurMark(table))
      messages.push_back(deleteTable(table.family, table.name));
  }
  return commit(socket_, messages, "flush our nftables tables");
}

}  // namespace lvscare::nftables
