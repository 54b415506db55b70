// IpvsDatapath against a real IPVS kernel (Debian's 6.1 in the test VM): every operation read back
// through our own dumps and through ipvsadm.
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

#include <fmt/format.h>

#include "vm_fixture.hpp"

namespace lvscare::testing {
namespace {

using Kind = DatapathOp::Kind;

std::vector<VirtualServer> servicesOfEveryKind() {
  using namespace svcflags;
  return {
      virtualServer(Protocol::Tcp, "10.0.0.1:80", "rr"),
      virtualServer(Protocol::Udp, "10.0.0.1:53", "wrr"),
      virtualServer(Protocol::Sctp, "10.0.0.1:3868", "lc"),
      virtualServer(Protocol::Tcp, "[fd00::1]:443", "wlc"),
      virtualServer(Protocol::Udp, "[fd00::1]:53", "sh", kOnePacket | kSchedFlag1 | kSchedFlag2),
      virtualServer(Protocol::Tcp, "10.0.0.2:80", "lblc", kPersistent, 300, 24),
      virtualServer(Protocol::Tcp, "10.0.0.3:80", "lblcr"),
      virtualServer(Protocol::Tcp, "[fd00::2]:80", "dh", kPersistent, 60, 64),
      virtualServer(Protocol::Sctp, "[fd00::3]:80", "sed"),
      virtualServer(Protocol::Tcp, "10.0.0.4:80", "nq", kPersistent, 86400),
      virtualServer(Protocol::Tcp, "10.0.0.5:80", "mh", kSchedFlag2),
      virtualServer(Protocol::Udp, "10.0.0.6:80", "fo", kOnePacket),
      virtualServer(Protocol::Tcp, "10.0.0.7:80", "ovf", kPersistent, 1, 8),
  };
}

std::vector<DatapathOp> opsFor(Kind kind, const std::vector<VirtualServer>& services) {
  std::vector<DatapathOp> ops;
  for (const auto& vs : services) {
    ops.push_back(kind == Kind::AddVirtualServer      ? DatapathOp::addVirtualServer(vs)
                  : kind == Kind::UpdateVirtualServer ? DatapathOp::updateVirtualServer(vs)
                                                      : DatapathOp::deleteVirtualServer(vs.key));
  }
  return ops;
}

TEST_F(IpvsVmTest, ServicesOfEveryKindAddUpdateDeleteReadBackExactly) {
  auto services = servicesOfEveryKind();
  applyAll(opsFor(Kind::AddVirtualServer, services));
  expectKernelHasWhatWeProgrammed();

  // Update each: another scheduler, persistence switched on or off, other flags and masks.
  const std::vector<std::string> schedulers = {"wlc", "rr", "sh", "mh", "lc"};
  for (std::size_t i = 0; i < services.size(); ++i) {
    auto& vs = services[i];
    vs.scheduler = schedulers[i % schedulers.size()];
    if (vs.flags & svcflags::kPersistent) {
      vs.flags = 0;
      vs.persistenceTimeout = 0;
      vs.netmaskBits = 0;
    } else {
      vs.flags = svcflags::kPersistent | (vs.scheduler == "sh" ? svcflags::kSchedFlag1 : 0);
      vs.persistenceTimeout = 600 + static_cast<std::uint32_t>(i);
      vs.netmaskBits = vs.key.endpoint.address.isV4() ? 16 : 48;
    }
  }
  applyAll(opsFor(Kind::UpdateVirtualServer, services));
  expectKernelHasWhatWeProgrammed();

  const std::vector<VirtualServer> gone(services.begin(), services.begin() + 6);
  applyAll(opsFor(Kind::DeleteVirtualServer, gone));
  expectKernelHasWhatWeProgrammed();
  for (const auto& vs : gone) {
    auto got = datapath_->getVirtualServer(vs.key);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, Errc::NotFound);
    EXPECT_EQ(got.error().message, "no virtual server " + vs.key.toString());
  }
}

TEST_F(IpvsVmTest, RealServersAddUpdateDeleteWithWeightsForwardingAndThresholds) {
  const auto v4 = virtualServer(Protocol::Tcp, "10.0.0.1:6443", "wrr");
  const auto v6 = virtualServer(Protocol::Udp, "[fd00::1]:53", "rr");
  const auto empty = virtualServer(Protocol::Sctp, "10.0.0.9:80", "rr");
  applyAll({
      DatapathOp::addVirtualServer(v4),
      DatapathOp::addVirtualServer(v6),
      DatapathOp::addVirtualServer(empty),
      DatapathOp::addRealServer(v4.key, realServer("10.0.1.1:6443", 1)),
      DatapathOp::addRealServer(v4.key, realServer("10.0.1.2:6443", 0, ForwardMethod::DirectRoute)),
      DatapathOp::addRealServer(v4.key, realServer("10.0.1.3:7443", 100, ForwardMethod::Tunnel, 1000, 10)),
      DatapathOp::addRealServer(v4.key, realServer("[fd00::9]:6443", 3, ForwardMethod::Tunnel)),  // mixed family
      DatapathOp::addRealServer(v6.key, realServer("[fd00::2]:53", 65535)),
      DatapathOp::addRealServer(v6.key, realServer("[fd00::3]:5353", 2, ForwardMethod::DirectRoute, 5, 5)),
  });
  expectKernelHasWhatWeProgrammed();
  auto none = datapath_->listRealServers(empty.key);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->empty());

