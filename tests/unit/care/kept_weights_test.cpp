// Issue 11, item 3: a weight set by hand (5 with ipvsadm) on a server that passes is kept and
// reported once; a hand-set weight 0 is put back to 1 like LVScare does; a failing server still
// drains to 0 whatever its weight.
#include "care/kept_weights.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "care/care_loop.hpp"
#include "care/reconciler.hpp"
#include "testing/fake_datapath.hpp"
#include "testing/fake_dispatcher.hpp"
#include "testing/fake_prober.hpp"
#include "lvscare/log.hpp"
#include "log_capture.hpp"

namespace lvscare::care {
namespace {

using namespace std::chrono_literals;
using Kind = DatapathOp::Kind;

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

RealServer real(const char* text, std::uint32_t weight) {
  RealServer rs;
  rs.endpoint = ep(text);
  rs.weight = weight;
  rs.forward = ForwardMethod::Masquerade;
  return rs;
}

VirtualServer service() {
  VirtualServer vs;
  vs.key.endpoint = ep("10.0.0.1:80");
  return vs;
}

TEST(KeptWeightTest, OnlyANonzeroWeightOnAServerWeWantServing) {
  EXPECT_EQ(keptWeight(real("10.0.1.1:80", 1), real("10.0.1.1:80", 5)), 5u);
  EXPECT_EQ(keptWeight(real("10.0.1.1:80", 1), real("10.0.1.1:80", 0)), 1u);  // hand-set 0: back to 1
  EXPECT_EQ(keptWeight(real("10.0.1.1:80", 0), real("10.0.1.1:80", 5)), 0u);  // failing: drained
  EXPECT_EQ(keptWeight(real("10.0.1.1:80", 1), real("10.0.1.1:80", 1)), 1u);
}

TEST(KeptWeightTest, DiffLeavesAHandSetWeightButStillFixesTheRest) {
  const auto vs = service();
  const std::vector<RealServer> wanted = {real("10.0.1.1:80", 1), real("10.0.1.2:80", 1), real("10.0.1.3:80", 0)};
  RealServer tunnel = real("10.0.1.2:80", 7);
  tunnel.forward = ForwardMethod::Tunnel;
  KernelState kernel{true, vs, {{real("10.0.1.1:80", 5), {}}, {tunnel, {}}, {real("10.0.1.3:80", 9), {}}}};
  const auto ops = diff(vs, wanted, kernel);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].kind, Kind::UpdateRealServer);  // forward method fixed, weight 7 carried over
  EXPECT_EQ(ops[0].real.endpoint, ep("10.0.1.2:80"));
  EXPECT_EQ(ops[0].real.weight, 7u);
  EXPECT_EQ(ops[0].real.forward, ForwardMethod::Masquerade);
  EXPECT_EQ(ops[1].real.endpoint, ep("10.0.1.3:80"));  // draining: 9 -> 0
  EXPECT_EQ(ops[1].real.weight, 0u);
  const auto kept = keptWeights(wanted, kernel.reals);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].weight, 5u);
  EXPECT_EQ(kept[1].weight, 7u);
}

TEST(KeptWeightLoopTest, HandSetWeightIsKeptAndReportedOnceHandSetZeroIsReset) {
  testing::LogCapture log;
  event::FakeDispatcher dispatcher;
  health::FakeProbers probers{dispatcher};
  FakeDatapath datapath;
  NoHostSetup host;
  const Endpoint a = ep("192.168.0.2:6443"), b = ep("192.168.0.3:6443");
  CareLoopOptions options;
  options.service = service();
  options.reals = {a, b};
  options.monitor.random = [] { return 0.5; };
  CareLoop loop(dispatcher, datapath, host, probers.factory(), options);
  ASSERT_TRUE(loop.start());
  dispatcher.runDue();
  const auto setWeight = [&](const Endpoint& rs, std::uint32_t weight) {
    RealServer changed;
    changed.endpoint = rs;
    changed.weight = weight;
    changed.forward = ForwardMethod::Masquerade;
    const DatapathOp op = DatapathOp::updateRealServer(options.service.key, changed);
    ASSERT_TRUE(datapath.apply(std::span<const DatapathOp>(&op, 1)).front());
  };
  const auto weightOf = [&](const Endpoint& rs) -> std::uint32_t {
    const auto reals = datapath.listRealServers(options.service.key);
    if (!reals) return 999;
    for (const auto& status : *reals)
      if (status.server.endpoint == rs) return status.server.weight;
    return 999;
  };
  setWeight(a, 5);          // ipvsadm -e -t VIP -r a -m -w 5
  setWeight(b, 0);          // ipvsadm -e ... -w 0
  dispatcher.advance(20s);  // many ticks and health rounds
  EXPECT_EQ(weightOf(a), 5u);
  EXPECT_EQ(weightOf(b), 1u);
  EXPECT_EQ(log.count("rs=192.168.0.2:6443 weight=5 kept="), 1u);
  setWeight(a, 3);
  dispatcher.advance(1s);
  EXPECT_EQ(weightOf(a), 3u);
  EXPECT_EQ(log.count("rs=192.168.0.2:6443 weight=3 kept="), 1u);

  probers.setHealthy(a, false);  // failing: drained whatever its weight
  dispatcher.advance(5s);
  EXPECT_EQ(weightOf(a), 0u);
}

}  // namespace
}  // namespace lvscare::care
