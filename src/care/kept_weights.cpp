#include "care/kept_weights.hpp"

#include "lvscare/log.hpp"

namespace lvscare::care {

std::uint32_t keptWeight(const RealServer& wanted, const RealServer& present) {
  return wanted.weight == 1 && present.weight > 1 ? present.weight : wanted.weight;
}

std::vector<RealServer> keptWeights(std::span<const RealServer> desired, std::span<const RealServerStatus> kernel) {
  std::vector<RealServer> out;
  for (const RealServer& wanted : desired) {
    for (const RealServerStatus& status : kernel) {
      if (status.server.endpoint != wanted.endpoint) continue;
      if (keptWeight(wanted, status.server) != wanted.weight) out.push_back(status.server);
    }
  }
  return out;
}

void KeptWeightLog::update(std::span<const RealServer> kept) {
  std::map<Endpoint, std::uint32_t> now;
  for (const RealServer& rs : kept) {
    now.emplace(rs.endpoint, rs.weight);
    const auto it = current_.find(rs.endpoint);
    if (it != current_.end() && it->second == rs.weight) continue;
    logf(LogLevel::Info, "vs={} rs={} weight={} kept={}", logValue(service_), rs.endpoint.toString(), rs.weight,
         logValue("set outside lvscare on a server that passes (LVScare leaves it too)"));
    ++reported_;
  }
  current_ = std::move(now);
}

}  // namespace lvscare::care
