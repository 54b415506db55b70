#include "host/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "lvscare/unique_fd.hpp"

namespace lvscare::host {

Result<std::string> readFile(const std::string& path, std::size_t limit) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return failErrno(errno, "read " + path);
  std::string content;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failErrno(errno, "read " + path);
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > limit) {
      return fail(Errc::InvalidArgument, "read " + path + ": larger than " + std::to_string(limit) + " bytes");
    }
  }
  return content;
}

Result<void> writeExistingFile(const std::string& path, std::string_view content) {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return failErrno(errno, "write " + path);
  ssize_t n;
  do {
    n = ::write(fd.get(), content.data(), content.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return failErrno(errno, "write " + path);
  if (static_cast<std::size_t>(n) != content.size()) {
    return fail(Errc::Io, "write " + path + ": short write (" + std::to_string(n) + " of " +
                              std::to_string(content.size()) + " bytes)");
  }
  return {};
}

bool pathExists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

}  // namespace lvscare::host
