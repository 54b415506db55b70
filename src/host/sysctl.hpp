// Kernel parameters under /proc/sys, named as sysctl(8) names them ("net.ipv4.vs.conntrack").
// Names are checked before any path is built: dotted components of [A-Za-z0-9_-], so no name can
// reach outside /proc/sys. (Interface names containing '.' are not expressible; none of ours do.)
// /proc/sys/net is per network namespace: the values are those of the calling thread's namespace.
#pragma once

#include <string>
#include <string_view>

#include "host/change.hpp"
#include "lvscare/result.hpp"

namespace lvscare::host {

inline constexpr const char* kProcSys = "/proc/sys";

Result<void> validateSysctlName(std::string_view name);
// "net.ipv4.vs.conntrack" -> "<procSys>/net/ipv4/vs/conntrack", after validation.
Result<std::string> sysctlPath(std::string_view name, const std::string& procSys = kProcSys);

// The value without its trailing newline. Errc::NotFound when the kernel has no such parameter
// (for net.ipv4.vs.* that means ip_vs is not loaded).
Result<std::string> readSysctl(std::string_view name, const std::string& procSys = kProcSys);

// Writes only when the value differs (Unchanged otherwise), so an already-right value needs no
// privilege and no writable /proc/sys. Values: 1..256 printable characters, no newline.
// Errc::Permission names what is needed.
Result<Change> setSysctl(std::string_view name, std::string_view value, const std::string& procSys = kProcSys);

}  // namespace lvscare::host
