// IPVS programming cost through IpvsDatapath: N virtual servers x M real servers from an empty table,
// read all back, remove them; prints wall-clock times. bench/ipvs_vs_ipvsadm.sh runs it in the test
// VM next to `ipvsadm -R` doing the same work from the rules file this program writes.
//
// Usage: ipvs_bench [--services N] [--reals M] [--window W] [--rules FILE]
// It flushes the IPVS table: it refuses to run outside scripts/vm/run.sh (LVSCARE_VM_MODE unset).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "host/module_loader.hpp"
#include "ipvs/ipvs_datapath.hpp"

namespace {

using lvscare::DatapathOp;
using lvscare::Endpoint;
using lvscare::IpAddress;
using lvscare::Protocol;
using lvscare::RealServer;
using lvscare::ServiceKey;
using lvscare::VirtualServer;
using Clock = std::chrono::steady_clock;

struct Options {
  int services = 1000;
  int reals = 10;
  std::size_t window = 0;
  std::string rules;
};

double seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "ipvs_bench: %s\n", message.c_str());
  std::exit(1);
}

Options parseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) die("option " + arg + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--services") {
      options.services = std::atoi(value.c_str());
    } else if (arg == "--reals") {
      options.reals = std::atoi(value.c_str());
    } else if (arg == "--window") {
      options.window = static_cast<std::size_t>(std::atol(value.c_str()));
    } else if (arg == "--rules") {
      options.rules = value;
    } else {
      die("unknown option " + arg + " (--services N --reals M --window W --rules FILE)");
    }
  }
  if (options.services < 1 || options.services > 62500 || options.reals < 0 || options.reals > 250) {
    die("--services must be 1..62500 and --reals 0..250");
  }
  return options;
}

// Service s: 10.100.(s / 250).(s % 250 + 1):80; its real server r: 10.(128 + s / 250 % 128).(s % 250).(r + 1):8080.
ServiceKey serviceKey(int s) {
  const auto address =
      IpAddress::v4(10, 100, static_cast<std::uint8_t>(s / 250), static_cast<std::uint8_t>(s % 250 + 1));
  return ServiceKey{Protocol::Tcp, Endpoint{address, 80}};
}
Endpoint realEndpoint(int s, int r) {
  const auto address = IpAddress::v4(10, static_cast<std::uint8_t>(128 + s / 250 % 128),
                                     static_cast<std::uint8_t>(s % 250), static_cast<std::uint8_t>(r + 1));
  return Endpoint{address, 8080};
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parseOptions(argc, argv);
  if (std::getenv("LVSCARE_VM_MODE") == nullptr) {
    die("it flushes the IPVS table: run it through scripts/vm/run.sh (bench/ipvs_vs_ipvsadm.sh does)");
  }
  lvscare::ipvs::IpvsOptions ipvsOptions{lvscare::host::makeModuleLoader()};
  ipvsOptions.pipelineWindow = options.window;
  auto opened = lvscare::ipvs::IpvsDatapath::open(ipvsOptions);
  if (!opened) die(opened.error().message);
  auto& datapath = **opened;
  if (auto flushed = datapath.flush(); !flushed) die(flushed.error().message);

  std::vector<DatapathOp> program;
  std::vector<DatapathOp> remove;
  std::string rules;
  for (int s = 0; s < options.services; ++s) {
    VirtualServer vs;
    vs.key = serviceKey(s);
    vs.scheduler = "wrr";
    program.push_back(DatapathOp::addVirtualServer(vs));
    remove.push_back(DatapathOp::deleteVirtualServer(vs.key));
    rules += fmt::format("-A -t {} -s wrr\n", vs.key.endpoint.toString());
    for (int r = 0; r < options.reals; ++r) {
      RealServer rs;
      rs.endpoint = realEndpoint(s, r);
      rs.weight = static_cast<std::uint32_t>(r + 1);
      program.push_back(DatapathOp::addRealServer(vs.key, rs));
      rules += fmt::format("-a -t {} -r {} -m -w {}\n", vs.key.endpoint.toString(), rs.endpoint.toString(), rs.weight);
    }
  }
  if (!options.rules.empty()) {
    std::ofstream(options.rules) << rules;
  }

  auto start = Clock::now();
  const auto programmed = datapath.apply(program);
  const double programSeconds = seconds(start);
  for (std::size_t i = 0; i < programmed.size(); ++i) {
    if (!programmed[i]) die(program[i].toString() + ": " + programmed[i].error().message);
  }

  start = Clock::now();
  std::size_t servicesRead = 0;
  std::size_t realsRead = 0;
  auto services = datapath.listVirtualServers();
  if (!services) die(services.error().message);
  for (const auto& vs : *services) {
    auto reals = datapath.listRealServers(vs.key);
    if (!reals) die(reals.error().message);
    ++servicesRead;
    realsRead += reals->size();
  }
  const double readSeconds = seconds(start);
  const auto wantReals = static_cast<std::size_t>(options.services) * static_cast<std::size_t>(options.reals);
  if (servicesRead != static_cast<std::size_t>(options.services) || realsRead != wantReals) {
    die(fmt::format("read back {} services and {} real servers, want {} and {}", servicesRead, realsRead,
                    options.services, wantReals));
  }

  start = Clock::now();
  const auto removed = datapath.apply(remove);
  const double removeSeconds = seconds(start);
  for (std::size_t i = 0; i < removed.size(); ++i) {
    if (!removed[i]) die(remove[i].toString() + ": " + removed[i].error().message);
  }
  auto left = datapath.listVirtualServers();
  if (!left || !left->empty()) die("virtual servers left after removing them all");

  std::printf(
      "ours: program %zu requests %.3f s; read back %zu services + %zu real servers %.3f s; remove %d services %.3f s\n",
      program.size(), programSeconds, servicesRead, realsRead, readSeconds, options.services, removeSeconds);
  std::printf("ours_program_s=%.6f ours_read_s=%.6f ours_remove_s=%.6f ours_total_s=%.6f\n", programSeconds,
              readSeconds, removeSeconds, programSeconds + readSeconds + removeSeconds);
  return 0;
}
