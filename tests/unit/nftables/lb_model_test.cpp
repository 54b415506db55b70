// The op semantics of the nftables datapath, without a kernel.
#include <gtest/gtest.h>

#include <algorithm>

#include "nftables/lb_model.hpp"

namespace lvscare::nftables {
namespace {

ServiceKey key(const char* text) { return ServiceKey{Protocol::Tcp, Endpoint::parse(text).value()}; }

RealServer real(const char* text, std::uint32_t weight = 1) {
  RealServer out;
  out.endpoint = Endpoint::parse(text).value();
  out.weight = weight;
  return out;
}

VirtualServer service(const char* text) {
  VirtualServer out;
  out.key = key(text);
  return out;
}

TEST(LbModelTest, VirtualServerOpsFollowIpvsSemantics) {
  LbState state;
  EXPECT_TRUE(applyOp(state, DatapathOp::addVirtualServer(service("10.0.0.1:80"))));
  auto again = applyOp(state, DatapathOp::addVirtualServer(service("10.0.0.1:80")));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::Exists);
  EXPECT_EQ(again.error().message, "virtual server TCP 10.0.0.1:80 exists");
  EXPECT_EQ(applyOp(state, DatapathOp::updateVirtualServer(service("10.0.0.2:80"))).error().code, Errc::NotFound);
  EXPECT_EQ(applyOp(state, DatapathOp::deleteVirtualServer(key("10.0.0.2:80"))).error().message,
            "virtual server TCP 10.0.0.2:80 does not exist");
  auto sh = service("10.0.0.1:80");
  sh.scheduler = "sh";
  EXPECT_TRUE(applyOp(state, DatapathOp::updateVirtualServer(sh)));
  EXPECT_EQ(state.at(key("10.0.0.1:80")).service.scheduler, "sh");
  EXPECT_TRUE(applyOp(state, DatapathOp::deleteVirtualServer(key("10.0.0.1:80"))));
  EXPECT_TRUE(state.empty());
}

TEST(LbModelTest, RealServerOpsNeedTheirVirtualServerAndKeepOrder) {
  LbState state;
  const auto k = key("10.0.0.1:80");
  EXPECT_EQ(applyOp(state, DatapathOp::addRealServer(k, real("10.0.1.1:80"))).error().code, Errc::NotFound);
  ASSERT_TRUE(applyOp(state, DatapathOp::addVirtualServer(service("10.0.0.1:80"))));
  EXPECT_TRUE(applyOp(state, DatapathOp::addRealServer(k, real("10.0.1.2:80"))));
  EXPECT_TRUE(applyOp(state, DatapathOp::addRealServer(k, real("10.0.1.1:80"))));
  EXPECT_EQ(applyOp(state, DatapathOp::addRealServer(k, real("10.0.1.1:80", 5))).error().code, Errc::Exists);
  EXPECT_TRUE(applyOp(state, DatapathOp::updateRealServer(k, real("10.0.1.1:80", 5))));
  EXPECT_EQ(applyOp(state, DatapathOp::updateRealServer(k, real("10.0.1.9:80"))).error().code, Errc::NotFound);
  EXPECT_EQ(applyOp(state, DatapathOp::deleteRealServer(k, Endpoint::parse("10.0.1.9:80").value())).error().code,
            Errc::NotFound);
  // A refused update leaves the state as it was.
  auto tunnel = real("10.0.1.1:80", 9);
  tunnel.forward = ForwardMethod::Tunnel;
  EXPECT_EQ(applyOp(state, DatapathOp::updateRealServer(k, tunnel)).error().code, Errc::Unsupported);
  EXPECT_EQ(state.at(k).reals, (std::vector<RealServer>{real("10.0.1.1:80", 5), real("10.0.1.2:80")}));
}

// 10.0.0.1:80 with 256 real servers of weight 0xffffff: 2^32 - 256, 255 short of the limit.
void fillToTheBrim(LbState& state, const ServiceKey& k) {
  ASSERT_TRUE(applyOp(state, DatapathOp::addVirtualServer(service("10.0.0.1:80"))));
  for (int i = 0; i < 256; ++i) {
    const std::string endpoint = "10.0.2." + std::to_string(i) + ":80";
    ASSERT_TRUE(applyOp(state, DatapathOp::addRealServer(k, real(endpoint.c_str(), 0xffffff))));
  }
}

TEST(LbModelTest, WeightsMustFitTheSlotSpace) {
  LbState state;
  const auto k = key("10.0.0.1:80");
  ASSERT_NO_FATAL_FAILURE(fillToTheBrim(state, k));
  auto over = applyOp(state, DatapathOp::addRealServer(k, real("10.0.3.1:80", 0xffffff)));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, Errc::InvalidArgument);
  EXPECT_EQ(state.at(k).reals.size(), 256u);
}

// The sum is kept as ops go (issue 14, item 9: no list scan per op): deletions and updates count.
TEST(LbModelTest, TheWeightSumFollowsDeletesAndUpdates) {
  LbState state;
  const auto k = key("10.0.0.1:80");
  ASSERT_NO_FATAL_FAILURE(fillToTheBrim(state, k));
  ASSERT_TRUE(applyOp(state, DatapathOp::deleteRealServer(k, Endpoint::parse("10.0.2.7:80").value())));
  ASSERT_TRUE(applyOp(state, DatapathOp::addRealServer(k, real("10.0.3.1:80", 0xffffff))));  // fits again
  EXPECT_FALSE(applyOp(state, DatapathOp::addRealServer(k, real("10.0.3.2:80", 256))));
  ASSERT_TRUE(applyOp(state, DatapathOp::updateRealServer(k, real("10.0.3.1:80", 0xffffff - 255))));  // 510 spare
  EXPECT_TRUE(applyOp(state, DatapathOp::addRealServer(k, real("10.0.3.2:80", 256))));                // 254 spare
  EXPECT_FALSE(applyOp(state, DatapathOp::updateRealServer(k, real("10.0.3.2:80", 511))));
  EXPECT_TRUE(applyOp(state, DatapathOp::updateRealServer(k, real("10.0.3.2:80", 510))));
  EXPECT_EQ(state.at(k).reals.size(), 257u);
  EXPECT_TRUE(std::is_sorted(state.at(k).reals.begin(), state.at(k).reals.end(),
                             [](const RealServer& a, const RealServer& b) { return a.endpoint < b.endpoint; }));
}

TEST(LbModelTest, RemovedBackendsAreTheOnesNoLongerThere) {
  LbService before;
  before.reals = {real("10.0.1.1:80"), real("10.0.1.2:80"), real("10.0.1.3:80")};
  LbService after;
  after.reals = {real("10.0.1.2:80", 0)};
  EXPECT_EQ(removedBackends(before, &after),
            (std::vector<Endpoint>{Endpoint::parse("10.0.1.1:80").value(), Endpoint::parse("10.0.1.3:80").value()}));
  EXPECT_EQ(removedBackends(before, nullptr).size(), 3u);
}

}  // namespace
}  // namespace lvscare::nftables
