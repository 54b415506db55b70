#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "core/log_writer.hpp"
#include "lvscare/log.hpp"

namespace lvscare {
namespace {

// A reader the test controls: write() blocks until the test lets it go, like a pipe nobody drains.
class StalledReader {
 public:
  void write(std::string_view line) {
    std::unique_lock lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    lines_.emplace_back(line);
  }
  void waitUntilEntered(int count) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return entered_ >= count; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int entered_ = 0;
  bool open_ = false;
  std::vector<std::string> lines_;
};

TEST(AsyncLineWriterTest, ABlockedReaderNeverBlocksTheCallerAndDropsAreReportedOnceItReadsAgain) {
  StalledReader reader;
  AsyncLineWriter writer([&](std::string_view line) { reader.write(line); },
                         [](std::uint64_t n) { return "dropped " + std::to_string(n); }, 20);
  writer.push("first");
  reader.waitUntilEntered(1);  // the writer thread is stuck in write() with "first"
  // 20 bytes of queue: four 5-byte lines fit, the rest are dropped, and no push waits.
  for (int i = 0; i < 10; ++i) writer.push("line" + std::to_string(i));
  EXPECT_EQ(writer.droppedTotal(), 6u);
  reader.open();
  ASSERT_TRUE(writer.flush(std::chrono::seconds(10)));
  EXPECT_EQ(reader.lines(), (std::vector<std::string>{"first", "line0", "line1", "line2", "line3", "dropped 6"}));
  writer.push("after");
  ASSERT_TRUE(writer.flush(std::chrono::seconds(10)));
  EXPECT_EQ(reader.lines().back(), "after");
  EXPECT_EQ(writer.droppedTotal(), 6u);
}

TEST(AsyncLineWriterTest, TheNoticePrecedesTheFirstLineQueuedAfterTheDrops) {
  StalledReader reader;
  AsyncLineWriter writer([&](std::string_view line) { reader.write(line); },
                         [](std::uint64_t n) { return "dropped " + std::to_string(n); }, 10);
  writer.push("aaaaa");
  reader.waitUntilEntered(1);
  writer.push("bbbbb");
  writer.push("ccccc");
  writer.push("ddddddddddd");  // larger than the whole queue: dropped
  EXPECT_EQ(writer.droppedTotal(), 1u);
  reader.open();
  ASSERT_TRUE(writer.flush(std::chrono::seconds(10)));
  EXPECT_EQ(reader.lines(), (std::vector<std::string>{"aaaaa", "bbbbb", "ccccc", "dropped 1"}));
}

TEST(LogTest, MessagesStayOneLineWhateverTheyEcho) {
  const std::string line =
      formatLine(LogLevel::Error, "bad --vs 10.1.1.1:80\n2026-01-01T00:00:00.000Z EROR fake \x1b[31m");
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_NE(line.find("10.1.1.1:80\\n2026"), std::string::npos);
  EXPECT_NE(line.find("\\x1b[31m"), std::string::npos);
}

TEST(LogTest, LogValueQuotesAndEscapesControlCharacters) {
  EXPECT_EQ(logValue("plain"), "plain");
  EXPECT_EQ(logValue("a b"), "\"a b\"");
  EXPECT_EQ(logValue("a\nb"), "\"a\\nb\"");
  EXPECT_EQ(logValue("\x1b"), "\"\\x1b\"");
  EXPECT_EQ(logValue("tab\there"), "\"tab\\there\"");
  EXPECT_EQ(printable("ok \\ \"quoted\""), "ok \\ \"quoted\"");
}

}  // namespace
}  // namespace lvscare
