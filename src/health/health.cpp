#include "lvscare/health.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>

namespace lvscare::health {

std::string_view toString(HealthField field) {
  switch (field) {
    case HealthField::Interval: return "interval";
    case HealthField::Rise: return "rise";
    case HealthField::Fall: return "fall";
    case HealthField::FastInterval: return "fast interval";
    case HealthField::Jitter: return "jitter";
    case HealthField::Timeout: return "health timeout";
    case HealthField::Method: return "health request method";
    case HealthField::Path: return "health path";
    case HealthField::Headers: return "health request header";
    case HealthField::Statuses: return "health status";
  }
  return "?";
}

std::string describe(const HealthError& error) {
  return lvscare::describe<HealthField>(error, [](HealthField field) { return std::string(toString(field)); });
}

FieldResult<HealthField> checkPolicy(const CheckPolicy& policy) {
  const auto count = [](HealthField field, int value) -> FieldResult<HealthField> {
    if (value >= 1 && value <= kMaxRiseFall) return {};
    return fieldError(field, std::to_string(value), fmt::format("want 1 to {}", kMaxRiseFall));
  };
  if (auto rise = count(HealthField::Rise, policy.rise); !rise) return rise;
  if (auto fall = count(HealthField::Fall, policy.fall); !fall) return fall;
  if (policy.interval <= Duration::zero())
    return fieldError(HealthField::Interval, formatDuration(policy.interval), "must be more than 0");
  if (policy.fastInterval < Duration::zero())
    return fieldError(HealthField::FastInterval, formatDuration(policy.fastInterval), "must not be negative");
  if (!(policy.jitter >= 0.0 && policy.jitter <= 0.5))  // written so that NaN fails too
    return fieldError(HealthField::Jitter, fmt::format("{}", policy.jitter), "want a fraction from 0 to 0.5");
  return {};
}

Result<void> validatePolicy(const CheckPolicy& policy) {
  auto checked = checkPolicy(policy);
  if (!checked) return fail(Errc::InvalidArgument, describe(checked.error()));
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

std::string_view toString(FailureKind kind) {
  switch (kind) {
    case FailureKind::None: return "none";
    case FailureKind::Refused: return "refused";
    case FailureKind::Unreachable: return "unreachable";
    case FailureKind::Tls: return "tls";
    case FailureKind::Timeout: return "timeout";
    case FailureKind::HttpStatus: return "http_status";
    case FailureKind::Other: return "other";
  }
  return "other";
}

FailureKind failureKindOfErrno(int error) {
  switch (error) {
    case ECONNREFUSED:
    case ECONNRESET:
    case EPIPE: return FailureKind::Refused;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EHOSTDOWN:
    case ENETDOWN: return FailureKind::Unreachable;
    case ETIMEDOUT: return FailureKind::Timeout;
    default: return FailureKind::Other;
  }
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
