// The host layer against Debian's 6.1 kernel in the test VM (no preloaded modules, no autoload):
// the module loader for real (ip_vs and its dependencies, dummy), the dummy link's whole life, and
// the IPVS sysctls. One binary, one boot. Links and addresses change only inside network
// namespaces the tests make.
#include <linux/rtnetlink.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "host/dummy_link.hpp"
#include "host/file_io.hpp"
#include "host/module_loader.hpp"
#include "host/sysctl.hpp"
#include "integration/host/rtnl_netns_test.hpp"
#include "support/run_command.hpp"

namespace lvscare::host {
namespace {

using testing::run;

bool inVm() {
  const char* mode = std::getenv("LVSCARE_VM_MODE");
  return mode != nullptr && std::string(mode) == "vm";
}

bool moduleLoaded(const std::string& name) {
  std::ifstream modules("/proc/modules");
  std::string line;
  while (std::getline(modules, line)) {
    if (line.compare(0, name.size() + 1, name + " ") == 0) return true;
  }
  return false;
}

// Booted with NO_AUTOLOAD the kernel cannot load modules by itself (request_module): a module
// that appears was loaded by our loader.
bool kernelAutoloadOff() { return readFile("/proc/sys/kernel/modprobe").value_or("x") == "\n"; }

class HostVmTest : public testing::RtnlNetnsTest {
 protected:
  static std::string addresses(const char* dev) { return run(std::string("ip -j addr show dev ") + dev).output; }

