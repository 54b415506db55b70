// `lvscare status [--json]`: asks the running lvscare (its endpoint's /status) what it does and
// prints it: per real server its state, kernel weight, last check and error, time since the last
// change; the datapath and mode; what differs between what lvscare wants and what the kernel holds.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "lvscare/endpoint.hpp"
#include "lvscare/health.hpp"
#include "lvscare/result.hpp"

namespace lvscare::cli {

struct StatusFlags {
  bool json = false;
  std::string address;  // host:port of the daemon's endpoint
  std::string timeout = "3s";
};

void addStatusFlags(CLI::App& command, StatusFlags& flags);

// Exit 0 with the report on stdout; 1 with one line on stderr when no lvscare answers; 2 on bad flags.
int runStatusCommand(const StatusFlags& flags);

// One GET over a fresh connection; the body of a 200 response. Blocking, bounded by `timeout`.
Result<std::string> httpGet(const Endpoint& server, std::string_view target, health::Duration timeout);

}  // namespace lvscare::cli
