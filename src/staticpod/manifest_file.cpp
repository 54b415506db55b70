#include "staticpod/manifest_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "host/file_io.hpp"
#include "lvscare/unique_fd.hpp"

namespace lvscare::staticpod {
namespace {

std::string directoryOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string baseName(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<void> writeAll(int fd, std::string_view content, const std::string& what) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failErrno(errno, "write " + what);
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

Result<WriteOutcome> replaceFileIfChanged(const std::string& path, std::string_view content, mode_t mode) {
  auto existing = host::readFile(path, content.size() + 1);  // a larger file differs anyway
  if (existing && *existing == content) return WriteOutcome::Unchanged;
  // An unreadable or odd target (a directory, say) is reported by the rename below, with its errno.

  const std::string directory = directoryOf(path);
  // A leading dot: kubelet ignores hidden files in its manifest directory, so it never sees a
  // half-written temporary file.
  std::string temp = directory + "/." + baseName(path) + ".tmp-XXXXXX";
  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0) return failErrno(errno, "create temporary file in " + directory);
  auto cleanup = [&](Failure error) {  // the errno was taken before unlink
    ::unlink(temp.c_str());
    return error;
  };
  if (::fchmod(fd.get(), mode) != 0) return cleanup(failErrno(errno, "chmod " + temp));
  if (auto written = writeAll(fd.get(), content, temp); !written) return cleanup(passOn(written));
  if (::fsync(fd.get()) != 0) return cleanup(failErrno(errno, "fsync " + temp));
  // close() reports a delayed write error, so it is checked here, not left to the destructor.
  if (::close(fd.release()) != 0) return cleanup(failErrno(errno, "close " + temp));
  if (::rename(temp.c_str(), path.c_str()) != 0) return cleanup(failErrno(errno, "rename " + temp + " to " + path));

  // Make the rename itself durable.
  UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) return failErrno(errno, "fsync directory " + directory);
  return WriteOutcome::Written;
}

}  // namespace lvscare::staticpod
