// Small whole-file reads and writes for /proc, /sys, /etc and /lib/modules, with errors that name
// the file. Not for large files: the read is bounded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "lvscare/result.hpp"

namespace lvscare::host {

// Fails with Errc::Io (or NotFound / Permission from errno) naming `path`; Errc::InvalidArgument
// when the file is larger than `limit` bytes.
Result<std::string> readFile(const std::string& path, std::size_t limit = 16u << 20);
// One write(2) of `content` into an existing file (no create, no truncate): how /proc/sys is set.
Result<void> writeExistingFile(const std::string& path, std::string_view content);
bool pathExists(const std::string& path);

}  // namespace lvscare::host
