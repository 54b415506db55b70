// sealctl: Sealos' node helper, the parts that concern lvscare (static pod manifests, IPVS setup).
#include <algorithm>
#include <cstdio>

#include "cli/care_flags.hpp"
#include "cli/sealctl.hpp"
#include "lvscare/log.hpp"

namespace lvscare::cli {

int reportError(std::string_view message, int code) {
  const std::string line = printable(message);
  std::fprintf(stderr, "sealctl: %s\n", line.c_str());
  return code;
}

std::vector<std::string> attachFlagValues(std::vector<std::string> args, const std::vector<std::string_view>& flags) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {  // everything after it is positional
      out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    bool attached = false;
    for (auto flag : flags) {
      if (args[i] == flag && i + 1 < args.size()) {
        out.push_back(args[i] + "=" + args[i + 1]);
        ++i;
        attached = true;
        break;
      }
    }
    if (!attached) out.push_back(args[i]);
  }
  return out;
}

}  // namespace lvscare::cli

int main(int argc, char** argv) {
  using namespace lvscare::cli;
  CLI::App app{"sealctl: Sealos' node helper for lvscare (static pod manifests, IPVS setup)", "sealctl"};
  app.require_subcommand(1);
  const std::vector<SealctlCommand> commands = {addStaticPodCommand(app), addIpvsCommand(app)};

  if (argc <= 1) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  args = attachFlagValues(std::move(args), {"--options"});
  args = splitEmptyAssignments(std::move(args));  // `sealctl ipvs --mode=` as pflag reads it
  std::reverse(args.begin(), args.end());         // CLI11 takes the arguments last first
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
    if (command.app->parsed()) return command.run();
  }
  std::fputs(app.help().c_str(), stderr);
  return lvscare::kExitUsage;
}
