#include "care/check_log.hpp"

#include <gtest/gtest.h>

#include "lvscare/log.hpp"

namespace lvscare::care {
namespace {

using namespace std::chrono_literals;

std::vector<std::string>& lines() {
  static std::vector<std::string> collected;
  return collected;
}
void collect(LogLevel, std::string_view line) { lines().emplace_back(line); }

class CheckLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lines().clear();
    setLogSink(&collect);
    setLogLevel(LogLevel::Debug);  // the level at which LVScare flooded
  }
  void TearDown() override {
    setLogSink(nullptr);
    setLogLevel(LogLevel::Info);
  }
  health::CheckEvent event(bool healthy, std::string detail) {
    health::CheckEvent e;
    e.target = server;
    e.result = health::ProbeResult{healthy, std::move(detail), 1ms};
    return e;
  }
  const Endpoint server = *Endpoint::parse("192.168.0.2:6443");
  health::TimePoint now{};
};

TEST_F(CheckLogTest, TheSameFailureEveryIntervalIsLoggedOnceThenSummarised) {
  CheckLog log(10min);
  log.record(event(true, "HTTP 200"), now);
  for (int i = 0; i < 100; ++i) {
    now += 5s;
    log.record(event(false, "connect: Connection refused"), now);  // 500 s of the same failure
  }
  ASSERT_EQ(lines().size(), 2u);
  EXPECT_NE(lines()[1].find("check rs=192.168.0.2:6443 result=failure detail=\"connect: Connection refused\""),
            std::string::npos)
      << lines()[1];
  EXPECT_NE(lines()[1].find("previous=success repeated=1"), std::string::npos);
  for (int i = 0; i < 40; ++i) {  // 200 s more: past 10 minutes since the first line
    now += 5s;
    log.record(event(false, "connect: Connection refused"), now);
  }
  ASSERT_EQ(lines().size(), 3u);
  EXPECT_NE(lines()[2].find("still failing failures=121 for=600s"), std::string::npos) << lines()[2];
  now += 5s;
  log.record(event(true, "HTTP 200"), now);
  ASSERT_EQ(lines().size(), 4u);
  EXPECT_NE(lines()[3].find("result=success detail=\"HTTP 200\""), std::string::npos) << lines()[3];
  EXPECT_NE(lines()[3].find("previous=failure repeated=140"), std::string::npos) << lines()[3];
  EXPECT_EQ(log.lines(), 4u);
}

TEST_F(CheckLogTest, ANewKindOfFailureIsLoggedAndRepeatedSuccessesAreNot) {
  CheckLog log;
  for (int i = 0; i < 50; ++i) log.record(event(true, "HTTP 200"), now += 5s);
  EXPECT_EQ(lines().size(), 1u);
  log.record(event(false, "HTTP 503"), now += 5s);
  log.record(event(false, "HTTP 503"), now += 5s);
  log.record(event(false, "timed out after 5s (waiting for the response headers)"), now += 5s);
  ASSERT_EQ(lines().size(), 3u);
  EXPECT_NE(lines()[2].find("previous=failure repeated=2"), std::string::npos) << lines()[2];
}

TEST_F(CheckLogTest, EachServerHasItsOwnRun) {
  CheckLog log;
  health::CheckEvent other = event(false, "HTTP 503");
  other.target = *Endpoint::parse("192.168.0.3:6443");
  log.record(event(false, "HTTP 503"), now);
  log.record(other, now);
  log.record(event(false, "HTTP 503"), now += 5s);
  log.record(other, now);
  EXPECT_EQ(lines().size(), 2u);
}

}  // namespace
}  // namespace lvscare::care
