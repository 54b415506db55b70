#include "cli/care_command.hpp"

#include <cstdio>

#include "cli/version.hpp"
#include "lvscare/log.hpp"

namespace lvscare::cli {

CareSources processSources() { return CareSources{}; }

int runCareCommand(const CareFlags& flags, std::string_view program, const std::vector<std::string>& argumentWarnings,
                   std::optional<LogLevel> logLevel) {
  auto invocation = flags.resolve(processSources());
  if (!invocation) {
    // Escaped: the message echoes the value as given (--vs, CARE_VS, ...).
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(program.size()), program.data(),
                 printable(invocation.error().message).c_str());
    return kExitUsage;
  }
  setLogLevel(logLevel.value_or(invocation->logLevel));
  for (const auto& warning : argumentWarnings) logf(LogLevel::Warn, "{}", warning);
  for (const auto& warning : invocation->warnings) logf(LogLevel::Warn, "{}", warning);
  invocation->config.buildVersion = versionShort();
  invocation->config.buildCommit = gitCommit();
  return care::runCare(invocation->config);
}

}  // namespace lvscare::cli
