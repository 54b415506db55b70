// `sealctl ipvs`: LVScare's care loop in-process, as Sealos calls it before a node joins
// (`sealctl ipvs --vs ... --rs ... --run-once`) and to undo it (`sealctl ipvs --vs ... -C`). Same
// flags and behaviour as `lvscare care`, through the same library call (no subprocess); the
// environment fallback uses the prefix IPVS_ instead of CARE_.
#include <memory>

#include "cli/care_command.hpp"
#include "cli/sealctl.hpp"

namespace lvscare::cli {

SealctlCommand addIpvsCommand(CLI::App& sealctl) {
  CLI::App* ipvs =
      sealctl.add_subcommand("ipvs", "set up the IPVS virtual server for the masters (lvscare care in-process)");
  ipvs->fallthrough();  // sealctl's --debug may follow `ipvs`
  auto flags = std::make_shared<CareFlags>(*ipvs, "IPVS");
  const CLI::Option* debug = sealctl.get_option("--debug");
  return SealctlCommand{ipvs, [flags, debug](const std::vector<std::string>& warnings) {
                          const bool on = debug->count() > 0 && debug->as<bool>();
                          return runCareCommand(*flags, "sealctl", warnings,
                                                on ? LogLevel::Debug : std::optional<LogLevel>());
                        }};
}

}  // namespace lvscare::cli