  applyAll({
      DatapathOp::updateRealServer(v4.key, realServer("10.0.1.1:6443", 0)),
      DatapathOp::updateRealServer(v4.key, realServer("10.0.1.2:6443", 7, ForwardMethod::Masquerade, 50, 0)),
      DatapathOp::updateRealServer(v4.key, realServer("10.0.1.3:7443", 1, ForwardMethod::DirectRoute)),
      DatapathOp::updateRealServer(v6.key, realServer("[fd00::2]:53", 1, ForwardMethod::Tunnel, 9, 1)),
  });
  expectKernelHasWhatWeProgrammed();

  applyAll({
      DatapathOp::deleteRealServer(v4.key, ep("10.0.1.2:6443")),
      DatapathOp::deleteRealServer(v4.key, ep("[fd00::9]:6443")),
      DatapathOp::deleteRealServer(v6.key, ep("[fd00::3]:5353")),
  });
  expectKernelHasWhatWeProgrammed();

  // Counters read back (no traffic here: all zero, but present and decoded).
  auto reals = datapath_->listRealServers(v4.key);
  ASSERT_TRUE(reals) << reals.error().message;
  ASSERT_EQ(reals->size(), 2u);
  for (const auto& status : *reals) EXPECT_EQ(status.stats.connections, 0u);
}

