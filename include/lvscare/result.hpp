// Errors are values: every fallible call returns Result<T>. No exceptions cross a layer.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace lvscare {

enum class Errc {
  InvalidArgument,  // bad input from a user or caller
  NotFound,         // the kernel or a store has no such object (ENOENT, ESRCH)
  Exists,           // the object is there already (EEXIST)
  Permission,       // EPERM / EACCES: the message names the capability needed
  Unsupported,      // the kernel lacks the feature (module missing, family unknown)
  Kernel,           // any other error the kernel returned
  Malformed,        // a reply or input that does not parse
  Io,               // socket or file I/O failed
  Timeout,
  Foreign,  // named like ours but someone else's (a table without our mark): left untouched
};

std::string_view toString(Errc code);

struct Error {
  Errc code = Errc::Kernel;
  int sysErrno = 0;     // errno from the kernel or libc, 0 when none
  std::string message;  // one line, names what is wrong (includes the kernel's extended ACK text)

  // "message (errno 17)" or just "message". The message itself already says what errno means.
  std::string describe() const;
};

template <class T>
using Result = tl::expected<T, Error>;

// A failure, as returned from any function that returns Result<T>.
using Failure = tl::unexpected<Error>;

inline Failure fail(Errc code, std::string message, int sysErrno = 0) {
  return Failure(Error{code, sysErrno, std::move(message)});
}
inline Failure fail(Error error) { return Failure(std::move(error)); }

// Maps an errno to the nearest Errc (EEXIST -> Exists, ENOENT/ESRCH -> NotFound, EPERM -> Permission...).
Errc errcFromErrno(int err);

// A failure from errno: failErrno(EADDRINUSE, "bind netlink socket") has the message
// "bind netlink socket: Address already in use".
Failure failErrno(int err, std::string what);

// Prefixes context to an error as it travels up: "add real server 10.0.0.2:6443: <inner>".
inline Error withContext(Error e, std::string_view context) {
  e.message = std::string(context) + ": " + e.message;
  return e;
}

// The one way to pass a failed Result up, whatever its value type:
//   auto table = readTable(...);
//   if (!table) return passOn(table);                  // the error as it is
//   if (!table) return passOn(table, "read table x");  // "read table x: <inner>"
template <class T>
Failure passOn(const Result<T>& failed) {
  return Failure(failed.error());
}
template <class T>
Failure passOn(const Result<T>& failed, std::string_view context) {
  return Failure(withContext(failed.error(), context));
}

}  // namespace lvscare
