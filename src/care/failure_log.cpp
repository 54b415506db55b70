#include "care/failure_log.hpp"

#include "lvscare/log.hpp"

namespace lvscare::care {

void FailureLog::failed(const Error& error) {
  ++failures_;
  if (failures_ == 1 || error.message != lastMessage_) {
    logf(LogLevel::Error, "{} failed error={}{}", what_, logValue(error.describe()),
         failures_ > 1 ? " failures=" + std::to_string(failures_) : std::string());
    ++logged_;
    lastMessage_ = error.message;
  }
}

void FailureLog::succeeded() {
  if (failures_ == 0) return;
  logf(LogLevel::Info, "{} recovered failures={}", what_, failures_);
  ++logged_;
  failures_ = 0;
  lastMessage_.clear();
}

}  // namespace lvscare::care