TEST_F(IpvsVmTest, KernelErrorsComeBackPerOpAndWorded) {
  const auto vs = virtualServer(Protocol::Tcp, "10.0.0.1:80", "rr");
  const auto other = virtualServer(Protocol::Tcp, "10.0.0.2:80", "rr");
  const auto missing = virtualServer(Protocol::Tcp, "10.0.0.3:80", "rr");
  const auto rs = realServer("10.0.1.1:80", 1);
  auto invalid = vs;
  invalid.persistenceTimeout = 5;  // without the persistent flag: refused before the kernel sees it
  const std::vector<DatapathOp> ops = {
      DatapathOp::addVirtualServer(vs),
      DatapathOp::addVirtualServer(vs),  // 1 exists
      DatapathOp::addRealServer(vs.key, rs),
      DatapathOp::addRealServer(vs.key, rs),                               // 3 exists
      DatapathOp::addRealServer(missing.key, rs),                          // 4 no such service
      DatapathOp::deleteRealServer(vs.key, ep("10.0.1.9:80")),             // 5 no such real server
      DatapathOp::updateRealServer(vs.key, realServer("10.0.1.9:80", 1)),  // 6 no such real server
      DatapathOp::deleteVirtualServer(missing.key),                        // 7 no such service
      DatapathOp::updateVirtualServer(missing),                            // 8 no such service
      DatapathOp::updateVirtualServer(invalid),                            // 9 invalid
      DatapathOp::addVirtualServer(other),                                 // after all those failures: still applied
  };
  const auto results = datapath_->apply(ops);
  ASSERT_EQ(results.size(), ops.size());
  auto expectFailure = [&](std::size_t i, Errc code, std::string_view fragment) {
    ASSERT_FALSE(results[i]) << "op " << i << " " << ops[i].toString() << " succeeded";
    EXPECT_EQ(results[i].error().code, code) << results[i].error().message;
    EXPECT_NE(results[i].error().message.find(fragment), std::string::npos)
        << "op " << i << ": " << results[i].error().message << "\nwant: " << fragment;
  };
  for (std::size_t i : {0u, 2u, 10u})
    EXPECT_TRUE(results[i]) << ops[i].toString() << ": " << results[i].error().message;
  expectFailure(1, Errc::Exists, "virtual server TCP 10.0.0.1:80 exists already");
  expectFailure(3, Errc::Exists, "real server 10.0.1.1:80 exists already in TCP 10.0.0.1:80");
  expectFailure(4, Errc::NotFound,
                "add real server 10.0.1.1:80 weight 1 to TCP 10.0.0.3:80: no virtual server TCP 10.0.0.3:80");
  expectFailure(5, Errc::NotFound, "no real server 10.0.1.9:80 in TCP 10.0.0.1:80");
  expectFailure(6, Errc::NotFound, "no real server 10.0.1.9:80 in TCP 10.0.0.1:80");
  expectFailure(7, Errc::NotFound, "delete virtual server TCP 10.0.0.3:80: no virtual server TCP 10.0.0.3:80");
  expectFailure(8, Errc::NotFound, "no virtual server TCP 10.0.0.3:80");
  expectFailure(9, Errc::InvalidArgument, "a persistence timeout needs the persistent flag");
  record(ops[0]);
  record(ops[2]);
  record(ops[10]);
  expectKernelHasWhatWeProgrammed();

  auto reals = datapath_->listRealServers(missing.key);
  ASSERT_FALSE(reals);
  EXPECT_EQ(reals.error().code, Errc::NotFound);
  EXPECT_EQ(reals.error().message, "no virtual server TCP 10.0.0.3:80");

  // A scheduler no kernel has: the loader is asked for ip_vs_nosuch, and the message says so.
  const auto results2 = datapath_->apply(
      std::vector{DatapathOp::addVirtualServer(virtualServer(Protocol::Tcp, "10.0.0.4:80", "nosuch"))});
  ASSERT_FALSE(results2[0]);
  EXPECT_EQ(results2[0].error().code, Errc::Unsupported);
  EXPECT_NE(results2[0].error().message.find("the kernel has no scheduler 'nosuch' (module ip_vs_nosuch)"),
            std::string::npos)
      << results2[0].error().message;
  EXPECT_NE(results2[0].error().message.find("module ip_vs_nosuch could not be loaded: "), std::string::npos)
      << results2[0].error().message;
  expectKernelHasWhatWeProgrammed();
}

TEST_F(IpvsVmTest, FlushEmptiesTheWholeTable) {
  applyAll({
      DatapathOp::addVirtualServer(virtualServer(Protocol::Tcp, "10.0.0.1:80", "rr")),
      DatapathOp::addVirtualServer(virtualServer(Protocol::Udp, "[fd00::1]:53", "rr")),
      DatapathOp::addRealServer(ServiceKey{Protocol::Tcp, ep("10.0.0.1:80")}, realServer("10.0.1.1:80", 1)),
  });
  // Something ipvsadm made, too: flush is the whole table, not only what we made.
  ASSERT_TRUE(runCommand("ipvsadm -A -t 10.9.9.9:80 -s rr"));
  ASSERT_EQ(ipvsadm(true).services.size(), 3u);
  auto flushed = datapath_->flush();
  ASSERT_TRUE(flushed) << flushed.error().message;
  want_ = {};
  expectKernelHasWhatWeProgrammed();
  auto saved = runCommand("ipvsadm -S -n");
  ASSERT_TRUE(saved);
  EXPECT_EQ(*saved, "");
}

