#include "care/reconciler.hpp"

#include <gtest/gtest.h>

#include "testing/fake_datapath.hpp"

namespace lvscare::care {
namespace {

using Kind = DatapathOp::Kind;

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

VirtualServer service(const char* text, const char* scheduler = "rr") {
  VirtualServer vs;
  vs.key.endpoint = ep(text);
  vs.scheduler = scheduler;
  return vs;
}

RealServer real(const char* text, std::uint32_t weight = 1) {
  RealServer rs;
  rs.endpoint = ep(text);
  rs.weight = weight;
  return rs;
}

std::vector<Kind> kinds(const std::vector<DatapathOp>& ops) {
  std::vector<Kind> out;
  for (const auto& op : ops) out.push_back(op.kind);
  return out;
}

TEST(DiffTest, MissingServiceIsCreatedWithItsRealServers) {
  const auto vs = service("10.0.0.1:80");
  const std::vector<RealServer> reals = {real("10.0.1.1:80"), real("10.0.1.2:80", 0)};
  const auto ops = diff(vs, reals, KernelState{});
  EXPECT_EQ(kinds(ops), (std::vector<Kind>{Kind::AddVirtualServer, Kind::AddRealServer, Kind::AddRealServer}));
  EXPECT_EQ(ops[2].real.weight, 0u);
}

TEST(DiffTest, MatchingKernelNeedsNoOps) {
  const auto vs = service("10.0.0.1:80");
  const std::vector<RealServer> reals = {real("10.0.1.1:80"), real("10.0.1.2:80", 0)};
  KernelState kernel{true, vs, {{reals[0], {}}, {reals[1], {}}}};
  EXPECT_TRUE(diff(vs, reals, kernel).empty());
}

TEST(DiffTest, ForeignRealServersAreDeletedWeightsUpdatedMissingAdded) {
  const auto vs = service("10.0.0.1:80");
  const std::vector<RealServer> reals = {real("10.0.1.1:80"), real("10.0.1.2:80", 0), real("10.0.1.3:80")};
  KernelState kernel{true, vs, {{real("10.0.1.1:80"), {}}, {real("10.0.1.2:80", 1), {}}, {real("10.9.9.9:80"), {}}}};
  const auto ops = diff(vs, reals, kernel);
  ASSERT_EQ(kinds(ops), (std::vector<Kind>{Kind::DeleteRealServer, Kind::UpdateRealServer, Kind::AddRealServer}));
  EXPECT_EQ(ops[0].real.endpoint, ep("10.9.9.9:80"));
  EXPECT_EQ(ops[1].real.endpoint, ep("10.0.1.2:80"));
  EXPECT_EQ(ops[1].real.weight, 0u);
  EXPECT_EQ(ops[2].real.endpoint, ep("10.0.1.3:80"));
}

TEST(DiffTest, ChangedSchedulerAndForwardMethodAreUpdated) {
  const auto vs = service("10.0.0.1:80", "rr");
  RealServer tunnel = real("10.0.1.1:80");
  tunnel.forward = ForwardMethod::Tunnel;
  KernelState kernel{true, service("10.0.0.1:80", "wlc"), {{tunnel, {}}}};
  const std::vector<RealServer> reals = {real("10.0.1.1:80")};
  const auto ops = diff(vs, reals, kernel);
  EXPECT_EQ(kinds(ops), (std::vector<Kind>{Kind::UpdateVirtualServer, Kind::UpdateRealServer}));
  EXPECT_EQ(ops[0].service.scheduler, "rr");
  EXPECT_EQ(ops[1].real.forward, ForwardMethod::Masquerade);
}

TEST(ReconcileTest, OtherVirtualServersAreNeverTouched) {
  FakeDatapath datapath;
  const auto other = service("10.0.0.9:443", "wlc");
  ASSERT_TRUE(datapath.addVirtualServer(other));
  ASSERT_TRUE(datapath.addRealServer(other.key, real("10.0.5.5:443")));
  datapath.clearLog();

  const auto vs = service("10.0.0.1:80");
  const std::vector<RealServer> reals = {real("10.0.1.1:80")};
  auto report = reconcile(datapath, vs, reals);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_TRUE(report->serviceWasMissing);
  for (const auto& op : datapath.log()) EXPECT_EQ(op.service.key, vs.key) << op.toString();
  auto others = datapath.listRealServers(other.key);
  ASSERT_TRUE(others);
  ASSERT_EQ(others->size(), 1u);
  EXPECT_EQ(datapath.getVirtualServer(other.key)->scheduler, "wlc");
}

TEST(ReconcileTest, SecondPassIsANoOpAndUsesOneApplyPerPass) {
  FakeDatapath datapath;
  const auto vs = service("10.0.0.1:80");
  const std::vector<RealServer> reals = {real("10.0.1.1:80"), real("10.0.1.2:80")};
  ASSERT_TRUE(reconcile(datapath, vs, reals));
  EXPECT_EQ(datapath.applyCalls(), 1);
  EXPECT_EQ(datapath.log().size(), 3u);
  datapath.clearLog();
  auto again = reconcile(datapath, vs, reals);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed());
  EXPECT_TRUE(datapath.log().empty());
  EXPECT_EQ(datapath.applyCalls(), 1);  // nothing to do: no apply() at all
}

TEST(ReconcileTest, ExistsOnAddAndNotFoundOnDeleteAreSuccess) {
  FakeDatapath datapath;
  const auto vs = service("10.0.0.1:80");
  datapath.failNext(Kind::AddRealServer, Error{Errc::Exists, 17, "exists"});
  const std::vector<RealServer> reals = {real("10.0.1.1:80")};
  auto report = reconcile(datapath, vs, reals);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->apply.failures.empty());
  EXPECT_EQ(report->apply.applied.size(), 2u);

