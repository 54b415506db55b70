// `sealctl ipvs`: lvscare care's flags and checks under Sealos' name, env prefix IPVS_.
#include <gtest/gtest.h>

#include "unit/cli/run_binary.hpp"

namespace {

using lvscare::testing::lines;
using lvscare::testing::Outcome;

Outcome run(std::vector<std::string> args, std::vector<std::string> env = {}) {
  return lvscare::testing::runBinary(SEALCTL_BINARY, std::move(args), std::move(env));
}

TEST(SealctlIpvsBinaryTest, MalformedValuesExit2WithOneLineNamingTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--vs", "10.103.97.2"}, "sealctl: --vs: '10.103.97.2'"},
      {{"--vs", "10.103.97.2:6443", "--rs", "192.168.0.2"}, "sealctl: --rs: '192.168.0.2'"},
      {{"--vs", "10.103.97.2:6443", "--rs", "192.168.0.2:6443", "--health-schem", "ftp"},
       "sealctl: --health-schem \"ftp\""},
      {{"--vs", "10.103.97.2:6443", "--rs", "192.168.0.2:6443", "--interval", "soon"}, "sealctl: --interval \"soon\""},
      {{"--vs", "10.103.97.2:6443"}, "sealctl: --rs: required unless -C is given"},
  };
  for (const auto& [extra, expected] : cases) {
    std::vector<std::string> args = {"ipvs"};
    args.insert(args.end(), extra.begin(), extra.end());
    const Outcome r = run(args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind(expected, 0), 0u) << r.err;
  }
}

TEST(SealctlIpvsBinaryTest, EnvironmentPrefixIsIpvs) {
  Outcome r = run({"ipvs", "-C"}, {"IPVS_VS=10.103.97.2"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "sealctl: IPVS_VS: '10.103.97.2': missing port, want host:port\n");
  // CARE_ variables are lvscare's, not sealctl's.
  r = run({"ipvs", "-C"}, {"CARE_VS=10.103.97.2:6443"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind("sealctl: --vs: required", 0), 0u) << r.err;
}

TEST(SealctlIpvsBinaryTest, HelpListsTheCareFlags) {
  const Outcome r = run({"ipvs", "--help"});
  EXPECT_EQ(r.status, 0);
  for (const char* flag : {"--vs", "--rs", "--run-once", "--clean", "--health-path", "--health-schem", "--mode",
                           "--masqueradebit", "--interval"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}

}  // namespace
