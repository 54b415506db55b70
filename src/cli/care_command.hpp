// Running the care loop from a front end: `lvscare care` and `sealctl ipvs` share this.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/care_flags.hpp"

namespace lvscare::cli {

// The sources a real run reads: the process environment and /etc/hosts.
CareSources processSources();

// Resolves the flags (exit 2 with one line "<program>: <message>" on bad input, before anything
// on the host is touched), sets the log level (`logLevel` when given, else --logger's), logs a
// warning line for each of `argumentWarnings` (from readPflagArgs) and of the invocation's, and
// runs care::runCare().
int runCareCommand(const CareFlags& flags, std::string_view program, const std::vector<std::string>& argumentWarnings,
                   std::optional<LogLevel> logLevel = std::nullopt);

}  // namespace lvscare::cli
