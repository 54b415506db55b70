// What a mode does to the host besides the load-balancer rules (route, dummy link + address +
// masquerade, or nothing), behind one interface so the care loop can repair it on every tick and
// tests can use a fake. Implementations are idempotent and cheap when everything is in place.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lvscare/result.hpp"

namespace lvscare::care {

class HostSetup {
 public:
  virtual ~HostSetup() = default;
  virtual std::string_view name() const = 0;  // "route", "link", "none"
  // Makes the host carry the VIP; returns what had to be (re)created, empty when all was in place
  // ("route 10.103.97.12/32 via 192.168.0.2", "link lvscare", ...).
  virtual Result<std::vector<std::string>> ensure() = 0;
  // Removes everything ensure() makes, and nothing else; what is absent already is fine.
  virtual Result<void> remove() = 0;
};

// Mode "": the rules only.
class NoHostSetup final : public HostSetup {
 public:
  std::string_view name() const override { return "none"; }
  Result<std::vector<std::string>> ensure() override { return std::vector<std::string>{}; }
  Result<void> remove() override { return {}; }
};

}  // namespace lvscare::care
