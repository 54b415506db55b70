// lvscare: keeps a virtual server pointing only at healthy real servers.
//   lvscare care [flags]       the care loop (LVScare's flags, CARE_<FLAG> environment fallback)
//   lvscare status [--json]    what the running lvscare does, asked over its endpoint
//   lvscare version [--short]  version JSON, or one line
#include <algorithm>
#include <cstdio>
#include <span>

#include <CLI/CLI.hpp>

#include "cli/care_command.hpp"
#include "cli/pflag_args.hpp"
#include "cli/status_command.hpp"
#include "cli/version.hpp"
#include "lvscare/log.hpp"

int main(int argc, char** argv) {
  using namespace lvscare;
  CLI::App app{"lvscare: keeps a Kubernetes apiserver VIP pointing only at healthy masters", "lvscare"};
  app.require_subcommand(0, 1);
  CLI::App* care = app.add_subcommand("care", "keep the virtual server pointing at healthy real servers");
  const cli::CareFlags careFlags(*care, "CARE");
  CLI::App* status = app.add_subcommand("status", "ask the running lvscare what it does (its /status)");
  cli::StatusFlags statusFlags;
  cli::addStatusFlags(*status, statusFlags);
  CLI::App* version = app.add_subcommand("version", "print the version as JSON");
  bool shortVersion = false;
  version->add_flag("--short", shortVersion, "print only the version");

  if (argc <= 1) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> argumentWarnings;
  if (args.front() == care->get_name()) {  // LVScare's flags, read as its pflag reads them
    auto read = cli::readPflagArgs(std::span(args).subspan(1), cli::flagSpecsOf(*care));
    if (!read) {
      std::fprintf(stderr, "lvscare: %s\n", printable(read.error().message).c_str());
      return kExitUsage;
    }
    args.resize(1);
    args.insert(args.end(), read->args.begin(), read->args.end());
    argumentWarnings = std::move(read->warnings);
  } else {
    args = cli::splitEmptyAssignments(std::move(args));
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "lvscare: %s\n", printable(e.what()).c_str());
    return kExitUsage;
  }
  if (version->parsed()) {
    std::puts((shortVersion ? cli::versionShort() : cli::versionJson()).c_str());
    return 0;
  }
  if (care->parsed()) return cli::runCareCommand(careFlags, "lvscare", argumentWarnings);
  if (status->parsed()) return cli::runStatusCommand(statusFlags);
  std::fputs(app.help().c_str(), stdout);
  return 0;
}
