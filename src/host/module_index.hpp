// The kernel's module index files under /lib/modules/<release> (modules.dep, modules.builtin,
// modules.softdep, modules.alias), parsed, and the load plan for one module. Pure: no I/O.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lvscare/result.hpp"

namespace lvscare::host {

// "ip_vs" from "kernel/net/netfilter/ipvs/ip_vs.ko" (also .ko.xz, .ko.zst, .ko.gz); dashes become
// underscores, as the kernel names modules ("crc32c-intel.ko" -> "crc32c_intel").
std::string moduleNameFromPath(std::string_view path);
// Dashes to underscores: "ip-vs" and "ip_vs" are the same module.
std::string normalizeModuleName(std::string_view name);
// 1..55 characters (MODULE_NAME_LEN - 1) of [A-Za-z0-9_-].
Result<void> validateModuleName(std::string_view name);

struct ModuleEntry {
  std::string path;               // relative to the release directory, as modules.dep writes it
  std::vector<std::string> deps;  // paths of hard dependencies, in modules.dep order
};

class ModuleIndex {
 public:
  // modules.dep lines: "<path>: <dep path> <dep path>...". Malformed lines are an error naming them.
  Result<void> addDependencies(std::string_view modulesDep);
  // modules.builtin: one path per line.
  void addBuiltin(std::string_view modulesBuiltin);
  // modules.softdep: "softdep <module> pre: <name>... post: <name>...". Only pre: is used.
  void addSoftDependencies(std::string_view modulesSoftdep);
  // modules.alias: "alias <alias> <module>". Only plain aliases (no wildcards) are kept: they are
  // what soft dependencies name (e.g. "crc32c" -> crc32c_generic, crc32c_intel).
  void addAliases(std::string_view modulesAlias);

  const ModuleEntry* find(std::string_view name) const;
  bool isBuiltin(std::string_view name) const;
  // Module names a soft dependency name stands for: itself if it is a module, else its aliases.
  std::vector<std::string> resolve(std::string_view name) const;
  const std::vector<std::string>& softPre(std::string_view name) const;
  bool empty() const { return modules_.empty(); }

 private:
  std::map<std::string, ModuleEntry, std::less<>> modules_;
  std::set<std::string, std::less<>> builtin_;
  std::map<std::string, std::vector<std::string>, std::less<>> softPre_;
  std::map<std::string, std::vector<std::string>, std::less<>> aliases_;
};

struct LoadStep {
  std::string name;
  std::string path;      // relative to the release directory
  bool required = true;  // false for soft dependencies: their failure is ignored, as modprobe does
};

// Dependencies first, each module once: for every module in the chain, its soft pre-dependencies
// (optional, with their own hard dependencies), then its hard dependencies in the order modprobe
// uses (modules.dep lists them so that the last one loads first), then the module itself.
// Builtin modules are left out. Errc::NotFound when the module is neither in modules.dep nor builtin.
Result<std::vector<LoadStep>> planModuleLoad(const ModuleIndex& index, std::string_view name);

}  // namespace lvscare::host
