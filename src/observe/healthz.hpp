// /livez and /readyz in the Kubernetes apiserver's style: each named check passes or fails with a
// reason; the answer is 200 "ok" when all pass, else 500 with one line per check. "?verbose" lists
// every check on success too:
//   [+]watchdog ok
//   [-]kernel failed: read TCP 10.103.97.12:6443: Operation not permitted
//   livez check failed
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "observe/http_server.hpp"

namespace lvscare::observe {

struct CheckOutcome {
  std::string name;
  std::optional<std::string> failure;  // empty when it passes
};

HttpResponse renderHealthz(std::string_view endpoint, const std::vector<CheckOutcome>& checks, bool verbose);

}  // namespace lvscare::observe
