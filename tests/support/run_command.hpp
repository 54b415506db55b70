// Test support: run a command (`ip`, `nft`...) as an independent cross-check. The child inherits the calling
// thread's network namespace, so inside a PrivateNetns it only sees (and changes) that namespace.
#pragma once

#include <cstdio>
#include <string>

#include <sys/wait.h>

namespace lvscare::testing {

struct CommandResult {
  int status = -1;  // exit code, -1 when it did not exit normally
  std::string output;
};

inline CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  if (WIFEXITED(status)) result.status = WEXITSTATUS(status);
  return result;
}

}  // namespace lvscare::testing
