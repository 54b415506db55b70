// The iptables-legacy fallback of the Go LVScare takeover: the mark as Go LVScare writes it and the
// exact commands printed when its rules are out of nfnetlink's reach.
#include "care/go_lvscare_takeover.hpp"

#include <gtest/gtest.h>

namespace lvscare::care {
namespace {

TEST(GoLvscareTakeoverTest, MarkIsWrittenAsGoLvscareWritesIt) {
  EXPECT_EQ(goLvscareMark(0), "0x00000001");  // fmt.Sprintf("%#08x", 1<<bit)
  EXPECT_EQ(goLvscareMark(14), "0x00004000");
  EXPECT_EQ(goLvscareMark(31), "0x80000000");
}

TEST(GoLvscareTakeoverTest, LegacyCommandsUndoEveryObjectOfLinkMode) {
  const std::string commands = legacyRemovalCommands(14);
  for (const char* part :
       {"iptables-legacy -t nat -D OUTPUT -m comment --comment \"virtual service portals\" -j VIRTUAL-SERVICES",
        "iptables-legacy -t nat -D PREROUTING -m comment --comment \"virtual service portals\" -j VIRTUAL-SERVICES",
        "iptables-legacy -t nat -D POSTROUTING -m comment --comment \"virtual service postrouting rules\" -j "
        "VIRTUAL-POSTROUTING",
        "iptables-legacy -t filter -D OUTPUT -m comment --comment \"accept for all marked by lvscare\" -m mark --mark "
        "0x00004000 -j ACCEPT",
        "for c in VIRTUAL-SERVICES VIRTUAL-POSTROUTING VIRTUAL-MARK-MASQ VIRTUAL-CANARY;",
        "iptables-legacy -t filter -X VIRTUAL-CANARY", "ipset destroy VIRTUAL-IP"}) {
    EXPECT_NE(commands.find(part), std::string::npos) << part;
  }
}

}  // namespace
}  // namespace lvscare::care
