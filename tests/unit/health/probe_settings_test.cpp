// Issue 11, item 3: no silent option. TLS files turn verification on unless
// --health-insecure-skip-verify=true was given (then the CA is unused, with a warning); a timeout
// above the interval is cut with one warning.
#include "health/probe_settings.hpp"

#include <gtest/gtest.h>

namespace lvscare::health {
namespace {

using namespace std::chrono_literals;

ProbeConfig https() {
  ProbeConfig probe;
  probe.scheme = Scheme::Https;
  probe.timeout = 2s;
  return probe;
}

TEST(ProbeSettingsTest, DefaultsSkipVerificationSilently) {
  const auto resolved = resolveProbeSettings(https(), 5s);
  EXPECT_TRUE(resolved.probe.insecureSkipVerify);
  EXPECT_TRUE(resolved.notes.empty());
}

TEST(ProbeSettingsTest, TlsFileWithoutTheFlagTurnsVerificationOn) {
  for (auto set : {+[](ProbeConfig& p) { p.caFile = "/ca.pem"; }, +[](ProbeConfig& p) { p.certFile = "/c.pem"; },
                   +[](ProbeConfig& p) { p.keyFile = "/k.pem"; }, +[](ProbeConfig& p) { p.serverName = "api"; }}) {
    ProbeConfig probe = https();
    set(probe);
    const auto resolved = resolveProbeSettings(probe, 5s);
    EXPECT_FALSE(resolved.probe.insecureSkipVerify);
    ASSERT_EQ(resolved.notes.size(), 1u);
    EXPECT_FALSE(resolved.notes[0].warning);
    EXPECT_NE(resolved.notes[0].text.find("server certificates are verified"), std::string::npos);
  }
}

TEST(ProbeSettingsTest, ExplicitTrueKeepsSkippingAndWarnsTheCaIsUnused) {
  ProbeConfig probe = https();
  probe.caFile = "/ca.pem";
  probe.insecureSkipVerifyGiven = true;
  const auto resolved = resolveProbeSettings(probe, 5s);
  EXPECT_TRUE(resolved.probe.insecureSkipVerify);
  ASSERT_EQ(resolved.notes.size(), 1u);
  EXPECT_TRUE(resolved.notes[0].warning);
  EXPECT_EQ(resolved.notes[0].text,
            "--health-ca-file given with --health-insecure-skip-verify=true: the CA is unused, server certificates "
            "are not verified");
  // Explicit true without a CA (a client certificate is still presented): nothing to say.
  probe.caFile.clear();
  probe.certFile = "/c.pem";
  EXPECT_TRUE(resolveProbeSettings(probe, 5s).notes.empty());
}

TEST(ProbeSettingsTest, ExplicitFalseVerifies) {
  ProbeConfig probe = https();
  probe.insecureSkipVerify = false;
  probe.insecureSkipVerifyGiven = false;
  const auto resolved = resolveProbeSettings(probe, 5s);
  EXPECT_FALSE(resolved.probe.insecureSkipVerify);
  EXPECT_TRUE(resolved.notes.empty());
}

TEST(ProbeSettingsTest, TlsSettingsWithPlainHttpAreReportedUnused) {
  ProbeConfig probe = https();
  probe.scheme = Scheme::Http;
  probe.caFile = "/ca.pem";
  probe.serverName = "api";
  const auto resolved = resolveProbeSettings(probe, 5s);
  ASSERT_EQ(resolved.notes.size(), 1u);
  EXPECT_TRUE(resolved.notes[0].warning);
  EXPECT_EQ(resolved.notes[0].text,
            "--health-ca-file, --health-server-name given with --health-schem http: unused (TLS settings apply to "
            "https only)");
}

TEST(ProbeSettingsTest, TimeoutAboveTheIntervalIsCutWithOneWarning) {
  ProbeConfig probe = https();
  probe.timeout = 10s;
  const auto resolved = resolveProbeSettings(probe, 5s);
  EXPECT_EQ(resolved.probe.timeout, Duration(5s));
  ASSERT_EQ(resolved.notes.size(), 1u);
  EXPECT_TRUE(resolved.notes[0].warning);
  EXPECT_EQ(resolved.notes[0].text, "--health-timeout 10s is above --interval 5s: each probe is cut at 5s");
  probe.timeout = 5s;  // equal: fine
  EXPECT_TRUE(resolveProbeSettings(probe, 5s).notes.empty());
}

// Issue 14, item 4: LVScare accepts any interval and timeout; below the floors they are raised,
// with one warning each.
TEST(ProbeSettingsTest, TimingsBelowTheFloorsAreRaisedWithOneWarningEach) {
  CheckPolicy policy;
  policy.interval = 1ns;
  policy.fastInterval = 1ms;
  const auto raised = resolvePolicy(policy);
  EXPECT_EQ(raised.policy.interval, kMinInterval);
  EXPECT_EQ(raised.policy.fastInterval, kMinInterval);
  ASSERT_EQ(raised.notes.size(), 2u);
  EXPECT_EQ(raised.notes[0].text, "--interval 1ns is below 100ms: raised to 100ms (a shorter one checks in a busy loop)");
  EXPECT_TRUE(raised.notes[0].warning);
  EXPECT_EQ(raised.notes[1].text,
            "--health-fast-interval 1ms is below 100ms: raised to 100ms (a shorter one checks in a busy loop)");

  ProbeConfig probe = https();
  probe.timeout = 1ns;
  const auto resolved = resolveProbeSettings(probe, raised.policy.interval);
  EXPECT_EQ(resolved.probe.timeout, kMinTimeout);
  ASSERT_EQ(resolved.notes.size(), 1u);
  EXPECT_EQ(resolved.notes[0].text,
            "--health-timeout 1ns is below 100ms: raised to 100ms (a shorter timeout fails servers that answer)");
}

TEST(ProbeSettingsTest, TimingsAtOrAboveTheFloorsAndAnUnsetFastIntervalAreLeftAlone) {
  CheckPolicy policy;
  policy.interval = 100ms;
  policy.fastInterval = Duration::zero();
  const auto kept = resolvePolicy(policy);
  EXPECT_EQ(kept.policy.interval, 100ms);
  EXPECT_EQ(kept.policy.fastInterval, Duration::zero());
  EXPECT_TRUE(kept.notes.empty());
}

}  // namespace
}  // namespace lvscare::health
