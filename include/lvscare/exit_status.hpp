// The exit statuses of both programs (lvscare and sealctl).
#pragma once

namespace lvscare {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the work failed: could not program the kernel or the host
inline constexpr int kExitUsage = 2;    // bad flags, variables or config; nothing on the host was changed

}  // namespace lvscare
