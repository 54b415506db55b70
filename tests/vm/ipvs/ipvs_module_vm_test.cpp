// Module loading with nothing preloaded and the kernel's own autoloading off (run.sh --no-preload
// --no-autoload): only the loader IpvsDatapath is given can bring ip_vs and its schedulers up.
#include <filesystem>

#include "vm_fixture.hpp"

namespace lvscare::testing {
namespace {

bool moduleLoaded(const std::string& name) { return std::filesystem::exists("/sys/module/" + name); }

TEST(IpvsModuleLoadVmTest, OurLoaderBringsUpIpvsAndTheSchedulersTheKernelLacks) {
  LVSCARE_REQUIRE_HARNESS();
  if (moduleLoaded("ip_vs"))
    GTEST_SKIP() << "ip_vs is loaded already: this test needs run.sh --no-preload --no-autoload";

  auto none = ipvs::IpvsDatapath::open();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::Unsupported);
  EXPECT_EQ(none.error().message,
            "the kernel has no IPVS (no generic netlink family IPVS) and no module loader was given to load ip_vs");

  std::vector<std::string> asked;
  auto refused = ipvs::IpvsDatapath::open(ipvs::IpvsOptions{[&](std::string_view module) -> Result<void> {
    asked.emplace_back(module);
    return fail(Errc::Permission, "loading modules needs CAP_SYS_MODULE (fake)");
  }});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "the kernel has no IPVS: module ip_vs could not be loaded: loading modules needs CAP_SYS_MODULE (fake)");
  EXPECT_EQ(asked, std::vector<std::string>{"ip_vs"});
  EXPECT_FALSE(moduleLoaded("ip_vs"));

  // The host layer's finit_module loader, counted.
  auto hostLoader = host::makeModuleLoader();
  std::vector<std::string> loads;
  auto opened = ipvs::IpvsDatapath::open(ipvs::IpvsOptions{[&](std::string_view module) {
    loads.emplace_back(module);
    return hostLoader(module);
  }});
  ASSERT_TRUE(opened) << opened.error().message;
  auto& datapath = **opened;
  EXPECT_TRUE(moduleLoaded("ip_vs"));
  EXPECT_EQ(loads, std::vector<std::string>{"ip_vs"});
  ASSERT_TRUE(datapath.flush());

  // Schedulers the kernel does not have yet: the add fails with ENOENT, the module is loaded, and
  // the add and everything after it on that service are replayed in order.
  ASSERT_FALSE(moduleLoaded("ip_vs_mh"));
  ASSERT_FALSE(moduleLoaded("ip_vs_lblcr"));
  const auto mh = virtualServer(Protocol::Tcp, "10.0.0.1:80", "mh", svcflags::kSchedFlag2);
  const auto lblcr = virtualServer(Protocol::Udp, "[fd00::1]:53", "lblcr");
  const std::vector<DatapathOp> ops = {
      DatapathOp::addVirtualServer(mh),
      DatapathOp::addRealServer(mh.key, realServer("10.0.1.1:80", 3)),
      DatapathOp::addVirtualServer(lblcr),
      DatapathOp::addRealServer(lblcr.key, realServer("[fd00::2]:53", 1, ForwardMethod::DirectRoute)),
      DatapathOp::updateRealServer(mh.key, realServer("10.0.1.1:80", 4)),
  };
  const auto results = datapath.apply(ops);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    EXPECT_TRUE(results[i]) << ops[i].toString() << ": " << results[i].error().message;
  }
  EXPECT_TRUE(moduleLoaded("ip_vs_mh"));
  EXPECT_TRUE(moduleLoaded("ip_vs_lblcr"));
  EXPECT_EQ(loads, (std::vector<std::string>{"ip_vs", "ip_vs_mh", "ip_vs_lblcr"}));
  auto saved = runCommand("ipvsadm -S -n");
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_EQ(*saved,
            "-A -t 10.0.0.1:80 -s mh -b mh-port\n"
            "-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 4\n"
            "-A -u [fd00::1]:53 -s lblcr\n"
            "-a -u [fd00::1]:53 -r [fd00::2]:53 -g -w 1\n");

  // A scheduler module that cannot be loaded: the error names the module and why.
  auto refusing = ipvs::IpvsDatapath::open(ipvs::IpvsOptions{[](std::string_view module) -> Result<void> {
    return fail(Errc::NotFound, "module " + std::string(module) + " not found (fake)");
  }});
  ASSERT_TRUE(refusing) << refusing.error().message;
  auto sed = (*refusing)->addVirtualServer(virtualServer(Protocol::Tcp, "10.0.0.2:80", "sed"));
  ASSERT_FALSE(sed);
  EXPECT_EQ(sed.error().code, Errc::Unsupported);
  EXPECT_EQ(sed.error().message,
            "add virtual server TCP 10.0.0.2:80 scheduler sed: the kernel has no scheduler 'sed' (module ip_vs_sed) "
            "(No such file or directory): module ip_vs_sed could not be loaded: module ip_vs_sed not found (fake)");
  EXPECT_FALSE(moduleLoaded("ip_vs_sed"));
  ASSERT_TRUE(datapath.flush());
}

}  // namespace
}  // namespace lvscare::testing
