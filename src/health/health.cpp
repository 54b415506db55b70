#include "lvscare/health.hpp"

#include <cmath>

namespace lvscare::health {

Result<void> validatePolicy(const CheckPolicy& policy) {
  if (policy.rise < 1) return fail(Errc::InvalidArgument, "rise " + std::to_string(policy.rise) + " must be at least 1");
  if (policy.fall < 1) return fail(Errc::InvalidArgument, "fall " + std::to_string(policy.fall) + " must be at least 1");
  if (policy.interval <= Duration::zero()) {
    return fail(Errc::InvalidArgument, "interval " + formatDuration(policy.interval) + " must be positive");
  }
  if (policy.fastInterval < Duration::zero()) {
    return fail(Errc::InvalidArgument, "fast interval " + formatDuration(policy.fastInterval) + " must not be negative");
  }
  if (!(policy.jitter >= 0.0 && policy.jitter <= 0.5)) {  // written so that NaN fails too
    return fail(Errc::InvalidArgument, "jitter " + std::to_string(policy.jitter) + " must be within 0..0.5");
  }
  return {};
}

std::string formatDuration(Duration d) {
  using namespace std::chrono;
  const auto ns = d.count();
  if (ns != 0 && ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

std::string_view toString(Verdict verdict) {
  switch (verdict) {
    case Verdict::Unknown: return "unknown";
    case Verdict::Healthy: return "healthy";
    case Verdict::Unhealthy: return "unhealthy";
  }
  return "unknown";
}

}  // namespace lvscare::health
