// Link mode and sysctls against this machine's kernel, inside a private network namespace. This
// kernel has no dummy link type: the full dummy lifecycle runs in the VM (tests/vm/host).
#include <linux/rtnetlink.h>

#include <gtest/gtest.h>

#include "host/dummy_link.hpp"
#include "host/sysctl.hpp"
#include "integration/host/rtnl_netns_test.hpp"
#include "support/run_command.hpp"

namespace lvscare::host {
namespace {

using testing::run;

bool kernelHasDummy() { return run("ip link add lvs-probe0 type dummy && ip link del lvs-probe0").status == 0; }

class LinkTest : public testing::RtnlNetnsTest {
 protected:
  const DummyLinkSpec spec_{"lvscare", IpAddress::parse("169.254.0.1").value()};
};

TEST_F(LinkTest, NoDummyTypeIsAClearUnsupportedError) {
  if (kernelHasDummy()) GTEST_SKIP() << "this kernel has the dummy link type (covered by tests/vm/host)";
  std::vector<std::string> asked;
  ModuleLoader loader = [&](std::string_view module) -> Result<void> {
    asked.emplace_back(module);
    return fail(Errc::NotFound, "module dummy not found under /lib/modules/x: module dummy is not in modules.dep");
  };
  auto result = ensureDummyLink(*rtnl_, spec_, loader);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::Unsupported);
  EXPECT_EQ(result.error().message,
            "create interface lvscare: the kernel has no dummy link type (module dummy not found under "
            "/lib/modules/x: module dummy is not in modules.dep)");
  EXPECT_EQ(asked, (std::vector<std::string>{"dummy"}));
  EXPECT_EQ(ensureDummyLink(*rtnl_, spec_).error().message,
            "create interface lvscare: the kernel has no dummy link type");
  EXPECT_FALSE(hasDummyLink(*rtnl_, spec_).value());
  EXPECT_EQ(removeDummyLink(*rtnl_, spec_).value(), Change::Unchanged);
  EXPECT_EQ(run("ip -o link show lvscare").status, 1) << "nothing was created";
}

TEST_F(LinkTest, AnotherKindOfLinkWithOurNameIsLeftAlone) {
  ASSERT_EQ(
      run("ip link add lvscare type veth peer name lvscare-peer && ip addr add 169.254.0.1/32 dev lvscare").status, 0);
  auto ensured = ensureDummyLink(*rtnl_, spec_);
  ASSERT_FALSE(ensured);
  EXPECT_EQ(ensured.error().code, Errc::Foreign);
  EXPECT_EQ(ensured.error().message, "interface lvscare exists and is a veth link, not a dummy link; left alone");
  EXPECT_FALSE(hasDummyLink(*rtnl_, spec_));
  auto removed = removeDummyLink(*rtnl_, spec_);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, Errc::Foreign);
  const auto shown = run("ip -j addr show dev lvscare");
  EXPECT_NE(shown.output.find(R"("local":"169.254.0.1","prefixlen":32)"), std::string::npos) << shown.output;
}

TEST_F(LinkTest, LoopbackIsNotADummy) {
  auto ensured = ensureDummyLink(*rtnl_, DummyLinkSpec{"lo", spec_.vip});
  ASSERT_FALSE(ensured);
  EXPECT_EQ(ensured.error().message,
            "interface lo exists and is a device without a link kind, not a dummy link; left alone");
}

TEST_F(LinkTest, FindsLinksAndTheirAddresses) {
  auto lo = findLink(*rtnl_, "lo");
  ASSERT_TRUE(lo) << lo.error().describe();
  EXPECT_EQ(lo->name, "lo");
  ASSERT_EQ(run("ip link set lo up").status, 0);
  auto addresses = linkAddresses(*rtnl_, lo->index);
  ASSERT_TRUE(addresses) << addresses.error().describe();
  EXPECT_TRUE(std::any_of(addresses->begin(), addresses->end(), [](const AddressInfo& a) {
    return a.address == IpAddress::v4(127, 0, 0, 1) && a.prefixLength == 8;
  }));
  EXPECT_EQ(findLink(*rtnl_, "nosuchlink").error().code, Errc::NotFound);
}

TEST_F(LinkTest, InvalidNameIsRejectedBeforeTheKernelSeesIt) {
  auto result = ensureDummyLink(*rtnl_, DummyLinkSpec{"bad name", spec_.vip});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::InvalidArgument);
}

TEST_F(LinkTest, SysctlsAreThoseOfTheNamespace) {
  // A fresh namespace starts with forwarding off; this changes only the namespace's own value.
  ASSERT_EQ(readSysctl("net.ipv4.ip_forward").value(), "0");
  EXPECT_EQ(setSysctl("net.ipv4.ip_forward", "1").value(), Change::Replaced);
  EXPECT_EQ(setSysctl("net.ipv4.ip_forward", "1").value(), Change::Unchanged);
  EXPECT_EQ(run("cat /proc/sys/net/ipv4/ip_forward").output, "1\n");
  auto ipvs = setSysctl("net.ipv4.vs.conntrack", "1");
  if (!ipvs) {
    EXPECT_EQ(ipvs.error().code, Errc::NotFound);  // no IPVS in this kernel
    EXPECT_EQ(ipvs.error().message, "the kernel has no sysctl net.ipv4.vs.conntrack");
  }
}

}  // namespace
}  // namespace lvscare::host
