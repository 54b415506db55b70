// Test support: `lvscare care <args>` parsed the way lvscare_main does (pflag's reading, CLI11,
// then CareFlags::resolve), with an environment and a hosts file of the test's own.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cli/care_flags.hpp"
#include "cli/pflag_args.hpp"

namespace lvscare::cli {

struct Parsed {
  Result<CareInvocation> result = fail(Errc::InvalidArgument, "not parsed");
  std::string parseError;                     // readPflagArgs' or CLI11's complaint, if any
  std::vector<std::string> argumentWarnings;  // readPflagArgs' lines (words it ignored)
};

// `hostsIp`: a hosts file naming it lvscare.node.ip; none: no hosts file. `prefix`: CARE or IPVS.
inline Parsed parseCare(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                        std::optional<IpAddress> hostsIp = std::nullopt, std::string prefix = "CARE") {
  CLI::App app{"test", "lvscare"};
  CLI::App* care = app.add_subcommand("care");
  CareFlags flags(*care, prefix);
  Parsed out;
  auto read = readPflagArgs(args, flagSpecsOf(*care));
  if (!read) {
    out.parseError = read.error().message;
    return out;
  }
  out.argumentWarnings = read->warnings;
  args = read->args;
  args.insert(args.begin(), "care");
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    out.parseError = e.what();
    return out;
  }
  CareSources sources;
  sources.getenv = [env](const std::string& name) -> std::optional<std::string> {
    const auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  sources.hostsFile = "/nonexistent/hosts";
  if (hostsIp) {
    // One file per process: CTest runs the tests of this binary side by side.
    sources.hostsFile = ::testing::TempDir() + "care_parse_hosts." + std::to_string(::getpid());
    std::ofstream(sources.hostsFile) << "127.0.0.1 localhost\n" << hostsIp->toString() << " lvscare.node.ip\n";
  }
  out.result = flags.resolve(sources);
  return out;
}

}  // namespace lvscare::cli
