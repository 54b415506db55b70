// Running the care loop from a front end: `lvscare care` and `sealctl ipvs` share this.
#pragma once

#include <string_view>

#include "cli/care_flags.hpp"

namespace lvscare::cli {

// The sources a real run reads: the process environment and /etc/hosts.
CareSources processSources();

// Resolves the flags (exit 2 with one line "<program>: <message>" on bad input, before anything
// on the host is touched), sets the log level and runs care::runCare().
int runCareCommand(const CareFlags& flags, std::string_view program);

}  // namespace lvscare::cli
