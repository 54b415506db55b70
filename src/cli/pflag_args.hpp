// The command line read the way Go's pflag (under cobra) reads it, which is what LVScare and Sealos'
// sealctl use, and rewritten into one form CLI11 reads the same way:
//   --name=value  --name value  -x value  -xvalue  -x=value      a flag with a value (the word after
//                                                                 it is its value, even "-..." or "--...")
//   --flag  --flag=<bool>  -C  -C=<bool>  -Ci eth0                booleans: alone true, or Go's ParseBool
//   words that are not flags, and everything after "--"            positional: cobra hands them to a
//                                                                 command that ignores them
// Every flag occurrence comes out as "--long=value" (an empty value as "--long" ""), so CLI11 never
// has to guess; unknown flags pass through unchanged for CLI11 to refuse (or to print help).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "lvscare/result.hpp"

namespace lvscare::cli {

struct FlagSpec {
  std::string longName;  // without dashes
  char shortName = 0;    // 0: none
  bool isBool = false;   // pflag's NoOptDefVal "true": the flag alone means true
};

// The flags of `app` (and, with `withParents`, of the commands above it: cobra's persistent
// flags), help left out.
std::vector<FlagSpec> flagSpecsOf(const CLI::App& app, bool withParents = false);

struct PflagArgs {
  std::vector<std::string> args;        // the flags, rewritten for CLI11
  std::vector<std::string> positional;  // words that are not flags, in order
  // One line per positional word, saying it is ignored; a boolean word right after a boolean flag
  // (`--run-once false`) says what pflag makes of it.
  std::vector<std::string> warnings;
};

// Reads `args` (what follows the subcommand) as pflag does. Fails, with pflag's complaint as one
// line, on a flag that needs a value and has none, a boolean value ParseBool refuses, an unknown
// shorthand inside a group (-Cx) and bad syntax (---x, --=x). `subcommand`, when given, is a word
// cobra takes as a command wherever it stands among the flags (`static-pod --path D lvscare`): its
// first occurrence goes first in `args`, not into `positional`.
Result<PflagArgs> readPflagArgs(std::span<const std::string> args, std::span<const FlagSpec> flags,
                                std::string_view subcommand = {});

}  // namespace lvscare::cli
