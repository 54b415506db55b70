#include "lvscare/result.hpp"

#include <cerrno>
#include <cstring>

namespace lvscare {

std::string_view toString(Errc code) {
  switch (code) {
    case Errc::InvalidArgument: return "invalid argument";
    case Errc::NotFound: return "not found";
    case Errc::Exists: return "exists";
    case Errc::Permission: return "permission denied";
    case Errc::Unsupported: return "unsupported";
    case Errc::Kernel: return "kernel error";
    case Errc::Malformed: return "malformed";
    case Errc::Io: return "i/o error";
    case Errc::Timeout: return "timeout";
    case Errc::Foreign: return "not ours";
  }
  return "unknown";
}

std::string Error::describe() const {
  if (sysErrno == 0) return message;
  return message + " (errno " + std::to_string(sysErrno) + ")";
}

Errc errcFromErrno(int err) {
  switch (err) {
    case EEXIST: return Errc::Exists;
    case ENOENT:
    case ESRCH:
    case ENODEV:
    case ENXIO: return Errc::NotFound;
    case EPERM:
    case EACCES: return Errc::Permission;
    case EOPNOTSUPP:
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT: return Errc::Unsupported;
    case EINVAL: return Errc::InvalidArgument;
    case ETIMEDOUT: return Errc::Timeout;
    default: return Errc::Kernel;
  }
}

Failure failErrno(int err, std::string what) {
  return fail(errcFromErrno(err), std::move(what) + ": " + std::strerror(err), err);
}

}  // namespace lvscare
