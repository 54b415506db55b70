#include "care/fail_open_log.hpp"

#include "lvscare/log.hpp"

namespace lvscare::care {

bool FailOpenLog::update(const DesiredState& desired, const Endpoint& cause) {
  const bool now = desired.failingOpen();
  if (now == failingOpen_) return false;
  failingOpen_ = now;
  if (now) {
    ++episodes_;
    for (const auto& [server, phase] : desired.phases()) {
      const std::string why = desired.lastFailure(server);
      logf(LogLevel::Warn, "fail-open vs={} rs={} phase={} failed={}", logValue(service_), server.toString(),
           toString(phase), logValue(why.empty() ? std::string("no pass yet") : why));
    }
    logf(LogLevel::Warn, "fail-open vs={} servers={} reason={}", logValue(service_), desired.phases().size(),
         logValue("no real server passes its check: all are kept at weight 1 until one passes "
                  "(--fail-open=false for LVScare's strict behaviour)"));
  } else {
    logf(LogLevel::Info, "fail-open vs={} ended rs={} reason={}", logValue(service_), cause.toString(),
         logValue("a real server passes: per-server rules apply again"));
  }
  return true;
}

}  // namespace lvscare::care
