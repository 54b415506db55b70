#include "care/host_parts.hpp"
#include "care/mode_setup.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace lvscare::care {
namespace {

class RecordingPart final : public HostSetup {
 public:
  RecordingPart(std::string name, std::vector<std::string>& journal) : name_(std::move(name)), journal_(journal) {}
  std::string_view name() const override { return name_; }
  Result<std::vector<std::string>> ensure() override {
    journal_.push_back("ensure " + name_);
    if (fail) return lvscare::fail(Error{failure, 0, name_ + " broken"});
    return std::vector<std::string>{name_ + " made"};
  }
  Result<void> remove() override {
    journal_.push_back("remove " + name_);
    if (fail) return lvscare::fail(Error{failure, 0, name_ + " broken"});
    return {};
  }
  bool fail = false;
  Errc failure = Errc::Kernel;

 private:
  std::string name_;
  std::vector<std::string>& journal_;
};

TEST(CompositeHostSetupTest, EnsuresInOrderRemovesInReverseAndTriesEveryPart) {
  std::vector<std::string> journal;
  std::vector<std::unique_ptr<HostSetup>> parts;
  parts.push_back(std::make_unique<RecordingPart>("link", journal));
  auto* middle = new RecordingPart("sysctl", journal);
  parts.emplace_back(middle);
  parts.push_back(std::make_unique<RecordingPart>("masq", journal));
  CompositeHostSetup setup("link", std::move(parts));

  auto made = setup.ensure();
  ASSERT_TRUE(made);
  EXPECT_EQ(*made, (std::vector<std::string>{"link made", "sysctl made", "masq made"}));
  ASSERT_TRUE(setup.remove());
  EXPECT_EQ(journal, (std::vector<std::string>{"ensure link", "ensure sysctl", "ensure masq", "remove masq",
                                               "remove sysctl", "remove link"}));

  journal.clear();
  middle->fail = true;
  made = setup.ensure();
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().message, "sysctl broken");
  EXPECT_EQ(journal.size(), 3u);  // the part after the broken one was still tried
  auto removed = setup.remove();
  ASSERT_FALSE(removed);
  EXPECT_EQ(journal.size(), 6u);
}

TEST(FallbackHostSetupTest, SwitchesForGoodOnlyWhenThePrimaryIsUnsupported) {
  std::vector<std::string> journal;
  auto primary = std::make_unique<RecordingPart>("link", journal);
  auto* link = primary.get();
  FallbackHostSetup setup(std::move(primary), std::make_unique<RecordingPart>("route", journal));
  EXPECT_EQ(setup.name(), "link");

  // Any other failure of the primary is reported as it is: no switch.
  link->fail = true;
  auto made = setup.ensure();
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, Errc::Kernel);
  EXPECT_FALSE(setup.usingFallback());
  EXPECT_EQ(journal, (std::vector<std::string>{"ensure link"}));

  // Unsupported: the fallback is made at once and used from then on.
  link->failure = Errc::Unsupported;
  journal.clear();
  made = setup.ensure();
  ASSERT_TRUE(made) << made.error().describe();
  EXPECT_EQ(*made, (std::vector<std::string>{"route made"}));
  EXPECT_TRUE(setup.usingFallback());
  journal.clear();
  ASSERT_TRUE(setup.ensure());
  EXPECT_EQ(journal, (std::vector<std::string>{"ensure route"}));

  // Remove takes both away; the primary's Unsupported means it has nothing to remove.
  journal.clear();
  EXPECT_TRUE(setup.remove());
  EXPECT_EQ(journal, (std::vector<std::string>{"remove route", "remove link"}));
  link->failure = Errc::Kernel;
  EXPECT_FALSE(setup.remove());
}

TEST(SysctlSetupTest, SetsOnlyWhenDifferentAndNeverResets) {
  const std::string procSys = ::testing::TempDir() + "care_sysctl_test";
  std::filesystem::create_directories(procSys + "/net/ipv4/vs");
  const std::string file = procSys + "/net/ipv4/vs/conntrack";
  std::ofstream(file) << "0\n";
  SysctlSetup setup("net.ipv4.vs.conntrack", "1", procSys);
  auto made = setup.ensure();
  ASSERT_TRUE(made) << made.error().describe();
  ASSERT_EQ(made->size(), 1u);
  EXPECT_NE((*made)[0].find("net.ipv4.vs.conntrack=1"), std::string::npos);
  std::ifstream in(file);
  std::string value;
  in >> value;
  EXPECT_EQ(value, "1");
  made = setup.ensure();
  ASSERT_TRUE(made);
  EXPECT_TRUE(made->empty());
  EXPECT_TRUE(setup.remove());
  std::ifstream again(file);
  again >> value;
  EXPECT_EQ(value, "1");
}

TEST(SysctlSetupTest, MissingParameterIsAnErrorNamingIt) {
  SysctlSetup setup("net.ipv4.vs.conntrack", "1", ::testing::TempDir() + "care_sysctl_missing");
  auto made = setup.ensure();
  ASSERT_FALSE(made);
  EXPECT_NE(made.error().message.find("net.ipv4.vs.conntrack"), std::string::npos);
}

}  // namespace
}  // namespace lvscare::care

namespace lvscare::care {
namespace {

// The NAT hook only where IPVS connections are tracked for passive detection and nothing of ours
// registers NAT already.
TEST(NatHookTest, OnlyForIpvsWithPassiveDetectionOutsideLinkMode) {
  CareConfig config;
  config.mode = Mode::Route;
  config.passiveDetection = true;
  EXPECT_TRUE(needsNatHook(config, DatapathKind::Ipvs));
  EXPECT_FALSE(needsNatHook(config, DatapathKind::Nftables));  // its DNAT registers NAT
  config.mode = Mode::None;
  EXPECT_TRUE(needsNatHook(config, DatapathKind::Ipvs));
  config.mode = Mode::Link;
  EXPECT_FALSE(needsNatHook(config, DatapathKind::Ipvs));  // the masquerade table does
  config.mode = Mode::Route;
  config.passiveDetection = false;
  EXPECT_FALSE(needsNatHook(config, DatapathKind::Ipvs));
  config.passiveDetection = true;
  config.runOnce = true;
  EXPECT_FALSE(needsNatHook(config, DatapathKind::Ipvs));
}

}  // namespace
}  // namespace lvscare::care