TEST_F(IpvsVmTest, TimeoutsAreWhatIpvsadmShowsAndSets) {
  auto text = runCommand("ipvsadm -L -n --timeout");
  ASSERT_TRUE(text) << text.error().message;
  auto theirs = parseIpvsadmTimeouts(*text);
  ASSERT_TRUE(theirs) << theirs.error().message;
  auto mine = datapath_->timeouts();
  ASSERT_TRUE(mine) << mine.error().message;
  EXPECT_EQ(mine->tcp, (*theirs)[0]);
  EXPECT_EQ(mine->tcpFin, (*theirs)[1]);
  EXPECT_EQ(mine->udp, (*theirs)[2]);
  // Set by the other client, read by us.
  ASSERT_TRUE(runCommand("ipvsadm --set 1000 100 200"));
  mine = datapath_->timeouts();
  ASSERT_TRUE(mine) << mine.error().message;
  EXPECT_EQ(*mine, (ipvs::Timeouts{1000, 100, 200}));
  ASSERT_TRUE(runCommand(fmt::format("ipvsadm --set {} {} {}", (*theirs)[0], (*theirs)[1], (*theirs)[2])));
}

TEST_F(IpvsVmTest, InfoIsWhatIpvsadmPrintsInItsHeader) {
  auto text = runCommand("ipvsadm -L -n");
  ASSERT_TRUE(text) << text.error().message;
  auto info = datapath_->info();
  ASSERT_TRUE(info) << info.error().message;
  const std::string header =
      fmt::format("IP Virtual Server version {} (size={})", info->versionString(), info->connectionTableSize);
  EXPECT_EQ(text->substr(0, text->find('\n')), header);
}

TEST_F(IpvsVmTest, ThousandsOfOpsInOneApplyArePipelined) {
  std::vector<DatapathOp> ops;
  for (int s = 0; s < 200; ++s) {
    const auto vs =
        virtualServer(Protocol::Tcp, fmt::format("10.1.{}.{}:80", s / 250, s % 250 + 1), s % 2 ? "wrr" : "rr");
    ops.push_back(DatapathOp::addVirtualServer(vs));
    for (int r = 0; r < 10; ++r) {
      ops.push_back(DatapathOp::addRealServer(
          vs.key, realServer(fmt::format("10.2.{}.{}:8080", s % 250, r + 1), static_cast<std::uint32_t>(r))));
    }
  }
  applyAll(ops);
  expectKernelHasWhatWeProgrammed();
}

// Capabilities are per thread: a thread without CAP_NET_ADMIN opens its own datapath.
TEST_F(IpvsVmTest, WithoutCapNetAdminTheErrorNamesTheCapability) {
  std::string outcome;
  std::thread worker([&] {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0) {
      outcome = "capget failed";
      return;
    }
    data[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
    if (::syscall(SYS_capset, &header, data) != 0) {
      outcome = "capset failed";
      return;
    }
    auto datapath = ipvs::IpvsDatapath::open();
    if (!datapath) {
      outcome = "open: " + datapath.error().message;
      return;
    }
    auto added = (*datapath)->addVirtualServer(virtualServer(Protocol::Tcp, "10.0.0.1:80", "rr"));
    auto listed = (*datapath)->listVirtualServers();
    outcome = (added ? std::string("added") : added.error().message) + "|" +
              (listed ? std::string("listed") : listed.error().message);
  });
  worker.join();
  EXPECT_EQ(outcome,
            "add virtual server TCP 10.0.0.1:80 scheduler rr: needs CAP_NET_ADMIN (Operation not permitted)|"
            "list IPVS virtual servers: needs CAP_NET_ADMIN (Operation not permitted)");
  expectKernelHasWhatWeProgrammed();  // nothing was added
}

}  // namespace
}  // namespace lvscare::testing
