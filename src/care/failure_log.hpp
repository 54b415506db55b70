// "A repeated failure is logged once and then counted": one of these per kind of failure (reading
// the kernel, applying ops, the host setup). The first failure, and any failure whose message
// differs from the last, is logged; repeats only count; the recovery is logged with the count.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lvscare/result.hpp"

namespace lvscare::care {

class FailureLog {
 public:
  explicit FailureLog(std::string what) : what_(std::move(what)) {}

  void failed(const Error& error);
  void succeeded();

  bool failing() const { return failures_ > 0; }
  std::uint64_t failures() const { return failures_; }  // in the current run of failures
  std::uint64_t logged() const { return logged_; }      // lines written so far (for tests)

 private:
  std::string what_;
  std::string lastMessage_;
  std::uint64_t failures_ = 0;
  std::uint64_t logged_ = 0;
};

}  // namespace lvscare::care
