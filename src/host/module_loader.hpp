// Loading kernel modules without modprobe: finit_module(2) on the .ko files that
// /lib/modules/<release>/modules.dep names, hard dependencies first, soft pre-dependencies
// (modules.softdep, e.g. libcrc32c's "pre: crc32c" -> crc32c_generic) best effort before them.
// Already-loaded (/sys/module/<name>) and builtin (modules.builtin) modules are success.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "lvscare/kernel_module.hpp"
#include "lvscare/result.hpp"

namespace lvscare::host {

// The finit_module(2) call: returns 0 or an errno. `path` is the file behind `fd`, for fakes.
using FinitModuleCall = std::function<int(int fd, const std::string& path, int flags)>;

struct ModuleLoaderOptions {
  std::string root = "/";       // lib/modules/<release>/ and sys/module/ are found under it
  std::string release;          // empty: the running kernel's (uname -r)
  FinitModuleCall finitModule;  // empty: the real system call
};

// The index files are read once, on the first module that is not loaded yet. Not thread-safe:
// call from one thread (the care loop's).
ModuleLoader makeModuleLoader(ModuleLoaderOptions options = {});

}  // namespace lvscare::host
