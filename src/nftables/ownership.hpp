// Which tables named like ours are ours. lvscare_tcp_<VIP>_<port> and lvscare_masq_<VIP> are
// ours only when they carry our mark: a table comment starting with "lvscare " (every table lvscare
// creates has one, and nft cannot change a table's comment once it exists). A table of that name
// without the mark belongs to someone else, an admin's or another tool's: it is never deleted,
// replaced or changed; the operation that would have touched it fails with Errc::Foreign instead.
// A table of ours that was altered (a rule deleted, a chain added) keeps the mark and is repaired.
#pragma once

#include "lvscare/result.hpp"
#include "nftables/objects.hpp"

namespace lvscare::nftables {

bool carriesOurMark(const TableInfo& table);
// Errc::Foreign, one line naming the table and what to do about it.
Error foreignTable(const TableInfo& table);

}  // namespace lvscare::nftables
