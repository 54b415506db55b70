// Taking over a node where Go LVScare ran in link mode. Its iptables chains, jump rules, mark rule,
// canary chains and the ipset VIRTUAL-IP stay behind when the image is swapped; they do not stop
// our rules from working, but they are clutter an admin should know about:
//   - at start-up (any mode) one line says what was found (nothing is changed);
//   - -C removes them when that touches nothing else: only LVScare's own chains, the rules that
//     jump to them with LVScare's comments, its mark rule and the set. A rule of someone else
//     that jumps to one of the chains, or a set still in use, leaves them in place with a line
//     saying why. With iptables-legacy (x_tables, not readable over nfnetlink) the line gives the
//     exact commands to run instead.
#pragma once

#include <string>

namespace lvscare::care {

// LVScare's mark for --masqueradebit `bit`, written as LVScare writes it ("0x00000001").
std::string goLvscareMark(int bit);

// The commands that remove Go LVScare's link-mode objects with iptables-legacy and ipset.
std::string legacyRemovalCommands(int masqueradeBit);

// Start-up: one line when anything of Go LVScare's is found (a debug line otherwise).
void reportGoLvscareLeftovers(int masqueradeBit);

// -C: removes what can be removed without touching anything else and says so in one line.
// Never fails -C: what stays is reported with the reason.
void removeGoLvscareLeftovers(int masqueradeBit);

}  // namespace lvscare::care
