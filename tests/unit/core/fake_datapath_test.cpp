#include <gtest/gtest.h>

#include "testing/fake_datapath.hpp"

namespace lvscare {
namespace {

ServiceKey key() { return {Protocol::Tcp, *Endpoint::parse("10.0.0.1:6443")}; }
RealServer real(const char* text, std::uint32_t weight = 1) {
  RealServer rs;
  rs.endpoint = *Endpoint::parse(text);
  rs.weight = weight;
  return rs;
}

TEST(FakeDatapathTest, FollowsIpvsSemantics) {
  FakeDatapath dp;
  VirtualServer vs;
  vs.key = key();
  ASSERT_TRUE(dp.addVirtualServer(vs));
  EXPECT_EQ(dp.addVirtualServer(vs).error().code, Errc::Exists);
  ASSERT_TRUE(dp.addRealServer(key(), real("10.0.0.2:6443")));
  EXPECT_EQ(dp.addRealServer(key(), real("10.0.0.2:6443")).error().code, Errc::Exists);
  ASSERT_TRUE(dp.updateRealServer(key(), real("10.0.0.2:6443", 0)));
  auto reals = dp.listRealServers(key());
  ASSERT_TRUE(reals);
  ASSERT_EQ(reals->size(), 1u);
  EXPECT_EQ(reals->front().server.weight, 0u);
  EXPECT_EQ(dp.deleteRealServer(key(), *Endpoint::parse("10.0.0.3:6443")).error().code, Errc::NotFound);
  ServiceKey other{Protocol::Tcp, *Endpoint::parse("10.0.0.9:6443")};
  EXPECT_EQ(dp.addRealServer(other, real("10.0.0.2:6443")).error().code, Errc::NotFound);
  EXPECT_EQ(dp.log().size(), 3u);
}

TEST(FakeDatapathTest, BatchReportsEachOp) {
  FakeDatapath dp;
  VirtualServer vs;
  vs.key = key();
  std::vector<DatapathOp> ops{DatapathOp::addVirtualServer(vs), DatapathOp::addRealServer(key(), real("10.0.0.2:1")),
                              DatapathOp::addVirtualServer(vs)};
  auto results = dp.apply(ops);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0]);
  EXPECT_TRUE(results[1]);
  EXPECT_EQ(results[2].error().code, Errc::Exists);
  EXPECT_EQ(dp.applyCalls(), 1);
}

TEST(FakeDatapathTest, InjectedFailureHitsOnceAndChangesNothing) {
  FakeDatapath dp;
  VirtualServer vs;
  vs.key = key();
  dp.failNext(DatapathOp::Kind::AddVirtualServer, Error{Errc::Permission, 1, "needs CAP_NET_ADMIN"});
  EXPECT_EQ(dp.addVirtualServer(vs).error().code, Errc::Permission);
  EXPECT_TRUE(dp.listVirtualServers()->empty());
  EXPECT_TRUE(dp.addVirtualServer(vs));
}

}  // namespace
}  // namespace lvscare
