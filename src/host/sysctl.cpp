#include "host/sysctl.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "host/file_io.hpp"

namespace lvscare::host {
namespace {

constexpr std::size_t kMaxName = 256;
constexpr std::size_t kMaxValue = 256;

bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

std::string trimNewline(std::string value) {
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  return value;
}

}  // namespace

Result<void> validateSysctlName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxName && name.front() != '.' && name.back() != '.' &&
            name.find("..") == std::string_view::npos;
  ok = ok && std::all_of(name.begin(), name.end(), [](char c) { return c == '.' || isNameChar(c); });
  if (!ok) {
    return fail(Errc::InvalidArgument, "invalid sysctl name '" + std::string(name) +
                                           "': want dot-separated parts of letters, digits, '_' and '-'");
  }
  return {};
}

Result<std::string> sysctlPath(std::string_view name, const std::string& procSys) {
  if (auto valid = validateSysctlName(name); !valid) return passOn(valid);
  std::string relative(name);
  std::replace(relative.begin(), relative.end(), '.', '/');
  return procSys + "/" + relative;
}

Result<std::string> readSysctl(std::string_view name, const std::string& procSys) {
  auto path = sysctlPath(name, procSys);
  if (!path) return passOn(path);
  auto content = readFile(*path, 64 * 1024);
  if (!content) {
    if (content.error().code == Errc::NotFound) {
      return fail(Errc::NotFound, "the kernel has no sysctl " + std::string(name), content.error().sysErrno);
    }
    return passOn(content, "sysctl " + std::string(name));
  }
  return trimNewline(std::move(*content));
}

Result<Change> setSysctl(std::string_view name, std::string_view value, const std::string& procSys) {
  const bool valueOk =
      !value.empty() && value.size() <= kMaxValue &&
      std::all_of(value.begin(), value.end(), [](char c) { return std::isprint(static_cast<unsigned char>(c)); });
  if (!valueOk) {
    return fail(Errc::InvalidArgument, "invalid value '" + std::string(value) + "' for sysctl " + std::string(name));
  }
  auto current = readSysctl(name, procSys);
  if (!current) return passOn(current);
  if (*current == value) return Change::Unchanged;
  auto written = writeExistingFile(*sysctlPath(name, procSys), std::string(value) + "\n");
  if (!written) {
    const int err = written.error().sysErrno;
    if (err == EACCES || err == EPERM || err == EROFS) {
      return fail(Errc::Permission,
                  "set sysctl " + std::string(name) + "=" + std::string(value) +
                      ": needs root with CAP_NET_ADMIN and a writable /proc/sys",
                  err);
    }
    return passOn(written, "set sysctl " + std::string(name) + "=" + std::string(value));
  }
  return Change::Replaced;
}

}  // namespace lvscare::host
