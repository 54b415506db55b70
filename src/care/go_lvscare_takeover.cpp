#include "care/go_lvscare_takeover.hpp"

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <thread>

#include "host/file_io.hpp"
#include "lvscare/log.hpp"
#include "nftables/go_lvscare_client.hpp"

namespace lvscare::care {
namespace {

using nftables::GoLvscareClient;
using nftables::GoLvscareObjects;
using nftables::kGoLvscareSet;

// Without the ip_set module there can be no set, and asking would load the module.
constexpr const char* kIpsetModule = "/sys/module/ip_set";
// x_tables tables of this network namespace that iptables-legacy uses.
constexpr const char* kLegacyTables = "/proc/net/ip_tables_names";

struct Findings {
  std::optional<GoLvscareClient> client;
  GoLvscareObjects nft;
  std::optional<nftables::ipset::SetHeader> set;
  bool legacyNat = false;  // iptables-legacy has a nat table here
  std::string unreadable;  // why something could not be read, if so
  bool any() const { return !nft.empty() || set.has_value(); }
};

void noteError(Findings& findings, std::string_view what, const Error& error) {
  // Errc::Unsupported / NotFound: the kernel has no such subsystem, so nothing of LVScare's.
  if (error.code == Errc::Unsupported || error.code == Errc::NotFound) return;
  if (!findings.unreadable.empty()) findings.unreadable += "; ";
  findings.unreadable += std::string(what) + ": " + error.describe();
}

Findings scan() {
  Findings findings;
  auto client = GoLvscareClient::open();
  if (!client) {
    noteError(findings, "nfnetlink", client.error());
    return findings;
  }
  findings.client.emplace(std::move(*client));
  if (auto objects = findings.client->findObjects()) findings.nft = std::move(*objects);
  else noteError(findings, "iptables-nft tables", objects.error());
  if (host::pathExists(kIpsetModule)) {
    auto protocol = findings.client->checkIpsetProtocol();
    auto set = protocol ? findings.client->findSet(kGoLvscareSet)
                        : Result<std::optional<nftables::ipset::SetHeader>>(passOn(protocol));
    if (set) findings.set = std::move(*set);
    else noteError(findings, "ipset", set.error());
  }
  if (auto legacy = host::readFile(kLegacyTables)) findings.legacyNat = legacy->find("nat") != std::string::npos;
  return findings;
}

std::string setSummary(const nftables::ipset::SetHeader& set) {
  std::string used;
  if (set.references) used = fmt::format(", {} reference{}", *set.references, *set.references == 1 ? "" : "s");
  return fmt::format("ipset {} ({}{})", set.name, set.type, used);
}

std::string summary(const Findings& findings) {
  std::string out = findings.nft.summary();
  if (findings.set) out += (out.empty() ? "" : "; ") + setSummary(*findings.set);
  return out;
}

// The set without LVScare's chains in nftables, with legacy x_tables nat present: its rules are
// most likely in iptables-legacy, which nfnetlink cannot read.
bool legacySuspected(const Findings& findings) { return findings.nft.empty() && findings.set && findings.legacyNat; }

}  // namespace

std::string goLvscareMark(int bit) { return fmt::format("{:#010x}", 1u << bit); }

std::string legacyRemovalCommands(int masqueradeBit) {
  const std::string ipt = "iptables-legacy";
  return fmt::format(
      "{0} -t nat -D OUTPUT -m comment --comment \"virtual service portals\" -j VIRTUAL-SERVICES; "
      "{0} -t nat -D PREROUTING -m comment --comment \"virtual service portals\" -j VIRTUAL-SERVICES; "
      "{0} -t nat -D POSTROUTING -m comment --comment \"virtual service postrouting rules\" -j VIRTUAL-POSTROUTING; "
      "{0} -t filter -D OUTPUT -m comment --comment \"accept for all marked by lvscare\" -m mark --mark {1} -j ACCEPT; "
      "for c in VIRTUAL-SERVICES VIRTUAL-POSTROUTING VIRTUAL-MARK-MASQ VIRTUAL-CANARY; do {0} -t nat -F $c; "
      "{0} -t nat -X $c; done; {0} -t filter -X VIRTUAL-CANARY; ipset destroy VIRTUAL-IP",
      ipt, goLvscareMark(masqueradeBit));
}

void reportGoLvscareLeftovers(int masqueradeBit) {
  const Findings findings = scan();
  if (!findings.unreadable.empty())
    logf(LogLevel::Debug, "go-lvscare check incomplete error={}", logValue(findings.unreadable));
  if (!findings.any()) {
    logf(LogLevel::Debug, "go-lvscare nothing left by Go LVScare's link mode");
    return;
  }
  if (legacySuspected(findings)) {
    logf(LogLevel::Warn, "go-lvscare found={} note={} commands={}", logValue(summary(findings)),
         logValue("its rules are likely in iptables-legacy, which lvscare does not change"),
         logValue(legacyRemovalCommands(masqueradeBit)));
    return;
  }
  logf(LogLevel::Warn, "go-lvscare found={} note={}", logValue(summary(findings)),
       logValue("left by Go LVScare's link mode, unused by lvscare; -C removes them"));
}

void removeGoLvscareLeftovers(int masqueradeBit) {
  Findings findings = scan();
  if (!findings.any()) {
    if (!findings.unreadable.empty())
      logf(LogLevel::Warn, "go-lvscare check incomplete error={}", logValue(findings.unreadable));
    return;
  }
  std::string removed, kept;
  const auto add = [](std::string& into, const std::string& what) { into += (into.empty() ? "" : "; ") + what; };
  bool rulesRemoved = false;
  if (!findings.nft.empty()) {
    if (auto done = findings.client->removeObjects(findings.nft)) {
      add(removed, findings.nft.summary());
      rulesRemoved = true;
    } else {
      add(kept, findings.nft.summary() + " (" + done.error().describe() + ")");
    }
  }
  if (findings.set && legacySuspected(findings)) {
    add(kept, setSummary(*findings.set) +
                  " (used by iptables-legacy rules; run: " + legacyRemovalCommands(masqueradeBit) + ")");
  } else if (findings.set) {
    // A deleted rule's hold on the set is released by the kernel shortly after the commit: wait
    // up to a second for that, and not at all when no rule was deleted.
    Result<void> destroyed;
    const int attempts = rulesRemoved ? 50 : 1;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      destroyed = findings.client->destroySet(kGoLvscareSet);
      if (destroyed || !nftables::ipset::inUse(destroyed.error())) break;
    }
    if (destroyed || destroyed.error().code == Errc::NotFound) add(removed, setSummary(*findings.set));
    else
      add(kept, setSummary(*findings.set) + " (" +
                    (nftables::ipset::inUse(destroyed.error()) ? std::string("still used by a rule")
                                                               : destroyed.error().describe()) +
                    ")");
  }
  if (kept.empty()) logf(LogLevel::Info, "go-lvscare removed={}", logValue(removed));
  else
    logf(LogLevel::Warn, "go-lvscare removed={} kept={}", logValue(removed.empty() ? "nothing" : removed),
         logValue(kept));
}

}  // namespace lvscare::care
