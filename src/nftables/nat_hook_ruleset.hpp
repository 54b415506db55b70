// The NAT hook lvscare keeps where it makes IPVS connections tracked (net.ipv4.vs.conntrack=1, for
// passive detection) and nothing else has registered NAT: one table of ours per VIP with one empty
// nat chain, which rewrites nothing.
//
//   table ip lvscare_nathook_10.103.97.2 {
//     comment "lvscare nat hook 10.103.97.2"
//     chain postrouting { type nat hook postrouting priority 100; policy accept; }
//   }
//
// Why: IPVS writes the real server into a tracked connection's reply tuple, so a client's
// connection through the VIP from the node's address and port P to master M has the reply tuple
// "M -> node:P", and so has a direct connection from node:P to M (a health check, a canary). The
// second of the two to open collides with the first's entry, which lives on for minutes after a
// close, and without NAT conntrack can only drop its SYNs (insert_failed): a check that times out
// or a client's connect that does. With a NAT hook registered, conntrack gives every new connection
// a null binding and moves a colliding one to another source port instead, as it does on any node
// where kube-proxy or a CNI has NAT rules. Seen in the test VM: 14 SYNs dropped in 12 crash trials
// of bench/care_failover_load.sh, none with the hook.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "lvscare/endpoint.hpp"
#include "nftables/objects.hpp"

namespace lvscare::nftables {

std::string natHookTableName(const IpAddress& vip);            // lvscare_nathook_10.103.97.2, lvscare_nathook_fd00--1
std::vector<Message> buildNatHookTable(const IpAddress& vip);  // the table must not exist
// True when the table is the VIP's NAT hook as built: our comment, the one chain, no rules.
bool isIntactNatHookTable(const IpAddress& vip, const TableInfo& table, std::span<const ChainInfo> chains,
                          std::span<const RuleInfo> rules);

}  // namespace lvscare::nftables
