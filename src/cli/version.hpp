// What `lvscare version` prints. The values come from the build (CMake's project version and the
// git commit at configure time).
#pragma once

#include <string>

namespace lvscare::cli {

// {"gitVersion":"v0.1.0","gitCommit":"abc1234","compiler":"g++ 12.2.0","platform":"linux/amd64"}
std::string versionJson();
// "v0.1.0"
std::string versionShort();
// The git commit the binary was built from ("abc1234def56", or "unknown").
std::string gitCommit();

}  // namespace lvscare::cli
