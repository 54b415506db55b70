#include "cli/version.hpp"

#include <fmt/format.h>

#ifndef LVSCARE_VERSION
#define LVSCARE_VERSION "0.0.0"
#endif
#ifndef LVSCARE_GIT_COMMIT
#define LVSCARE_GIT_COMMIT "unknown"
#endif
#ifndef LVSCARE_BUILD_DATE
#define LVSCARE_BUILD_DATE "1970-01-01T00:00:00Z"
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

std::string compiler() {
#if defined(__clang__)
  return fmt::format("clang++ {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#else
  return "g++ " __VERSION__;
#endif
}

std::string gitVersion() { return std::string("v") + LVSCARE_VERSION; }
}  // namespace

// As Go LVScare's `version --short`: <gitVersion>-<gitCommit>.
std::string versionShort() { return gitVersion() + "-" + LVSCARE_GIT_COMMIT; }

std::string gitCommit() { return LVSCARE_GIT_COMMIT; }

std::string versionJson() {
  // Every value is plain ASCII without quotes or backslashes, so no escaping is needed.
  return fmt::format(R"({{"gitVersion":"{}","gitCommit":"{}","buildDate":"{}","compiler":"{}","platform":"{}"}})",
                     gitVersion(), LVSCARE_GIT_COMMIT, LVSCARE_BUILD_DATE, compiler(), platform());
}

}  // namespace lvscare::cli
