// The host rules link mode needs: masquerade of connections to a VIP, so replies from a backend on
// another host come back through this one (the client's source there is the VIP itself, which
// every master also holds). One table of our own per VIP, shared by the IPVS and nftables
// datapaths. LVScare did this with iptables `-m mark` and an ipset; here a masked mark match:
//
//   table ip lvscare_masq_169.254.0.1 {
//     comment "lvscare masquerade 169.254.0.1 markbit 14"
//     chain mark_prerouting { type nat hook prerouting priority -110;
//                             ip daddr 169.254.0.1 meta mark set meta mark | 0x00004000 }
//     chain mark_output     { type nat hook output priority -110;
//                             ip daddr 169.254.0.1 meta mark set meta mark | 0x00004000 }
//     chain masq_postrouting { type nat hook postrouting priority 100;
//                             meta mark & 0x00004000 == 0x00004000 masquerade }
//   }
//
// The marking chains are nat chains at priority -110, so they see the first packet of each new
// connection before any DNAT (ours at -100, IPVS's output hook at -99) rewrites the VIP; NAT
// decisions are made per connection, so marking the first packet is all masquerade needs (the
// same split kube-proxy uses: mark in the nat table, masquerade in postrouting).
#pragma once

#include <optional>
#include <span>
#include <string>

#include "lvscare/endpoint.hpp"
#include "nftables/objects.hpp"

namespace lvscare::nftables {

struct MasqueradeSpec {
  IpAddress vip;
  unsigned markBit = 0;  // 0..31, LVScare's --masqueradebit

  bool operator==(const MasqueradeSpec&) const = default;
};

Result<void> validateMasquerade(const MasqueradeSpec& spec);
std::string masqTableName(const IpAddress& vip);                  // lvscare_masq_169.254.0.1, lvscare_masq_fd00--1
std::vector<Message> buildMasqTable(const MasqueradeSpec& spec);  // the table must not exist
std::string renderMasqNft(const MasqueradeSpec& spec);
// Errc::Malformed when the table is not ours or anything in it was altered.
Result<MasqueradeSpec> decodeMasqTable(const TableInfo& table, std::span<const RuleInfo> rules);

}  // namespace lvscare::nftables