  ModuleLoader loader_ = makeModuleLoader();
  const DummyLinkSpec spec_{"lvscare", IpAddress::parse("169.254.0.1").value()};
};

TEST_F(HostVmTest, LoaderLoadsIpVsAndItsDependencies) {
  if (inVm()) {
    EXPECT_FALSE(moduleLoaded("ip_vs")) << "booted with --no-preload: ip_vs should not be loaded yet";
  }
  auto loaded = loader_("ip_vs");
  ASSERT_TRUE(loaded) << loaded.error().describe();
  for (const char* module : {"ip_vs", "nf_conntrack", "nf_defrag_ipv4", "nf_defrag_ipv6", "libcrc32c"}) {
    EXPECT_TRUE(moduleLoaded(module)) << module;
  }
  EXPECT_TRUE(moduleLoaded("crc32c_generic") || moduleLoaded("crc32c_intel")) << "libcrc32c's soft dependency";
  EXPECT_TRUE(pathExists("/proc/net/ip_vs"));
  EXPECT_TRUE(loader_("ip_vs")) << "loaded already: success";
  ASSERT_TRUE(loader_("ip_vs_rr"));
  EXPECT_TRUE(moduleLoaded("ip_vs_rr"));
  EXPECT_TRUE(loader_("ip-vs-wrr")) << "dashes name the same module";
  EXPECT_TRUE(moduleLoaded("ip_vs_wrr"));
}

TEST_F(HostVmTest, LoaderErrorsNameTheModuleTree) {
  auto missing = loader_("ip_vs_nosuch");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::NotFound);
  EXPECT_NE(missing.error().message.find("module ip_vs_nosuch not found under /lib/modules/"), std::string::npos)
      << missing.error().message;
}

TEST_F(HostVmTest, IpvsSysctlsAreSetInTheNamespace) {
  ASSERT_TRUE(loader_("ip_vs"));
  for (const char* name :
       {"net.ipv4.vs.conntrack", "net.ipv4.vs.expire_nodest_conn", "net.ipv4.vs.expire_quiescent_template"}) {
    auto set = setSysctl(name, "1");
    ASSERT_TRUE(set) << set.error().describe();
    EXPECT_EQ(readSysctl(name).value(), "1") << name;
    EXPECT_EQ(setSysctl(name, "1").value(), Change::Unchanged) << name;
  }
}

TEST_F(HostVmTest, DummyLinkModuleIsLoadedByOurLoader) {
  if (inVm()) {
    ASSERT_TRUE(kernelAutoloadOff()) << "the vm test should boot with NO_AUTOLOAD";
    ASSERT_FALSE(moduleLoaded("dummy"));
    auto without = ensureDummyLink(*rtnl_, spec_);  // no loader: the kernel cannot help itself
    ASSERT_FALSE(without);
    EXPECT_EQ(without.error().code, Errc::Unsupported);
    EXPECT_EQ(without.error().message, "create interface lvscare: the kernel has no dummy link type");
  }
  auto created = ensureDummyLink(*rtnl_, spec_, loader_);
  ASSERT_TRUE(created) << created.error().describe();
  EXPECT_EQ(*created, Change::Created);
  EXPECT_TRUE(moduleLoaded("dummy"));
}

TEST_F(HostVmTest, DummyLinkLifecycleWithRepairs) {
  ASSERT_EQ(ensureDummyLink(*rtnl_, spec_, loader_).value(), Change::Created);
  const std::string shown = addresses("lvscare");
  EXPECT_NE(shown.find(R"("ifname":"lvscare","flags":["BROADCAST","NOARP","UP","LOWER_UP"])"), std::string::npos)
      << shown;
  EXPECT_NE(shown.find(R"("local":"169.254.0.1","prefixlen":32)"), std::string::npos) << shown;
  EXPECT_NE(run("ip -d -j link show lvscare").output.find(R"("info_kind":"dummy")"), std::string::npos);
  EXPECT_TRUE(hasDummyLink(*rtnl_, spec_).value());
  EXPECT_EQ(ensureDummyLink(*rtnl_, spec_).value(), Change::Unchanged);

  ASSERT_EQ(run("ip addr del 169.254.0.1/32 dev lvscare").status, 0);
  EXPECT_FALSE(hasDummyLink(*rtnl_, spec_).value());
  EXPECT_EQ(ensureDummyLink(*rtnl_, spec_).value(), Change::Replaced);
  EXPECT_TRUE(hasDummyLink(*rtnl_, spec_).value());

  ASSERT_EQ(run("ip link set lvscare down").status, 0);
  EXPECT_FALSE(hasDummyLink(*rtnl_, spec_).value());
  EXPECT_EQ(ensureDummyLink(*rtnl_, spec_).value(), Change::Replaced);
  EXPECT_TRUE(hasDummyLink(*rtnl_, spec_).value());

  ASSERT_EQ(run("ip link del lvscare").status, 0);
  EXPECT_FALSE(hasDummyLink(*rtnl_, spec_).value());
  EXPECT_EQ(ensureDummyLink(*rtnl_, spec_).value(), Change::Created);
  EXPECT_TRUE(hasDummyLink(*rtnl_, spec_).value());

  EXPECT_EQ(removeDummyLink(*rtnl_, spec_).value(), Change::Removed);
  EXPECT_EQ(run("ip link show lvscare").status, 1) << "the link went with its only address";
  EXPECT_EQ(removeDummyLink(*rtnl_, spec_).value(), Change::Unchanged);
}

TEST_F(HostVmTest, LinkStaysWhileAnotherVipUsesIt) {
  const DummyLinkSpec other{"lvscare", IpAddress::parse("169.254.0.2").value()};
  ASSERT_TRUE(ensureDummyLink(*rtnl_, spec_, loader_));
  EXPECT_EQ(ensureDummyLink(*rtnl_, other).value(), Change::Replaced);
  EXPECT_EQ(removeDummyLink(*rtnl_, spec_).value(), Change::Removed);
  const std::string shown = addresses("lvscare");
  EXPECT_EQ(shown.find("169.254.0.1"), std::string::npos) << shown;
  EXPECT_NE(shown.find(R"("local":"169.254.0.2","prefixlen":32)"), std::string::npos) << shown;
  EXPECT_TRUE(hasDummyLink(*rtnl_, other).value());
  EXPECT_EQ(removeDummyLink(*rtnl_, other).value(), Change::Removed);
  EXPECT_EQ(run("ip link show lvscare").status, 1);
}

TEST_F(HostVmTest, Ipv6VipIsUsableAtOnce) {
  const DummyLinkSpec v6{"lvs6", IpAddress::parse("fd00:77::1").value()};
  ASSERT_EQ(ensureDummyLink(*rtnl_, v6, loader_).value(), Change::Created);
  const std::string shown = run("ip -j -6 addr show dev lvs6").output;
  EXPECT_NE(shown.find(R"("local":"fd00:77::1","prefixlen":128)"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("tentative"), std::string::npos) << shown;
  EXPECT_TRUE(hasDummyLink(*rtnl_, v6).value());
  EXPECT_EQ(removeDummyLink(*rtnl_, v6).value(), Change::Removed);
  EXPECT_EQ(run("ip link show lvs6").status, 1) << "its IPv6 link-local address does not keep it";
}

}  // namespace
}  // namespace lvscare::host
