// Sysctl names, paths and writes against a fake /proc/sys directory.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "host/file_io.hpp"
#include "host/sysctl.hpp"
#include "support/temp_dir.hpp"

namespace lvscare::host {
namespace {

TEST(SysctlTest, NamesMapToPathsUnderProcSys) {
  EXPECT_EQ(sysctlPath("net.ipv4.vs.conntrack").value(), "/proc/sys/net/ipv4/vs/conntrack");
  EXPECT_EQ(sysctlPath("net.ipv4.conf.lvs-0.rp_filter", "/x").value(), "/x/net/ipv4/conf/lvs-0/rp_filter");
}

TEST(SysctlTest, NamesThatCouldLeaveProcSysAreRejected) {
  for (const char* bad : {"", ".", "..", "net..ipv4", ".net.ipv4", "net.ipv4.", "net/ipv4/ip_forward",
                          "../../etc/shadow", "net.ipv4.ip_forward\n", "net.ipv4.a b"}) {
    auto path = sysctlPath(bad);
    ASSERT_FALSE(path) << bad;
    EXPECT_EQ(path.error().code, Errc::InvalidArgument);
  }
  EXPECT_EQ(validateSysctlName("a/b").error().message,
            "invalid sysctl name 'a/b': want dot-separated parts of letters, digits, '_' and '-'");
}

class FakeProcSysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("net/ipv4/vs/conntrack", "0\n");
    dir_.write("net/ipv4/ip_forward", "1\n");
  }
  std::string root() const { return dir_.path().string(); }
  testing::TempDir dir_;
};

TEST_F(FakeProcSysTest, ReadsWithoutTheNewline) { EXPECT_EQ(readSysctl("net.ipv4.ip_forward", root()).value(), "1"); }

TEST_F(FakeProcSysTest, WritesOnlyWhenDifferent) {
  EXPECT_EQ(setSysctl("net.ipv4.vs.conntrack", "1", root()).value(), Change::Replaced);
  EXPECT_EQ(readFile(root() + "/net/ipv4/vs/conntrack").value(), "1\n");
  // Already right: no write needed, so a read-only file is fine.
  ASSERT_EQ(::chmod((root() + "/net/ipv4/ip_forward").c_str(), 0444), 0);
  EXPECT_EQ(setSysctl("net.ipv4.ip_forward", "1", root()).value(), Change::Unchanged);
}

TEST_F(FakeProcSysTest, MissingParameterIsNotFound) {
  auto result = setSysctl("net.ipv4.vs.expire_nodest_conn", "1", root());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::NotFound);
  EXPECT_EQ(result.error().message, "the kernel has no sysctl net.ipv4.vs.expire_nodest_conn");
}

// Root writes through file modes, so as root the check runs in a child that becomes nobody.
TEST_F(FakeProcSysTest, ReadOnlyIsPermissionWithWhatIsNeeded) {
  ASSERT_EQ(::chmod(root().c_str(), 0755), 0);
  ASSERT_EQ(::chmod((root() + "/net/ipv4/vs/conntrack").c_str(), 0444), 0);
  auto check = [this]() {
    auto result = setSysctl("net.ipv4.vs.conntrack", "1", root());
    return !result && result.error().code == Errc::Permission &&
           result.error().message ==
               "set sysctl net.ipv4.vs.conntrack=1: needs root with CAP_NET_ADMIN and a writable /proc/sys";
  };
  if (::geteuid() != 0) {
    EXPECT_TRUE(check());
    return;
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const bool dropped = ::setgid(65534) == 0 && ::setuid(65534) == 0;
    ::_exit(dropped && check() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the unprivileged write was not a clear Permission error";
  EXPECT_EQ(readSysctl("net.ipv4.vs.conntrack", root()).value(), "0");
}

TEST_F(FakeProcSysTest, BadValuesAreRejectedBeforeAnyWrite) {
  for (const char* bad : {"", "1\n0", "1\x01"}) {
    auto result = setSysctl("net.ipv4.vs.conntrack", bad, root());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::InvalidArgument);
  }
  EXPECT_EQ(readSysctl("net.ipv4.vs.conntrack", root()).value(), "0");
}

}  // namespace
}  // namespace lvscare::host
