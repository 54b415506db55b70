#include "cli/version.hpp"

#include <fmt/format.h>

#ifndef LVSCARE_VERSION
#define LVSCARE_VERSION "0.0.0"
#endif
#ifndef LVSCARE_GIT_COMMIT
#define LVSCARE_GIT_COMMIT "unknown"
#endif

namespace lvscare::cli {
namespace {
constexpr const char* platform() {
#if defined(__x86_64__)
  return "linux/amd64";
#elif defined(__aarch64__)
  return "linux/arm64";
#else
  return "linux/unknown";
#endif
}
}  // namespace

std::string versionShort() { return std::string("v") + LVSCARE_VERSION; }

std::string gitCommit() { return LVSCARE_GIT_COMMIT; }

std::string versionJson() {
  // Every value is plain ASCII without quotes or backslashes, so no escaping is needed.
  return fmt::format(R"({{"gitVersion":"{}","gitCommit":"{}","compiler":"g++ {}","platform":"{}"}})", versionShort(),
                     LVSCARE_GIT_COMMIT, __VERSION__, platform());
}

}  // namespace lvscare::cli
