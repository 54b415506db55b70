// Weights set by hand. Our cycle writes only 0 (draining) and 1 (serving); LVScare leaves any
// other nonzero weight on a server that passes (`ipvsadm -e ... -w 5` stays), and so do we: a
// server we want serving keeps a weight above 1 found in the kernel, and that is reported once per
// server and weight. A weight 0 set by hand on a passing server cannot be told from our own drain
// (a restart adopts it as Draining), so like LVScare the next pass puts it back to 1.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "lvscare/datapath.hpp"

namespace lvscare::care {

// The weight to program for `wanted` when the kernel holds `present`: present's weight when we
// want the server serving (weight 1) and the kernel has it serving at another weight.
std::uint32_t keptWeight(const RealServer& wanted, const RealServer& present);

// The servers of `desired` whose kernel weight is kept that way (for the report).
std::vector<RealServer> keptWeights(std::span<const RealServer> desired, std::span<const RealServerStatus> kernel);

// Logs each kept weight once: again only after the weight changed or went back to ours.
class KeptWeightLog {
 public:
  explicit KeptWeightLog(std::string service) : service_(std::move(service)) {}
  void update(std::span<const RealServer> kept);
  std::size_t reported() const { return reported_; }

 private:
  std::string service_;
  std::map<Endpoint, std::uint32_t> current_;
  std::size_t reported_ = 0;
};

}  // namespace lvscare::care
