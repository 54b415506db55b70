// Issue 11, item 5: every command line of tests/integration/cli/sealos_corpus.txt (what Sealos and
// sealer generate for lvscare and sealctl) parses, as the binaries read it, with no warning, and
// says what LVScare made of it. `sealctl static-pod` lines run the binary (writing into a directory
// of the test's own). The root test sealos_corpus.sh runs the lines that program something.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "unit/cli/care_parse.hpp"
#include "unit/cli/run_binary.hpp"

namespace lvscare::cli {
namespace {

struct CorpusLine {
  std::string text;
  std::map<std::string, std::string> env;
  std::string program;
  std::vector<std::string> args;
};

std::vector<CorpusLine> readCorpus() {
  std::ifstream in(SEALOS_CORPUS);
  EXPECT_TRUE(in) << SEALOS_CORPUS;
  std::vector<CorpusLine> out;
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find(" #"));
    if (line.empty() || line[0] == '#') continue;
    CorpusLine parsed{line, {}, {}, {}};
    std::istringstream words(line);
    for (std::string word; words >> word;) {
      const auto eq = word.find('=');
      if (parsed.program.empty() && eq != std::string::npos && word[0] != '-') {
        parsed.env[word.substr(0, eq)] = word.substr(eq + 1);
      } else if (parsed.program.empty()) {
        parsed.program = word;
      } else {
        parsed.args.push_back(word);
      }
    }
    out.push_back(std::move(parsed));
  }
  return out;
}

bool has(const CorpusLine& line, std::initializer_list<std::string_view> words) {
  for (const auto& arg : line.args)
    for (auto word : words)
      if (arg == word) return true;
  for (const auto& [name, value] : line.env)
    for (auto word : words)
      if (name.ends_with(word) && value == "true") return true;
  return false;
}

TEST(SealosCorpusTest, EveryLineParsesAsLvscareDid) {
  const auto lines = readCorpus();
  ASSERT_GE(lines.size(), 20u);
  const auto nodeIp = IpAddress::parse("192.168.0.10").value();
  const std::string dir = ::testing::TempDir() + "sealos_corpus_manifests";
  std::filesystem::remove_all(dir);
  const std::string hosts = ::testing::TempDir() + "sealos_corpus_hosts";
  std::ofstream(hosts) << "192.168.0.10 lvscare.node.ip\n";
  int care = 0, manifests = 0;
  for (const CorpusLine& line : lines) {
    ASSERT_FALSE(line.args.empty()) << line.text;
    if (line.program == "sealctl" && line.args[0] == "static-pod") {
      std::vector<std::string> args = line.args;
      args.insert(args.end(), {"--path", dir, "--hosts-file", hosts});  // pflag: the last --path wins
      const auto r = lvscare::testing::runBinary(SEALCTL_BINARY, args);
      EXPECT_EQ(r.status, 0) << line.text << "\n" << r.err;
      EXPECT_EQ(r.err, "") << line.text;
      EXPECT_TRUE(std::filesystem::exists(dir + "/kube-sealos-lvscare.yaml")) << line.text;
      ++manifests;
      continue;
    }
    const bool lvscare = line.program == "lvscare" && line.args[0] == "care";
    ASSERT_TRUE(lvscare || (line.program == "sealctl" && line.args[0] == "ipvs")) << line.text;
    const Parsed parsed =
        parseCare({line.args.begin() + 1, line.args.end()}, line.env, nodeIp, lvscare ? "CARE" : "IPVS");
    ASSERT_EQ(parsed.parseError, "") << line.text;
    ASSERT_TRUE(parsed.result) << line.text << ": " << parsed.result.error().message;
    const care::CareConfig& c = parsed.result->config;
    EXPECT_TRUE(parsed.argumentWarnings.empty() && parsed.result->warnings.empty()) << line.text;
    EXPECT_EQ(c.virtualServer.address.toString(), "10.103.97.2") << line.text;
    EXPECT_EQ(c.clean, has(line, {"-C", "-C=true", "--clean", "CLEAN"})) << line.text;
    EXPECT_EQ(c.runOnce, has(line, {"--run-once", "--run-once=true", "RUN_ONCE"})) << line.text;
    EXPECT_EQ(c.realServers.size(), c.clean ? 0u : 2u) << line.text;
    EXPECT_EQ(c.nodeIp ? c.nodeIp->toString() : "", c.mode == care::Mode::Route ? "192.168.0.10" : "") << line.text;
    ++care;
  }
  EXPECT_GE(care, 15);
  EXPECT_GE(manifests, 3);
}

}  // namespace
}  // namespace lvscare::cli
