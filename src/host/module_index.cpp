#include "host/module_index.hpp"

#include <algorithm>
#include <cctype>

#include "host/text.hpp"

namespace lvscare::host {
namespace {

constexpr std::size_t kMaxModuleName = 55;  // MODULE_NAME_LEN (64 - sizeof(unsigned long)) - 1
constexpr int kMaxDepth = 64;               // far beyond any real chain; stops a cyclic index

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// Every line that is neither blank nor a comment, trimmed.
template <class F>
void forEachEntry(std::string_view text, F&& onEntry) {
  forEachLine(text, [&](std::string_view line, std::size_t number) {
    line = trim(line);
    if (!line.empty() && line.front() != '#') onEntry(line, number);
  });
}

}  // namespace

std::string normalizeModuleName(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

std::string moduleNameFromPath(std::string_view path) {
  if (const auto slash = path.rfind('/'); slash != std::string_view::npos) path.remove_prefix(slash + 1);
  if (const auto ko = path.find(".ko"); ko != std::string_view::npos) path = path.substr(0, ko);
  return normalizeModuleName(path);
}

Result<void> validateModuleName(std::string_view name) {
  const bool charsOk = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  if (name.empty() || name.size() > kMaxModuleName || !charsOk) {
    return fail(Errc::InvalidArgument, "invalid kernel module name '" + std::string(name) +
                                           "': want 1-55 characters of letters, digits, '_' and '-'");
  }
  return {};
}

Result<void> ModuleIndex::addDependencies(std::string_view modulesDep) {
  std::string error;
  forEachEntry(modulesDep, [&](std::string_view line, std::size_t number) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      if (error.empty()) error = "modules.dep line " + std::to_string(number) + " has no '<path>:'";
      return;
    }
    ModuleEntry entry{std::string(line.substr(0, colon)), {}};
    for (auto dep : splitWords(line.substr(colon + 1))) entry.deps.emplace_back(dep);
    modules_.insert_or_assign(moduleNameFromPath(entry.path), std::move(entry));
  });
  if (!error.empty()) return fail(Errc::Malformed, error);
  return {};
}

void ModuleIndex::addBuiltin(std::string_view modulesBuiltin) {
  forEachEntry(modulesBuiltin, [&](std::string_view line, std::size_t) { builtin_.insert(moduleNameFromPath(line)); });
}

void ModuleIndex::addSoftDependencies(std::string_view modulesSoftdep) {
  forEachEntry(modulesSoftdep, [&](std::string_view line, std::size_t) {
    const auto parts = splitWords(line);
    if (parts.size() < 3 || parts[0] != "softdep") return;
    auto& pre = softPre_[normalizeModuleName(parts[1])];
    bool inPre = false;
    for (std::size_t i = 2; i < parts.size(); ++i) {
      if (parts[i] == "pre:") inPre = true;
      else if (parts[i] == "post:") inPre = false;
      else if (inPre) pre.push_back(normalizeModuleName(parts[i]));
    }
  });
}

void ModuleIndex::addAliases(std::string_view modulesAlias) {
  forEachEntry(modulesAlias, [&](std::string_view line, std::size_t) {
    const auto parts = splitWords(line);
    if (parts.size() != 3 || parts[0] != "alias") return;
    if (parts[1].find_first_of("*?[") != std::string_view::npos) return;
    aliases_[std::string(parts[1])].push_back(normalizeModuleName(parts[2]));
  });
}

const ModuleEntry* ModuleIndex::find(std::string_view name) const {
  const auto it = modules_.find(normalizeModuleName(name));
  return it == modules_.end() ? nullptr : &it->second;
}

bool ModuleIndex::isBuiltin(std::string_view name) const { return builtin_.count(normalizeModuleName(name)) != 0; }

std::vector<std::string> ModuleIndex::resolve(std::string_view name) const {
  const std::string normalized = normalizeModuleName(name);
  if (modules_.count(normalized) != 0 || builtin_.count(normalized) != 0) return {normalized};
  const auto it = aliases_.find(name);
  return it == aliases_.end() ? std::vector<std::string>{} : it->second;
}

const std::vector<std::string>& ModuleIndex::softPre(std::string_view name) const {
  static const std::vector<std::string> kNone;
  const auto it = softPre_.find(normalizeModuleName(name));
  return it == softPre_.end() ? kNone : it->second;
}

namespace {

class Planner {
 public:
  explicit Planner(const ModuleIndex& index) : index_(index) {}

  // Appends `name` and everything it needs. False on a missing hard dependency (error_ says which).
  bool visit(const std::string& name, bool required, int depth) {
    if (index_.isBuiltin(name) || seen_.count(name) != 0) return true;
    const ModuleEntry* entry = index_.find(name);
    if (entry == nullptr || depth > kMaxDepth) {
      if (required && error_.empty()) error_ = name;
      return !required;
    }
    seen_.insert(name);
    for (const auto& soft : index_.softPre(name)) {
      for (const auto& candidate : index_.resolve(soft)) visit(candidate, false, depth + 1);
    }
    for (auto dep = entry->deps.rbegin(); dep != entry->deps.rend(); ++dep) {
      if (!visit(moduleNameFromPath(*dep), required, depth + 1)) return false;
    }
    steps_.push_back(LoadStep{name, entry->path, required});
    return true;
  }

  std::vector<LoadStep> steps_;
  std::string error_;

 private:
  const ModuleIndex& index_;
  std::set<std::string> seen_;
};

}  // namespace

Result<std::vector<LoadStep>> planModuleLoad(const ModuleIndex& index, std::string_view name) {
  if (auto valid = validateModuleName(name); !valid) return passOn(valid);
  const std::string module = normalizeModuleName(name);
  if (index.isBuiltin(module)) return std::vector<LoadStep>{};
  if (index.find(module) == nullptr) return fail(Errc::NotFound, "module " + module + " is not in modules.dep");
  Planner planner(index);
  if (!planner.visit(module, true, 0)) {
    return fail(Errc::NotFound, "module " + module + " needs " + planner.error_ + ", which is not in modules.dep");
  }
  return std::move(planner.steps_);
}

}  // namespace lvscare::host
