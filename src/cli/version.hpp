// What `lvscare version` prints. The values come from the build (cmake/Version.cmake: the project
// version, the git commit and the build date, SOURCE_DATE_EPOCH or the commit's date).
#pragma once

#include <string>

namespace lvscare::cli {

// {"gitVersion":"v0.1.0","gitCommit":"abc1234","buildDate":"2026-11-30T12:00:00Z","compiler":"g++ 12.2.0",
//  "platform":"linux/amd64"}
std::string versionJson();
// "v0.1.0-abc1234", as Go LVScare prints it
std::string versionShort();
// The git commit the binary was built from ("abc1234def56", or "unknown").
std::string gitCommit();

}  // namespace lvscare::cli
