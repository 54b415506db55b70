#include "observe/process_metrics.hpp"

#include <gtest/gtest.h>

namespace lvscare::observe {
namespace {

TEST(ProcStat, CountsFieldsFromTheLastParenthesisOfTheCommand) {
  // A command name with spaces and parentheses must not shift the fields.
  const std::string text =
      "4242 (we (ird) name) S 1 4242 4242 0 -1 4194560 300 0 0 0 "
      "150 75 0 0 20 0 1 0 98765 123456789 1024 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto stat = parseProcStat(text);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->utimeTicks, 150u);
  EXPECT_EQ(stat->stimeTicks, 75u);
  EXPECT_EQ(stat->startTicks, 98765u);
  EXPECT_EQ(stat->virtualBytes, 123456789u);
  EXPECT_EQ(stat->residentPages, 1024u);
  EXPECT_FALSE(parseProcStat("4242 (cut short) S 1 2 3"));
  EXPECT_FALSE(parseProcStat("no parenthesis at all"));
}

TEST(ProcStat, BootTimeFromProcStat) {
  EXPECT_EQ(parseBootTime("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 10\n"), 1700000000u);
  EXPECT_EQ(parseBootTime("cpu  1 2 3\n"), std::nullopt);
  EXPECT_EQ(parseBootTime("btime soon\n"), std::nullopt);
}

TEST(ProcessMetrics, ThisProcessHasEveryFamily) {
  MetricsText out;
  writeProcessMetrics(out);
  for (const char* name :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_virtual_memory_bytes ",
        "process_open_fds ", "process_max_fds ", "process_start_time_seconds "}) {
    EXPECT_NE(out.text().find(std::string("\n") + name), std::string::npos) << name << "\n" << out.text();
  }
}

}  // namespace
}  // namespace lvscare::observe
