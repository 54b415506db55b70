// The module loader against a fake /lib/modules tree and a fake finit_module: what it loads, in
// which order, and what it says when it cannot.
#include <linux/module.h>
#include <cerrno>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "host/module_loader.hpp"
#include "support/temp_dir.hpp"

namespace lvscare::host {
namespace {

namespace fs = std::filesystem;
constexpr const char* kRelease = "6.1.0-56-amd64";

class ModuleLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = temp_.path();
    dir_ = root_ / "lib/modules" / kRelease;
    fs::create_directories(dir_);
    fs::create_directories(root_ / "sys/module");
    write("modules.dep",
          "kernel/lib/libcrc32c.ko:\n"
          "kernel/crypto/crc32c_generic.ko:\n"
          "kernel/net/netfilter/nf_conntrack.ko: kernel/lib/libcrc32c.ko\n"
          "kernel/net/netfilter/ipvs/ip_vs.ko: kernel/net/netfilter/nf_conntrack.ko kernel/lib/libcrc32c.ko\n"
          "kernel/drivers/net/dummy.ko.xz:\n"
          "kernel/drivers/net/gone.ko:\n");
    write("modules.softdep", "softdep libcrc32c pre: crc32c\n");
    write("modules.alias", "alias crc32c crc32c_generic\n");
    write("modules.builtin", "kernel/drivers/net/veth.ko\n");
    for (const char* ko :
         {"kernel/lib/libcrc32c.ko", "kernel/crypto/crc32c_generic.ko", "kernel/net/netfilter/nf_conntrack.ko",
          "kernel/net/netfilter/ipvs/ip_vs.ko", "kernel/drivers/net/dummy.ko.xz"}) {
      write(ko,
            "\x7f"
            "ELF");
    }
  }
  void write(const std::string& relative, const std::string& content) {
    temp_.write((dir_ / relative).lexically_relative(root_).string(), content);
  }

  // Records each load by module file name; marks it loaded in sys/module like the kernel does.
  ModuleLoader loader(std::map<std::string, int> errors = {}) {
    ModuleLoaderOptions options;
    options.root = root_.string();
    options.release = kRelease;
    options.finitModule = [this, errors](int fd, const std::string& path, int flags) {
      EXPECT_GE(fd, 0);
      const std::string file = fs::path(path).filename().string();
      loaded_.push_back(file);
      flags_[file] = flags;
      if (auto it = errors.find(file); it != errors.end()) return it->second;
      fs::create_directories(root_ / "sys/module" / file.substr(0, file.find('.')));
      return 0;
    };
    return makeModuleLoader(options);
  }

  testing::TempDir temp_;
  fs::path root_;
  fs::path dir_;
  std::vector<std::string> loaded_;
  std::map<std::string, int> flags_;
};

TEST_F(ModuleLoaderTest, LoadsDependenciesFirst) {
  auto load = loader();
  auto result = load("ip_vs");
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(loaded_, (std::vector<std::string>{"crc32c_generic.ko", "libcrc32c.ko", "nf_conntrack.ko", "ip_vs.ko"}));
  EXPECT_EQ(flags_["ip_vs.ko"], 0);
}

TEST_F(ModuleLoaderTest, AlreadyLoadedModulesAreSkipped) {
  fs::create_directories(root_ / "sys/module/nf_conntrack");
  fs::create_directories(root_ / "sys/module/crc32c_generic");
  fs::create_directories(root_ / "sys/module/libcrc32c");
  auto load = loader();
  ASSERT_TRUE(load("ip_vs"));
  EXPECT_EQ(loaded_, (std::vector<std::string>{"ip_vs.ko"}));
  loaded_.clear();
  ASSERT_TRUE(load("ip_vs"));  // second call: nothing to do
  EXPECT_TRUE(loaded_.empty());
}

TEST_F(ModuleLoaderTest, AlreadyLoadedNeedsNoModuleTree) {
  fs::remove_all(root_ / "lib");
  fs::create_directories(root_ / "sys/module/ip_vs");
  EXPECT_TRUE(loader()("ip_vs"));
}

TEST_F(ModuleLoaderTest, ExistsFromTheKernelIsSuccess) { EXPECT_TRUE(loader({{"ip_vs.ko", EEXIST}})("ip_vs")); }

TEST_F(ModuleLoaderTest, BuiltinIsSuccessWithoutLoading) {
  EXPECT_TRUE(loader()("veth"));
  EXPECT_TRUE(loaded_.empty());
}

TEST_F(ModuleLoaderTest, SoftDependencyFailureIsIgnored) {
  EXPECT_TRUE(loader({{"crc32c_generic.ko", ENODEV}})("ip_vs"));
  EXPECT_EQ(loaded_.back(), "ip_vs.ko");
}

TEST_F(ModuleLoaderTest, HardDependencyFailureStopsAndIsNamed) {
  auto result = loader({{"nf_conntrack.ko", ENOENT}})("ip_vs");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::Kernel);
  EXPECT_EQ(result.error().message, "load module nf_conntrack (for ip_vs) from " +
                                        (dir_ / "kernel/net/netfilter/nf_conntrack.ko").string() +
                                        ": unknown symbol (see the kernel log)");
  EXPECT_EQ(loaded_.back(), "nf_conntrack.ko");
}

TEST_F(ModuleLoaderTest, PermissionNamesTheCapability) {
  auto result = loader({{"crc32c_generic.ko", EPERM}, {"libcrc32c.ko", EPERM}})("ip_vs");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::Permission);
  EXPECT_EQ(result.error().message,
            "load module libcrc32c (for ip_vs): needs CAP_SYS_MODULE (or kernel.modules_disabled is set)");
}

TEST_F(ModuleLoaderTest, CompressedModuleAsksTheKernelToDecompress) {
  ASSERT_TRUE(loader()("dummy"));
  EXPECT_EQ(flags_["dummy.ko.xz"], MODULE_INIT_COMPRESSED_FILE);
  fs::remove_all(root_ / "sys/module/dummy");
  auto old = loader({{"dummy.ko.xz", EINVAL}})("dummy");
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().code, Errc::Unsupported);
  EXPECT_NE(old.error().message.find("is compressed and this kernel cannot decompress"), std::string::npos);
}

TEST_F(ModuleLoaderTest, UnknownModuleSaysWhereItLooked) {
  auto result = loader()("ip_vs_nope");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::NotFound);
  EXPECT_EQ(result.error().message,
            "module ip_vs_nope not found under " + dir_.string() + ": module ip_vs_nope is not in modules.dep");
}

TEST_F(ModuleLoaderTest, MissingModuleTreeSaysWhereItLooked) {
  fs::remove_all(root_ / "lib");
  auto result = loader()("ip_vs");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::NotFound);
  EXPECT_EQ(result.error().message, "module ip_vs not found under " + dir_.string() + ": read " + dir_.string() +
                                        "/modules.dep: No such file or directory");
}

TEST_F(ModuleLoaderTest, ListedButMissingFile) {
  auto result = loader()("gone");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "module gone not found under " + dir_.string() +
                                        ": kernel/drivers/net/gone.ko is listed in modules.dep but missing");
}

TEST_F(ModuleLoaderTest, BadNameNeverTouchesTheFilesystem) {
  auto result = loader()("../../../etc/shadow");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::InvalidArgument);
  EXPECT_TRUE(loaded_.empty());
}

}  // namespace
}  // namespace lvscare::host
