// sealctl: the subset of Sealos' node helper that concerns lvscare. Each subcommand lives in its own
// file and registers itself on the root app through one add*Command() function.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "lvscare/exit_status.hpp"

namespace lvscare::cli {

// A leaf subcommand and what runs it once the command line has parsed, given the warning lines of
// the arguments it ignores.
struct SealctlCommand {
  CLI::App* app = nullptr;
  std::function<int(const std::vector<std::string>& warnings)> run;
};

// `sealctl static-pod [--path DIR] lvscare ...`: writes the lvscare static pod manifest.
SealctlCommand addStaticPodCommand(CLI::App& sealctl);

// `sealctl ipvs ...`: `lvscare care` in-process (same flags and library call, env prefix IPVS_).
SealctlCommand addIpvsCommand(CLI::App& sealctl);

// Prints "sealctl: <message>" on stderr and returns `code`.
int reportError(std::string_view message, int code);

// Sealos' sealctl reads flags with pflag: the command line of `ipvs` and of `static-pod ...
// lvscare` is rewritten by readPflagArgs before CLI11 parses it (see pflag_args.hpp).

}  // namespace lvscare::cli
