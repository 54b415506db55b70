// Runs the built lvscare binary: bad input exits 2 with one line on stderr and nothing else.
#include <gtest/gtest.h>

#include "unit/cli/run_binary.hpp"

namespace {

using lvscare::testing::lines;
using lvscare::testing::Outcome;

Outcome run(std::vector<std::string> args, std::vector<std::string> env = {}) {
  return lvscare::testing::runBinary(LVSCARE_BINARY, std::move(args), std::move(env));
}

TEST(LvscareBinaryTest, MalformedValuesExit2WithOneLine) {
  const std::vector<std::vector<std::string>> cases = {
      {"--interval", "abc"},
      {"--vs", "10.0.0.1"},
      {"--rs", "10.0.0.2"},
      {"--mode", "link", "--masqueradebit", "99"},
      {"--mode", "bridge"},
      {"--run-once=maybe"},
      {"--health-status", "abc"},
      {"--health-req-headers", "x"},
      {"--scheduler", "sed"},
      {"--ip", "1.2.3"},
      {"--health-timeout", "-1s"},
      {"--run-once", "--interval", "-1"},
      {"-Cx"},
      {"--health-schem", "gopher"},
      {"--datapath", "xdp"},
      {"--no-such-flag"},
      {"--mode", "link", "--iface", "a/b"},
      {"--health-rise", "0"},
      {"--vs"},
      {"--metrics-bind-address", ":10264"},
  };
  for (const auto& extra : cases) {
    std::vector<std::string> args = {"care", "--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80"};
    args.insert(args.end(), extra.begin(), extra.end());
    const Outcome r = run(args);
    EXPECT_EQ(r.status, 2) << extra[0] << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1) << extra[0] << ": " << r.err;
    EXPECT_EQ(r.err.rfind("lvscare: ", 0), 0u) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(LvscareBinaryTest, UnreadableTlsFilesExit2BeforeTouchingTheHost) {
  const Outcome r = run({"care", "--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80", "--health-ca-file",
                         "/nonexistent/ca.pem", "--health-insecure-skip-verify=false"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_EQ(r.err.rfind("lvscare: --health-ca-file \"/nonexistent/ca.pem\": cannot read it", 0), 0u) << r.err;
}

TEST(LvscareBinaryTest, MissingRequiredFlagsExit2) {
  Outcome r = run({"care", "--rs", "10.0.0.2:80"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "lvscare: --vs: required (host:port, e.g. 10.103.97.12:6443)\n");
  r = run({"care", "--vs", "10.0.0.1:80"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "lvscare: --rs: required unless -C is given\n");
}

TEST(LvscareBinaryTest, EnvironmentFallbackIsValidatedToo) {
  const Outcome r = run({"care"}, {"CARE_VS=10.0.0.1:80", "CARE_RS=10.0.0.2:80", "CARE_SCHEDULER=sed"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "lvscare: CARE_SCHEDULER \"sed\": want one of rr, lc, dh, sh, wrr, wlc\n");
}

TEST(LvscareBinaryTest, VersionJsonAndShort) {
  Outcome r = run({"version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("{\"gitVersion\":\"v", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\"gitCommit\":"), std::string::npos);
  EXPECT_EQ(lines(r.out), 1);
  // The build date is RFC 3339 in UTC, as Go LVScare's buildDate.
  const auto date = r.out.find("\"buildDate\":\"");
  ASSERT_NE(date, std::string::npos) << r.out;
  const std::string value = r.out.substr(date + 13, 20);
  EXPECT_EQ(value.size(), 20u) << r.out;
  EXPECT_EQ(value[4], '-');
  EXPECT_EQ(value[10], 'T');
  EXPECT_EQ(value[19], 'Z') << value;
  // --short: <gitVersion>-<gitCommit>, both as the JSON has them.
  const auto field = [&](const std::string& name) {
    const auto at = r.out.find("\"" + name + "\":\"") + name.size() + 4;
    return r.out.substr(at, r.out.find('"', at) - at);
  };
  const std::string expected = field("gitVersion") + "-" + field("gitCommit") + "\n";
  r = run({"version", "--short"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, expected);
}

TEST(LvscareBinaryTest, HelpListsLvscaresFlags) {
  const Outcome r = run({"care", "--help"});
  EXPECT_EQ(r.status, 0);
  for (const char* flag : {"--vs",
                           "--rs",
                           "--scheduler",
                           "--iface",
                           "--logger",
                           "--mode",
                           "--run-once",
                           "--clean",
                           "--interval",
                           "--ip",
                           "--masqueradebit",
                           "--health-path",
                           "--health-schem",
                           "--health-req-method",
                           "--health-req-body",
                           "--health-req-headers",
                           "--health-status",
                           "--health-insecure-skip-verify",
                           "--health-timeout",
                           "--datapath"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}

}  // namespace

// Issue 14, item 6: a value echoed in a message cannot forge a log line or reach a terminal raw.
TEST(LvscareBinaryTest, EchoedValuesAreEscaped) {
  const auto oneEscapedLine = [](const Outcome& r, std::string_view escaped) {
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(escaped), std::string::npos) << r.err;
  };
  oneEscapedLine(run({"care", "--vs", "10.1.1.1:80\nEROR fake", "--rs", "10.0.0.2:80"}), "10.1.1.1:80\\nEROR fake");
  oneEscapedLine(run({"care"}, {"CARE_VS=10.1.1.1:80\nEROR fake", "CARE_RS=10.0.0.2:80"}), "10.1.1.1:80\\nEROR fake");
  oneEscapedLine(run({"care", "--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80\x1b[2J"}), "10.0.0.2:80\\x1b[2J");
  oneEscapedLine(run({"care", "--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80", "--scheduler", "sed\r\n"}), "sed\\r\\n");
  oneEscapedLine(run({"care", "--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80", "--no-such\nflag"}), "--no-such\\nflag");
}
