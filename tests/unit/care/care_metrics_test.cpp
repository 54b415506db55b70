#include "care/care_metrics.hpp"

#include <gtest/gtest.h>

namespace lvscare::care {
namespace {

using namespace std::chrono_literals;

TEST(ClassifyCheck, ReasonsFromTheProbersDetails) {
  using health::ProbeResult;
  EXPECT_EQ(classifyCheck(ProbeResult{true, "HTTP 200", {}}), CheckReason::Ok);
  EXPECT_EQ(classifyCheck(ProbeResult{true, "connected", {}}), CheckReason::Ok);
  EXPECT_EQ(classifyCheck(ProbeResult{false, "HTTP 503", {}}), CheckReason::HttpStatus);
  EXPECT_EQ(classifyCheck(ProbeResult{false, "connect: Connection refused", {}}), CheckReason::Refused);
  EXPECT_EQ(classifyCheck(ProbeResult{false, "timed out after 10s (TLS handshake)", {}}), CheckReason::Timeout);
  EXPECT_EQ(classifyCheck(ProbeResult{false, "TLS handshake: certificate verify failed: self-signed certificate", {}}),
            CheckReason::Tls);
  EXPECT_EQ(classifyCheck(ProbeResult{false, "connect: No route to host", {}}), CheckReason::Other);
  EXPECT_EQ(classifyCheck(ProbeResult{false, "connection closed without a response", {}}), CheckReason::Other);
  // The probers' own kind wins over the text.
  EXPECT_EQ(classifyCheck(ProbeResult{false, "connect: No route to host", {}, health::FailureKind::Unreachable}),
            CheckReason::Unreachable);
  EXPECT_EQ(classifyCheck(ProbeResult{false, "recv: Connection reset by peer", {}, health::FailureKind::Refused}),
            CheckReason::Refused);
}

TEST(PartOfHostChange, FromTheHostSetupsLines) {
  EXPECT_EQ(partOfHostChange("route 10.103.97.12/32 via 192.168.0.2 metric 50 created"), RepairPart::Route);
  EXPECT_EQ(partOfHostChange("link lvscare with 10.103.97.12 created"), RepairPart::Link);
  EXPECT_EQ(partOfHostChange("link lvscare with 10.103.97.12 replaced"), RepairPart::Address);
  EXPECT_EQ(partOfHostChange("masquerade table lvscare-masq-10.103.97.12 installed"), RepairPart::NftablesTable);
  EXPECT_EQ(partOfHostChange("sysctl net.ipv4.vs.conntrack=1 replaced"), RepairPart::Sysctl);
}

TEST(CareMetrics, ARoundCompletesWhenEveryServerWasChecked) {
  const Endpoint a = *Endpoint::parse("192.168.0.2:6443");
  const Endpoint b = *Endpoint::parse("192.168.0.3:6443");
  const health::TimePoint start{};
  CareMetrics metrics({a, b}, start, CareMetrics::WallClock::time_point(1000s));
  health::CheckEvent event;
  event.target = a;
  metrics.recordCheck(event, start + 1s);
  metrics.recordCheck(event, start + 6s);  // a twice: still waiting for b
  EXPECT_EQ(metrics.rounds(), 0u);
  event.target = b;
  metrics.recordCheck(event, start + 7s);
  EXPECT_EQ(metrics.rounds(), 1u);
  EXPECT_EQ(metrics.lastRoundAt(), start + 7s);
  EXPECT_EQ(metrics.wall(start + 7s), CareMetrics::WallClock::time_point(1007s));
  observe::MetricsText out;
  metrics.writeCounters(out);
  EXPECT_NE(out.text().find("\nlvscare_last_check_round_timestamp_seconds 1007\n"), std::string::npos) << out.text();
}

}  // namespace
}  // namespace lvscare::care
