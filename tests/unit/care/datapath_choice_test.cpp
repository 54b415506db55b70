#include "care/datapath_choice.hpp"

#include <gtest/gtest.h>

#include "testing/fake_datapath.hpp"

namespace lvscare::care {
namespace {

// A fake that answers to a given name, to tell which opener was used.
class NamedFake final : public Datapath {
 public:
  explicit NamedFake(std::string name) : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  std::vector<Result<void>> apply(std::span<const DatapathOp> ops) override { return inner_.apply(ops); }
  Result<std::vector<VirtualServer>> listVirtualServers() override { return inner_.listVirtualServers(); }
  Result<VirtualServer> getVirtualServer(const ServiceKey& key) override { return inner_.getVirtualServer(key); }
  Result<std::vector<RealServerStatus>> listRealServers(const ServiceKey& key) override {
    return inner_.listRealServers(key);
  }
  Result<void> flush() override { return inner_.flush(); }

 private:
  std::string name_;
  FakeDatapath inner_;
};

DatapathOpener opens(std::string name, int* calls) {
  return [name, calls]() -> Result<std::unique_ptr<Datapath>> {
    ++*calls;
    return std::unique_ptr<Datapath>(std::make_unique<NamedFake>(name));
  };
}

DatapathOpener fails(Errc code, std::string message, int* calls) {
  return [code, message, calls]() -> Result<std::unique_ptr<Datapath>> {
    ++*calls;
    return fail(code, message);
  };
}

TEST(DatapathChoiceTest, AutoPrefersIpvs) {
  int ipvs = 0, nft = 0;
  auto chosen = chooseDatapath(DatapathChoice::Auto, opens("ipvs", &ipvs), opens("nftables", &nft));
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->datapath->name(), "ipvs");
  EXPECT_EQ(chosen->kind, DatapathKind::Ipvs);
  EXPECT_EQ(chosen->reason, "the kernel has IPVS");
  EXPECT_EQ(nft, 0);  // never opened
}

TEST(DatapathChoiceTest, AutoFallsBackToNftablesWhenTheKernelHasNoIpvsAndSaysWhy) {
  int ipvs = 0, nft = 0;
  auto chosen =
      chooseDatapath(DatapathChoice::Auto, fails(Errc::Unsupported, "the kernel has no IPVS: no ip_vs", &ipvs),
                     opens("nftables", &nft));
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->datapath->name(), "nftables");
  EXPECT_EQ(chosen->kind, DatapathKind::Nftables);
  EXPECT_EQ(chosen->reason, "the kernel has no IPVS: no ip_vs");
}

TEST(DatapathChoiceTest, AutoDoesNotHideOtherIpvsFailures) {
  int ipvs = 0, nft = 0;
  auto chosen = chooseDatapath(DatapathChoice::Auto, fails(Errc::Permission, "needs CAP_NET_ADMIN", &ipvs),
                               opens("nftables", &nft));
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().message, "needs CAP_NET_ADMIN");
  EXPECT_EQ(nft, 0);
}

TEST(DatapathChoiceTest, ExplicitChoiceOpensOnlyThatOne) {
  int ipvs = 0, nft = 0;
  auto chosen = chooseDatapath(DatapathChoice::Nftables, opens("ipvs", &ipvs), opens("nftables", &nft));
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->datapath->name(), "nftables");
  EXPECT_EQ(chosen->kind, DatapathKind::Nftables);
  EXPECT_EQ(ipvs, 0);
  auto ipvsOnly =
      chooseDatapath(DatapathChoice::Ipvs, fails(Errc::Unsupported, "no IPVS", &ipvs), opens("nftables", &nft));
  ASSERT_FALSE(ipvsOnly);
  EXPECT_EQ(ipvsOnly.error().message, "no IPVS");
  EXPECT_EQ(nft, 1);
}

}  // namespace
}  // namespace lvscare::care
