// One probe on a real loop, waited for with a bounded run of the loop.
#pragma once

#include <gtest/gtest.h>

#include <optional>

#include "lvscare/event_loop.hpp"
#include "lvscare/probers.hpp"

namespace lvscare::health::testing {

inline ProbeResult probeOnce(event::EpollDispatcher& loop, const ProbeConfig& config, const Endpoint& target) {
  auto factory = makeProberFactory(loop, config);
  if (!factory) return ProbeResult{false, "factory: " + factory.error().message, {}};
  auto prober = (*factory)(target);
  std::optional<ProbeResult> result;
  prober->start([&](ProbeResult r) { result = std::move(r); });
  loop.runUntil([&] { return result.has_value(); }, std::chrono::seconds(5));
  return result ? *result : ProbeResult{false, "no result within 5 s", {}};
}

inline std::unique_ptr<event::EpollDispatcher> makeLoop() {
  auto loop = event::EpollDispatcher::create();
  EXPECT_TRUE(loop);
  return std::move(*loop);
}

inline ProbeConfig httpConfig(Scheme scheme = Scheme::Http) {
  ProbeConfig config;
  config.scheme = scheme;
  return config;
}

}  // namespace lvscare::health::testing
