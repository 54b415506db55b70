// sealctl: Sealos' node helper, the parts that concern lvscare (static pod manifests, IPVS setup).
#include <algorithm>
#include <cstdio>
#include <span>

#include "cli/pflag_args.hpp"
#include "cli/sealctl.hpp"
#include "lvscare/log.hpp"

namespace lvscare::cli {

int reportError(std::string_view message, int code) {
  const std::string line = printable(message);
  std::fprintf(stderr, "sealctl: %s\n", line.c_str());
  return code;
}

}  // namespace lvscare::cli

int main(int argc, char** argv) {
  using namespace lvscare::cli;
  CLI::App app{"sealctl: Sealos' node helper for lvscare (static pod manifests, IPVS setup)", "sealctl"};
  app.require_subcommand(1);
  // Sealos' sealctl: a persistent flag, so it may also follow the subcommand (which falls through).
  bool debug = false;  // read by `ipvs` through the option
  app.add_flag("--debug", debug, "debug logging (sealctl ipvs, over its --logger)");
  const std::vector<SealctlCommand> commands = {addStaticPodCommand(app), addIpvsCommand(app)};

  if (argc <= 1) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> warnings;
  for (const auto& command : commands) {
    // The command's flags as Sealos' pflag reads them, with the persistent ones above it
    // (`static-pod`'s --path, sealctl's --debug), which may stand on either side of a command
    // word; cobra finds the command as the first word that is not a flag.
    const CLI::App* parent = command.app->get_parent();
    const bool nested = parent != &app;
    const std::string& name = (nested ? parent : command.app)->get_name();
    const auto word = std::find_if(args.begin(), args.end(), [](const std::string& a) { return !a.starts_with('-'); });
    if (word == args.end() || *word != name) continue;
    std::vector<std::string> rest(args.begin(), word);
    rest.insert(rest.end(), word + 1, args.end());
    auto read = readPflagArgs(rest, flagSpecsOf(*command.app, true), nested ? command.app->get_name() : std::string());
    if (!read) return reportError(read.error().message, lvscare::kExitUsage);
    args = {name};
    args.insert(args.end(), read->args.begin(), read->args.end());
    warnings = std::move(read->warnings);
    break;
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return reportError(e.what(), lvscare::kExitUsage);
  }
  for (const auto& command : commands) {
    if (command.app->parsed()) return command.run(warnings);
  }
  std::fputs(app.help().c_str(), stderr);
  return lvscare::kExitUsage;
}
