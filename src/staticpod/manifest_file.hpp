// Writing a manifest where kubelet watches: atomically, and only when its content changes (kubelet
// restarts a static pod whenever its file is rewritten).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "lvscare/result.hpp"

namespace lvscare::staticpod {

enum class WriteOutcome { Written, Unchanged };

// Makes `path` hold exactly `content` with permissions `mode`. When it already holds that content
// nothing is touched (same inode, same mtime) and the result is Unchanged. Otherwise the content goes
// to a temporary file in the same directory, named with a leading dot, is fsynced and renamed over
// `path`, and the directory is fsynced: a reader sees the old file or the new one, never a part.
Result<WriteOutcome> replaceFileIfChanged(const std::string& path, std::string_view content, mode_t mode);

}  // namespace lvscare::staticpod
