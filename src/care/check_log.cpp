#include "care/check_log.hpp"

#include "lvscare/log.hpp"

namespace lvscare::care {

void CheckLog::record(const health::CheckEvent& event, health::TimePoint now) {
  const std::string server = event.target.toString();
  auto [found, fresh] = runs_.try_emplace(event.target);
  Run& run = found->second;
  const bool same = !fresh && run.healthy == event.result.healthy && run.detail == event.result.detail;
  if (same) {
    ++run.count;
    if (!run.healthy && now - run.lastLine >= summaryEvery_) {
      logf(LogLevel::Warn, "check rs={} still failing failures={} for={} detail={}", server, run.count,
           health::formatDuration(now - run.since), logValue(run.detail));
      ++lines_;
      run.lastLine = now;
    }
    return;
  }
  // A new outcome. A first success is routine (debug); a failure, or a success after failures, is not.
  const LogLevel level =
      !event.result.healthy ? LogLevel::Warn : (fresh || run.healthy ? LogLevel::Debug : LogLevel::Info);
  const std::string previous =
      fresh ? std::string() : fmt::format(" previous={} repeated={}", run.healthy ? "success" : "failure", run.count);
  logf(level, "check rs={} result={} detail={} latency={}{}", server, event.result.healthy ? "success" : "failure",
       logValue(event.result.detail), health::formatDuration(event.result.latency), previous);
  if (logEnabled(level)) ++lines_;
  run = Run{event.result.healthy, event.result.detail, 1, now, now};
}

}  // namespace lvscare::care
