// Parsing the module index files and planning a load, on excerpts of Debian 6.1's real files.
#include <gtest/gtest.h>

#include "host/module_index.hpp"

namespace lvscare::host {
namespace {

// From Debian's 6.1.0 modules.dep / modules.softdep / modules.alias / modules.builtin.
constexpr const char* kDep =
    "kernel/lib/libcrc32c.ko:\n"
    "kernel/crypto/crc32c_generic.ko:\n"
    "kernel/arch/x86/crypto/crc32c-intel.ko:\n"
    "kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko:\n"
    "kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko:\n"
    "kernel/net/netfilter/nf_conntrack.ko: kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko "
    "kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko\n"
    "kernel/net/netfilter/ipvs/ip_vs.ko: kernel/net/netfilter/nf_conntrack.ko "
    "kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko\n"
    "kernel/net/netfilter/ipvs/ip_vs_rr.ko: kernel/net/netfilter/ipvs/ip_vs.ko kernel/net/netfilter/nf_conntrack.ko "
    "kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko\n"
    "kernel/drivers/net/dummy.ko.zst:\n";
constexpr const char* kSoftdep =
    "# Soft dependencies\nsoftdep ext4 pre: crypto-crc32c\nsoftdep libcrc32c pre: crc32c\n";
constexpr const char* kAlias =
    "alias crc32c crc32c_intel\nalias crypto-crc32c crc32c_generic\nalias crc32c crc32c_generic\n"
    "alias pci:v00008086d*sv*sd*bc*sc*i* e1000e\n";
constexpr const char* kBuiltin = "kernel/net/ipv4/tcp_cubic.ko\nkernel/drivers/net/veth.ko\n";

ModuleIndex debianIndex() {
  ModuleIndex index;
  EXPECT_TRUE(index.addDependencies(kDep));
  index.addSoftDependencies(kSoftdep);
  index.addAliases(kAlias);
  index.addBuiltin(kBuiltin);
  return index;
}

std::vector<std::string> names(const std::vector<LoadStep>& steps) {
  std::vector<std::string> out;
  for (const auto& step : steps) out.push_back(step.name + (step.required ? "" : "?"));
  return out;
}

TEST(ModuleIndexTest, NamesFromPaths) {
  EXPECT_EQ(moduleNameFromPath("kernel/net/netfilter/ipvs/ip_vs.ko"), "ip_vs");
  EXPECT_EQ(moduleNameFromPath("kernel/arch/x86/crypto/crc32c-intel.ko.xz"), "crc32c_intel");
  EXPECT_EQ(moduleNameFromPath("dummy.ko.zst"), "dummy");
}

TEST(ModuleIndexTest, ValidatesNames) {
  EXPECT_TRUE(validateModuleName("ip_vs"));
  EXPECT_TRUE(validateModuleName("crc32c-intel"));
  EXPECT_FALSE(validateModuleName(""));
  EXPECT_FALSE(validateModuleName("../../etc/passwd"));
  EXPECT_FALSE(validateModuleName("ip vs"));
  EXPECT_FALSE(validateModuleName(std::string(56, 'a')));
  EXPECT_EQ(validateModuleName("a/b").error().message,
            "invalid kernel module name 'a/b': want 1-55 characters of letters, digits, '_' and '-'");
}

TEST(ModuleIndexTest, IpVsLoadsDependenciesFirstWithCrc32cSoftDependency) {
  auto plan = planModuleLoad(debianIndex(), "ip_vs");
  ASSERT_TRUE(plan) << plan.error().describe();
  // libcrc32c needs crc32c (an alias of both implementations), best effort, before it.
  EXPECT_EQ(names(*plan), (std::vector<std::string>{"crc32c_intel?", "crc32c_generic?", "libcrc32c", "nf_defrag_ipv4",
                                                    "nf_defrag_ipv6", "nf_conntrack", "ip_vs"}));
  EXPECT_EQ(plan->back().path, "kernel/net/netfilter/ipvs/ip_vs.ko");
}

TEST(ModuleIndexTest, SchedulerPullsInIpVsOnce) {
  auto plan = planModuleLoad(debianIndex(), "ip_vs_rr");
  ASSERT_TRUE(plan);
  auto list = names(*plan);
  EXPECT_EQ(std::count(list.begin(), list.end(), "ip_vs"), 1);
  EXPECT_EQ(list.back(), "ip_vs_rr");
  EXPECT_EQ(list[list.size() - 2], "ip_vs");
}

TEST(ModuleIndexTest, DashesAndUnderscoresAreOneName) {
  auto plan = planModuleLoad(debianIndex(), "ip-vs-rr");
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->back().name, "ip_vs_rr");
}

TEST(ModuleIndexTest, BuiltinNeedsNothing) {
  auto plan = planModuleLoad(debianIndex(), "veth");
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->empty());
}

TEST(ModuleIndexTest, CompressedPathIsKept) {
  auto plan = planModuleLoad(debianIndex(), "dummy");
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->size(), 1u);
  EXPECT_EQ(plan->front().path, "kernel/drivers/net/dummy.ko.zst");
}

TEST(ModuleIndexTest, UnknownModuleIsNotFound) {
  auto plan = planModuleLoad(debianIndex(), "ip_vs_nope");
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, Errc::NotFound);
  EXPECT_EQ(plan.error().message, "module ip_vs_nope is not in modules.dep");
}

TEST(ModuleIndexTest, MissingHardDependencyIsNamed) {
  ModuleIndex index;
  ASSERT_TRUE(index.addDependencies("kernel/a.ko: kernel/b.ko\n"));
  auto plan = planModuleLoad(index, "a");
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().message, "module a needs b, which is not in modules.dep");
}

TEST(ModuleIndexTest, MalformedDepLineIsAnError) {
  ModuleIndex index;
  auto added = index.addDependencies("kernel/a.ko:\nnot a dep line\n");
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().message, "modules.dep line 2 has no '<path>:'");
}

TEST(ModuleIndexTest, CyclicIndexTerminates) {
  ModuleIndex index;
  ASSERT_TRUE(index.addDependencies("kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/a.ko\n"));
  auto plan = planModuleLoad(index, "a");
  ASSERT_TRUE(plan);
  EXPECT_EQ(names(*plan), (std::vector<std::string>{"b", "a"}));
}

TEST(ModuleIndexTest, WildcardAliasesAreIgnored) {
  auto index = debianIndex();
  EXPECT_TRUE(index.resolve("pci:v00008086d*sv*sd*bc*sc*i*").empty());
  EXPECT_EQ(index.resolve("crc32c"), (std::vector<std::string>{"crc32c_intel", "crc32c_generic"}));
}

}  // namespace
}  // namespace lvscare::host
