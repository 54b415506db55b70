#include "host/module_loader.hpp"

#include <fcntl.h>
#include <linux/module.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "host/file_io.hpp"
#include "lvscare/unique_fd.hpp"
#include "host/module_index.hpp"

namespace lvscare::host {
namespace {

int realFinitModule(int fd, const std::string&, int flags) {
  return ::syscall(SYS_finit_module, fd, "", flags) == 0 ? 0 : errno;
}

bool isCompressed(std::string_view path) {
  for (std::string_view suffix : {".ko.xz", ".ko.zst", ".ko.gz"}) {
    if (path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix) return true;
  }
  return false;
}

class Loader {
 public:
  explicit Loader(ModuleLoaderOptions options) : options_(std::move(options)) {
    if (options_.root.empty() || options_.root.back() != '/') options_.root += '/';
    if (options_.release.empty()) {
      utsname name{};
      if (::uname(&name) == 0) options_.release = name.release;
    }
    if (!options_.finitModule) options_.finitModule = realFinitModule;
    modulesDir_ = options_.root + "lib/modules/" + options_.release;
  }

  Result<void> load(std::string_view requested) {
    if (auto valid = validateModuleName(requested); !valid) return valid;
    const std::string module = normalizeModuleName(requested);
    if (isLoaded(module)) return {};
    if (auto index = loadIndex(); !index) return notFound(module, index.error().message);
    if (index_->isBuiltin(module)) return {};
    auto plan = planModuleLoad(*index_, module);
    if (!plan) return notFound(module, plan.error().message);
    for (const auto& step : *plan) {
      if (isLoaded(step.name)) continue;
      auto loaded = insert(module, step);
      if (!loaded && step.required) return loaded;
    }
    return {};
  }

 private:
  bool isLoaded(const std::string& module) const { return pathExists(options_.root + "sys/module/" + module); }

  Failure notFound(const std::string& module, const std::string& why) const {
    return fail(Errc::NotFound, "module " + module + " not found under " + modulesDir_ + ": " + why);
  }

  Result<void> loadIndex() {
    if (index_) return {};
    auto dep = readFile(modulesDir_ + "/modules.dep");
    if (!dep) return passOn(dep);
    ModuleIndex index;
    if (auto parsed = index.addDependencies(*dep); !parsed) return parsed;
    // The others are optional: without them there are simply no builtins, soft deps or aliases.
    if (auto builtin = readFile(modulesDir_ + "/modules.builtin")) index.addBuiltin(*builtin);
    if (auto softdep = readFile(modulesDir_ + "/modules.softdep")) index.addSoftDependencies(*softdep);
    if (auto alias = readFile(modulesDir_ + "/modules.alias", 64u << 20)) index.addAliases(*alias);
    index_ = std::move(index);
    return {};
  }

  Result<void> insert(const std::string& requested, const LoadStep& step) {
    const std::string path = modulesDir_ + "/" + step.path;
    const std::string what = "load module " + step.name + (step.name == requested ? "" : " (for " + requested + ")");
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT) return notFound(step.name, step.path + " is listed in modules.dep but missing");
      return failErrno(errno, what + ": open " + path);
    }
    const bool compressed = isCompressed(path);
    const int err = options_.finitModule(fd.get(), path, compressed ? MODULE_INIT_COMPRESSED_FILE : 0);
    switch (err) {
      case 0:
      case EEXIST: return {};  // loaded meanwhile, by us or someone else
      case EPERM:
        return fail(Errc::Permission, what + ": needs CAP_SYS_MODULE (or kernel.modules_disabled is set)", err);
      case ENOSYS: return fail(Errc::Unsupported, what + ": the kernel has no module support", err);
      case ENOEXEC: return fail(Errc::Kernel, what + ": " + path + " is not a valid module for this kernel", err);
      case ENOENT:  // from the kernel this is an unresolved symbol, not a missing file
        return fail(Errc::Kernel, what + " from " + path + ": unknown symbol (see the kernel log)", err);
      case EINVAL:
        if (compressed) {
          return fail(Errc::Unsupported,
                      what + ": " + path + " is compressed and this kernel cannot decompress " +
                          "modules itself (needs Linux 6.4+ with CONFIG_MODULE_DECOMPRESS)",
                      err);
        }
        [[fallthrough]];
      default: return failErrno(err, what + " from " + path);
    }
  }

  ModuleLoaderOptions options_;
  std::string modulesDir_;
  std::optional<ModuleIndex> index_;
};

}  // namespace

ModuleLoader makeModuleLoader(ModuleLoaderOptions options) {
  auto loader = std::make_shared<Loader>(std::move(options));
  return [loader](std::string_view module) { return loader->load(module); };
}

}  // namespace lvscare::host
