#include "lvscare/care.hpp"
#include "lvscare/log.hpp"

namespace lvscare::care {

int runCare(const CareConfig& config) {
  if (auto valid = validateConfig(config); !valid) {
    logf(LogLevel::Error, "invalid config: {}", valid.error().message);
    return kExitUsage;
  }
  // The kernel datapaths and host setup are wired in as their layers land.
  logf(LogLevel::Error, "care vs={} error=\"this build has no kernel datapath yet\"", config.virtualServer.toString());
  return kExitFailure;
}

}  // namespace lvscare::care
