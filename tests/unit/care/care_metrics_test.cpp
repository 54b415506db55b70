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
  EXPECT_EQ(partOfHostChange("nat hook table lvscare_nathook_10.103.97.12 installed"), RepairPart::NftablesTable);
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

TEST(CareMetrics, EvidenceByKindAndOutcome) {
  const Endpoint a = *Endpoint::parse("192.168.0.2:6443");
  CareMetrics metrics({a}, health::TimePoint{}, CareMetrics::WallClock::time_point(1000s));
  using Outcome = CareMetrics::EvidenceOutcome;
  metrics.recordEvidence(a, health::FailureKind::Refused, Outcome::Acted);
  metrics.recordEvidence(a, health::FailureKind::Refused, Outcome::Ignored);
  metrics.recordEvidence(a, health::FailureKind::Refused, Outcome::Ignored);
  metrics.recordEvidence(a, health::FailureKind::Refused, Outcome::Unconfirmed);
  observe::MetricsText out;
  metrics.writeCounters(out);
  const std::string& text = out.text();
  EXPECT_NE(
      text.find("lvscare_evidence_total{real_server=\"192.168.0.2:6443\",kind=\"refused\",outcome=\"acted\"} 1\n"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("lvscare_evidence_total{real_server=\"192.168.0.2:6443\",kind=\"refused\",outcome=\"ignored\"} 2\n"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          "lvscare_evidence_total{real_server=\"192.168.0.2:6443\",kind=\"refused\",outcome=\"unconfirmed\"} 1\n"),
      std::string::npos)
      << text;
  EXPECT_EQ(text.find("lvscare_canary"), std::string::npos) << "no canary families while canaries are off";
}

TEST(CareMetrics, CanaryEventsAndWhetherItIsOpen) {
  const Endpoint a = *Endpoint::parse("192.168.0.2:6443");
  const Endpoint b = *Endpoint::parse("192.168.0.3:6443");
  CareMetrics metrics({a, b}, health::TimePoint{}, CareMetrics::WallClock::time_point(1000s));
  using health::CanaryEvent;
  for (CanaryEvent event : {CanaryEvent::Opened, CanaryEvent::Closed, CanaryEvent::Opened})
    metrics.recordCanary(a, event);
  for (CanaryEvent event : {CanaryEvent::Opened, CanaryEvent::Closed, CanaryEvent::Death})
    metrics.recordCanary(b, event);
  observe::MetricsText out;
  metrics.writeCounters(out);
  const std::string& text = out.text();
  for (const char* sample : {
           "lvscare_canary_events_total{real_server=\"192.168.0.2:6443\",event=\"opened\"} 2\n",
           "lvscare_canary_events_total{real_server=\"192.168.0.2:6443\",event=\"closed\"} 1\n",
           "lvscare_canary_events_total{real_server=\"192.168.0.3:6443\",event=\"death\"} 1\n",
           "lvscare_canary_open{real_server=\"192.168.0.2:6443\"} 1\n",
           "lvscare_canary_open{real_server=\"192.168.0.3:6443\"} 0\n",
       }) {
    EXPECT_NE(text.find(sample), std::string::npos) << sample << " in\n" << text;
  }
}

}  // namespace
}  // namespace lvscare::care
