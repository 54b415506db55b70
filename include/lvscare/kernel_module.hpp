// How the layers that need a kernel module ask for it. The host layer's finit_module loader
// (host::makeModuleLoader) is the one implementation; the datapaths sit below host, so they take it
// as this function.
#pragma once

#include <functional>
#include <string_view>

#include "lvscare/result.hpp"

namespace lvscare {

// Loads `module` by name ("ip_vs", "ip_vs_mh", "dummy") with what it depends on, or says clearly why
// it could not. Already loaded or builtin is success.
using ModuleLoader = std::function<Result<void>(std::string_view module)>;

}  // namespace lvscare
