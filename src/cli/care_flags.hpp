// The flags of `lvscare care` (and `sealctl ipvs`): LVScare's names and defaults plus ours, with a
// fallback to <PREFIX>_<FLAG> environment variables for every flag not given on the command line.
// Everything is read as text and converted here, so every malformed value gets one line naming
// the flag (or the variable) and the value.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "lvscare/care.hpp"
#include "lvscare/log.hpp"
#include "lvscare/result.hpp"

namespace lvscare::cli {

// Where values not on the command line come from; tests inject their own.
struct CareSources {
  std::function<std::optional<std::string>(const std::string& name)> getenv;  // empty: the process env
  // Where Sealos records the node IP (`lvscare.node.ip`), consulted in route mode when --ip is not
  // given, before LVSCARE_NODE_IP.
  std::string hostsFile = "/etc/hosts";
};

// One value of one flag with the name to blame for it: "--interval" or "CARE_INTERVAL".
struct FlagValue {
  std::string source;
  std::string text;
};

struct CareInvocation {
  care::CareConfig config;
  LogLevel logLevel = LogLevel::Info;
  // Inputs LVScare accepts that lvscare reads differently or ignores: one line each, for the log.
  std::vector<std::string> warnings;
};

class CareFlags {
 public:
  // Registers the flags on `command`. `envPrefix` is "CARE" for lvscare, "IPVS" for sealctl.
  CareFlags(CLI::App& command, std::string envPrefix);
  CareFlags(const CareFlags&) = delete;
  CareFlags& operator=(const CareFlags&) = delete;

  // After the command line has parsed: environment fallback, conversion of every value, then the
  // library's validation (care::validateConfig), whose error names the field: this names it the
  // way the user gave it, the flag or the variable. Touches nothing but the environment, the
  // hosts file and (to see that they are readable) the TLS files. What LVScare accepts is
  // accepted: an empty CARE_ variable is not set, one that LVScare's flag type cannot read is
  // ignored, values LVScare ignores are ignored; each such case adds a line to `warnings`.
  Result<CareInvocation> resolve(const CareSources& sources) const;

  // "CARE_HEALTH_PATH" for "health-path".
  std::string envName(std::string_view flag) const;

 private:
  struct Flag {
    std::string name;      // long name without dashes
    std::string spelling;  // the first of its names ("-C" for -C,--clean), to point the user at it
    CLI::Option* option = nullptr;
    std::string text;                // single-valued flags
    std::vector<std::string> items;  // repeatable flags, one entry per occurrence
    bool repeatable = false;
    bool splitItems = true;  // each occurrence a comma-separated list (false: read whole)
  };
  Flag& add(CLI::App& command, std::string names, std::string defaultValue, std::string help);
  Flag& addRepeatable(CLI::App& command, std::string names, std::string help, bool splitItems = true);
  Flag& addBool(CLI::App& command, std::string names, bool defaultValue, std::string help);

  class Reading;  // the values of one resolve(), with where each came from

  std::string envPrefix_;
  std::map<std::string, Flag> flags_;  // by long name; node-based, so Option targets stay put
};

// CLI11 reads `--mode=` (an empty value) as a missing value; pflag reads it as "". Rewrites
// `--name=` into `--name ""` so `--mode=` and `--mode ""` both mean "rules only".
std::vector<std::string> splitEmptyAssignments(std::vector<std::string> args);

}  // namespace lvscare::cli
