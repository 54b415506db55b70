#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "staticpod/manifest_file.hpp"
#include "support/temp_dir.hpp"

namespace lvscare::staticpod {
namespace {

class ManifestFileTest : public ::testing::Test {
 protected:
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  struct stat statOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st;
  }

  // Names in the directory other than . and .. (to catch leftover temporary files).
  std::vector<std::string> entries() {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir_.c_str());
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    return names;
  }

  lvscare::testing::TempDir tmp_;
  const std::string dir_ = tmp_.path().string();
  const std::string path_ = tmp_ / "pod.yaml";
};

TEST_F(ManifestFileTest, WritesNewFileWithMode0600) {
  const mode_t old = ::umask(0);  // fchmod sets the mode whatever the umask
  auto outcome = replaceFileIfChanged(path_, "hello\n", 0600);
  ::umask(old);
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_EQ(*outcome, WriteOutcome::Written);
  EXPECT_EQ(statOf(path_).st_mode & 07777, 0600u);
  EXPECT_EQ(read(path_), "hello\n");
  EXPECT_EQ(entries(), std::vector<std::string>{"pod.yaml"});
}

TEST_F(ManifestFileTest, SameContentLeavesTheFileAlone) {
  ASSERT_TRUE(replaceFileIfChanged(path_, "same\n", 0600));
  // Back-date the file: an untouched file keeps this mtime exactly (no sleeping needed).
  const timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path_.c_str(), times, 0), 0);
  const struct stat before = statOf(path_);

  auto outcome = replaceFileIfChanged(path_, "same\n", 0600);
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_EQ(*outcome, WriteOutcome::Unchanged);
  const struct stat after = statOf(path_);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_sec, 1000000000);
  EXPECT_EQ(entries(), std::vector<std::string>{"pod.yaml"});
}

TEST_F(ManifestFileTest, ChangedContentReplacesTheFileAtomically) {
  ASSERT_TRUE(replaceFileIfChanged(path_, "old\n", 0644));
  const struct stat before = statOf(path_);
  // A reader holding the old file keeps reading the old content: the new one is a new inode.
  std::ifstream reader(path_);
  auto outcome = replaceFileIfChanged(path_, "new\n", 0600);
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_EQ(*outcome, WriteOutcome::Written);
  const struct stat after = statOf(path_);
  EXPECT_NE(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mode & 07777, 0600u);
  EXPECT_EQ(read(path_), "new\n");
  std::string old;
  std::getline(reader, old);
  EXPECT_EQ(old, "old");
  EXPECT_EQ(entries(), std::vector<std::string>{"pod.yaml"});
}

TEST_F(ManifestFileTest, MissingDirectoryIsAnErrorNamingIt) {
  auto outcome = replaceFileIfChanged(dir_ + "/absent/pod.yaml", "x", 0600);
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.error().message.find(dir_ + "/absent"), std::string::npos) << outcome.error().message;
  EXPECT_EQ(outcome.error().sysErrno, ENOENT);
}

TEST_F(ManifestFileTest, TargetThatIsADirectoryFailsAndLeavesNoTemporaryFile) {
  ASSERT_EQ(::mkdir(path_.c_str(), 0755), 0);
  auto outcome = replaceFileIfChanged(path_, "x", 0600);
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.error().message.find("rename"), std::string::npos) << outcome.error().message;
  EXPECT_EQ(entries(), std::vector<std::string>{"pod.yaml"});
}

}  // namespace
}  // namespace lvscare::staticpod
