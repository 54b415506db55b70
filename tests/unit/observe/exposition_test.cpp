#include "observe/exposition.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace lvscare::observe {
namespace {

TEST(MetricsText, FamiliesSamplesAndEscapedLabels) {
  MetricsText out;
  out.family("lvscare_checks_total", MetricsText::Type::Counter, "Checks.\nBy reason \\ result.");
  out.sample("lvscare_checks_total", {{"real_server", "10.0.0.2:6443"}, {"reason", "a\"b\\c\nd"}}, 3);
  out.sample("lvscare_up", {}, 1);
  EXPECT_EQ(out.text(),
            "# HELP lvscare_checks_total Checks.\\nBy reason \\\\ result.\n"
            "# TYPE lvscare_checks_total counter\n"
            "lvscare_checks_total{real_server=\"10.0.0.2:6443\",reason=\"a\\\"b\\\\c\\nd\"} 3\n"
            "lvscare_up 1\n");
}

TEST(MetricsText, ValuesKeepFractionsAndNameSpecialOnes) {
  EXPECT_EQ(formatValue(0), "0");
  EXPECT_EQ(formatValue(12345678901), "12345678901");
  EXPECT_EQ(formatValue(0.25), "0.25");
  EXPECT_EQ(formatValue(1.5e-05), "1.5e-05");
  EXPECT_EQ(formatValue(INFINITY), "+Inf");
  EXPECT_EQ(formatValue(-INFINITY), "-Inf");
  EXPECT_EQ(formatValue(NAN), "NaN");
}

TEST(Histogram, BucketsAreCumulativeWithInfSumAndCount) {
  Histogram h({0.001, 0.01, 0.1});
  h.observe(0.0005);
  h.observe(0.005);
  h.observe(0.005);
  h.observe(5);
  MetricsText out;
  const Label labels[] = {{"part", "route"}};
  out.histogram("lvscare_repair_duration_seconds", labels, h);
  EXPECT_EQ(out.text(),
            "lvscare_repair_duration_seconds_bucket{part=\"route\",le=\"0.001\"} 1\n"
            "lvscare_repair_duration_seconds_bucket{part=\"route\",le=\"0.01\"} 3\n"
            "lvscare_repair_duration_seconds_bucket{part=\"route\",le=\"0.1\"} 3\n"
            "lvscare_repair_duration_seconds_bucket{part=\"route\",le=\"+Inf\"} 4\n"
            "lvscare_repair_duration_seconds_sum{part=\"route\"} 5.0105\n"
            "lvscare_repair_duration_seconds_count{part=\"route\"} 4\n");
}

}  // namespace
}  // namespace lvscare::observe