  EXPECT_TRUE(alreadyDone(DatapathOp::deleteRealServer(vs.key, ep("10.0.1.1:80")), Error{Errc::NotFound, 2, "x"}));
  EXPECT_FALSE(alreadyDone(DatapathOp::addRealServer(vs.key, real("10.0.1.1:80")), Error{Errc::NotFound, 2, "x"}));
  EXPECT_FALSE(alreadyDone(DatapathOp::updateRealServer(vs.key, real("10.0.1.1:80")), Error{Errc::NotFound, 2, "x"}));
}

TEST(ReconcileTest, RealFailuresAreReportedAndRetriedNextPass) {
  FakeDatapath datapath;
  const auto vs = service("10.0.0.1:80");
  const std::vector<RealServer> reals = {real("10.0.1.1:80")};
  datapath.failNext(Kind::AddRealServer, Error{Errc::Permission, 1, "operation not permitted"});
  auto report = reconcile(datapath, vs, reals);
  ASSERT_TRUE(report);
  ASSERT_EQ(report->apply.failures.size(), 1u);
  EXPECT_EQ(report->apply.failures[0].second.code, Errc::Permission);
  report = reconcile(datapath, vs, reals);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->apply.failures.empty());
  EXPECT_EQ(datapath.listRealServers(vs.key)->size(), 1u);
}

TEST(ReconcileTest, UnreadableKernelIsAnError) {
  FakeDatapath datapath;
  datapath.failListings(Error{Errc::Permission, 1, "netlink: operation not permitted"});
  const std::vector<RealServer> reals;
  auto report = reconcile(datapath, service("10.0.0.1:80"), reals);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, Errc::Permission);
}

TEST(ReconcileTest, RepairsAfterAFlush) {
  FakeDatapath datapath;
  const auto vs = service("10.0.0.1:80");
  const std::vector<RealServer> reals = {real("10.0.1.1:80"), real("10.0.1.2:80", 0)};
  ASSERT_TRUE(reconcile(datapath, vs, reals));
  ASSERT_TRUE(datapath.flush());  // ipvsadm -C
  auto report = reconcile(datapath, vs, reals);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->serviceWasMissing);
  auto listed = datapath.listRealServers(vs.key);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].server.weight, 0u);
}

}  // namespace
}  // namespace lvscare::care
