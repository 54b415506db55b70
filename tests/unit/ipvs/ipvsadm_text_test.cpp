// The ipvsadm output parser the VM tests rely on, against output captured from ipvsadm 1.31 on
// Debian's 6.1 kernel: if it misread ipvsadm, the VM cross-checks would prove nothing.
#include <gtest/gtest.h>

#include "support/ipvsadm_text.hpp"

namespace lvscare::testing {
namespace {

constexpr std::string_view kSave = R"(-A -t 10.0.0.1:80 -s wrr -p 300 -M 255.255.255.0
-a -t 10.0.0.1:80 -r [fd00::9]:80 -i -w 1 --tun-type ipip
-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 5
-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 0
-A -u 10.0.0.1:53 -s sh -o -b sh-fallback,sh-port
-A --sctp-service 10.0.0.1:90 -s mh -b mh-port
-A -t [fd00::1]:443 -s lblcr -p 60 -M 64
-a -t [fd00::1]:443 -r [fd00::2]:443 -m -w 1
)";

constexpr std::string_view kList = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.0.0.1:80 wrr persistent 300 mask 255.255.255.0
  -> [fd00::9]:80                 Tunnel  1      0          0         
  -> 10.0.0.2:80                  Masq    5      0          0         
  -> 10.0.0.3:80                  Route   0      0          0         
UDP  10.0.0.1:53 sh (sh-fallback,sh-port) ops
SCTP 10.0.0.1:90 mh (mh-port)
TCP  [fd00::1]:443 lblcr persistent 60 mask 64
  -> [fd00::2]:443                Masq    1      0          0         
)";

constexpr std::string_view kThresholds = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  10.0.0.1:80 wrr persistent 300 mask 255.255.255.0
  -> [fd00::9]:80                 0          0          0          0         
  -> 10.0.0.2:80                  100        10         0          0         
  -> 10.0.0.3:80                  0          0          0          0         
UDP  10.0.0.1:53 sh (sh-fallback,sh-port) ops
SCTP 10.0.0.1:90 mh (mh-port)
TCP  [fd00::1]:443 lblcr persistent 60 mask 64
  -> [fd00::2]:443                0          0          0          0         
)";

IpvsTable expectedTable() {
  auto ep = [](std::string_view text) { return Endpoint::parse(text).value(); };
  IpvsTable table;
  auto addService = [&](Protocol protocol, std::string_view text, std::string scheduler, std::uint32_t flags,
                        std::uint32_t timeout, std::uint32_t mask) -> IpvsTable::Service& {
    const ServiceKey key{protocol, ep(text)};
    auto& service = table.services[key];
    service.server = VirtualServer{key, std::move(scheduler), flags, timeout, mask};
    return service;
  };
  auto& web = addService(Protocol::Tcp, "10.0.0.1:80", "wrr", svcflags::kPersistent, 300, 24);
  web.reals[ep("[fd00::9]:80")] = RealServer{ep("[fd00::9]:80"), 1, ForwardMethod::Tunnel, 0, 0};
  web.reals[ep("10.0.0.2:80")] = RealServer{ep("10.0.0.2:80"), 5, ForwardMethod::Masquerade, 100, 10};
  web.reals[ep("10.0.0.3:80")] = RealServer{ep("10.0.0.3:80"), 0, ForwardMethod::DirectRoute, 0, 0};
  addService(Protocol::Udp, "10.0.0.1:53", "sh", svcflags::kOnePacket | svcflags::kSchedFlag1 | svcflags::kSchedFlag2,
             0, 0);
  addService(Protocol::Sctp, "10.0.0.1:90", "mh", svcflags::kSchedFlag2, 0, 0);
  auto& v6 = addService(Protocol::Tcp, "[fd00::1]:443", "lblcr", svcflags::kPersistent, 60, 64);
  v6.reals[ep("[fd00::2]:443")] = RealServer{ep("[fd00::2]:443"), 1, ForwardMethod::Masquerade, 0, 0};
  return table;
}

TEST(IpvsadmTextTest, SaveAndListBothGiveTheTableWithThresholdsMerged) {
  auto saved = parseIpvsadmSave(kSave);
  ASSERT_TRUE(saved) << saved.error().message;
  ASSERT_TRUE(mergeIpvsadmThresholds(kThresholds, *saved));
  EXPECT_EQ(*saved, expectedTable()) << saved->toString() << "vs\n" << expectedTable().toString();
  auto listed = parseIpvsadmList(kList);
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_TRUE(mergeIpvsadmThresholds(kThresholds, *listed));
  EXPECT_EQ(*listed, expectedTable()) << listed->toString();
}

TEST(IpvsadmTextTest, UnknownOutputIsAnErrorNotIgnored) {
  EXPECT_FALSE(parseIpvsadmSave("-A -t 10.0.0.1:80 -s rr --pe sip\n"));
  EXPECT_FALSE(parseIpvsadmSave("-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n"));  // service unknown
  EXPECT_FALSE(parseIpvsadmList("TCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80 Bypass 1 0 0\n"));
  IpvsTable empty;
  EXPECT_FALSE(mergeIpvsadmThresholds(kThresholds, empty));
}

TEST(IpvsadmTextTest, TimeoutsAndConnections) {
  auto timeouts = parseIpvsadmTimeouts("Timeout (tcp tcpfin udp): 900 120 300\n");
  ASSERT_TRUE(timeouts) << timeouts.error().message;
  EXPECT_EQ(*timeouts, (std::array<std::uint32_t, 3>{900, 120, 300}));
  auto conns = parseIpvsadmConnections(R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  10.0.0.1:80                        12       60       48     4000     9000
  -> 10.0.0.2:80                         7       35       28     2000     5000
)");
  ASSERT_TRUE(conns) << conns.error().message;
  const ServiceKey key{Protocol::Tcp, Endpoint::parse("10.0.0.1:80").value()};
  EXPECT_EQ(conns->at({key, Endpoint::parse("10.0.0.2:80").value()}), 7u);
}

}  // namespace
}  // namespace lvscare::testing
