#include "observe/healthz.hpp"

#include <algorithm>

namespace lvscare::observe {

HttpResponse renderHealthz(std::string_view endpoint, const std::vector<CheckOutcome>& checks, bool verbose) {
  const bool passed =
      std::none_of(checks.begin(), checks.end(), [](const CheckOutcome& c) { return c.failure.has_value(); });
  HttpResponse response;
  response.status = passed ? 200 : 500;
  if (passed && !verbose) {
    response.body = "ok";
    return response;
  }
  for (const CheckOutcome& check : checks) {
    if (check.failure) response.body += "[-]" + check.name + " failed: " + *check.failure + "\n";
    else response.body += "[+]" + check.name + " ok\n";
  }
  response.body += std::string(endpoint) + (passed ? " check passed\n" : " check failed\n");
  return response;
}

}  // namespace lvscare::observe
