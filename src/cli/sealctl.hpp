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

// A leaf subcommand and what runs it once the command line has parsed.
struct SealctlCommand {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// `sealctl static-pod [--path DIR] lvscare ...`: writes the lvscare static pod manifest.
SealctlCommand addStaticPodCommand(CLI::App& sealctl);

// `sealctl ipvs ...`: `lvscare care` in-process (same flags and library call, env prefix IPVS_).
SealctlCommand addIpvsCommand(CLI::App& sealctl);

// Prints "sealctl: <message>" on stderr and returns `code`.
int reportError(std::string_view message, int code);

// pflag (which Sealos' sealctl uses) takes the word after a flag as its value even when the word
// starts with '-', and Sealos relies on it (`--options --health-status --options 401`). CLI11 would
// read such a word as a flag, so these flags are rewritten to the `--flag=value` form first.
std::vector<std::string> attachFlagValues(std::vector<std::string> args, const std::vector<std::string_view>& flags);

}  // namespace lvscare::cli
