#include "nftables/ownership.hpp"

#include <linux/netfilter.h>

#include <string_view>

namespace lvscare::nftables {
namespace {

constexpr std::string_view kMark = "lvscare ";

std::string_view familyName(std::uint8_t family) {
  switch (family) {
    case NFPROTO_IPV4: return "ip";
    case NFPROTO_IPV6: return "ip6";
    case NFPROTO_INET: return "inet";
    default: return "family?";
  }
}

}  // namespace

bool carriesOurMark(const TableInfo& table) { return table.comment && table.comment->starts_with(kMark); }

Error foreignTable(const TableInfo& table) {
  return Error{Errc::Foreign, 0,
               "nftables table " + std::string(familyName(table.family)) + " " + table.name +
                   " has lvscare's name but not its mark (a comment starting 'lvscare '): not ours, left "
                   "untouched; remove or rename it, or use another VIP"};
}

}  // namespace lvscare::nftables
