// NftDatapath against `nft -f` doing the same work, in the same run, inside a private network
// namespace (root needed; nothing outside the namespace is touched):
//   1. apply N VIPs x B backends (one transaction)   vs  nft -f of the equivalent ruleset text
//   2. change one backend's weight                    vs  nft -f replacing that one table
//   3. remove everything                              vs  nft -f deleting every table
// Each step runs --repeat times; the median is printed with the ratio nft / ours (> 1: we are faster).
// nft's times include its process start and parsing: that is what a shell-out costs.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "nftables/lb_ruleset.hpp"
#include "nftables/nft_datapath.hpp"
#include "support/netns.hpp"
#include "support/run_command.hpp"

namespace {

using namespace lvscare;
using namespace lvscare::nftables;
using Clock = std::chrono::steady_clock;

struct Options {
  int vips = 1000;
  int backends = 10;
  int repeat = 3;
  int weightChanges = 200;
};

double millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values.empty()
             ? 0
             : values[std::min(values.size() - 1, static_cast<std::size_t>(p * static_cast<double>(values.size())))];
}

std::vector<LbService> services(const Options& options) {
  std::vector<LbService> out;
  for (int v = 0; v < options.vips; ++v) {
    LbService lb;
    lb.service.key = ServiceKey{Protocol::Tcp, Endpoint{IpAddress::v4(10, 96, static_cast<std::uint8_t>(v / 250),
                                                                      static_cast<std::uint8_t>(v % 250 + 1)),
                                                        443}};
    for (int b = 0; b < options.backends; ++b) {
      RealServer real;
      real.endpoint =
          Endpoint{IpAddress::v4(192, 168, static_cast<std::uint8_t>(b), static_cast<std::uint8_t>(v % 250 + 1)), 6443};
      lb.reals.push_back(real);
    }
    std::sort(lb.reals.begin(), lb.reals.end(),
              [](const RealServer& a, const RealServer& b) { return a.endpoint < b.endpoint; });
    out.push_back(std::move(lb));
  }
  return out;
}

std::vector<DatapathOp> addOps(const std::vector<LbService>& all) {
  std::vector<DatapathOp> ops;
  for (const auto& lb : all) {
    ops.push_back(DatapathOp::addVirtualServer(lb.service));
    for (const auto& real : lb.reals) ops.push_back(DatapathOp::addRealServer(lb.service.key, real));
  }
  return ops;
}

bool allOk(const std::vector<Result<void>>& results, const char* what) {
  for (const auto& result : results) {
    if (!result) {
      std::fprintf(stderr, "%s failed: %s\n", what, result.error().describe().c_str());
      return false;
    }
  }
  return true;
}

// Wall time of `nft -f <file>`, or a negative value when nft failed.
double nftFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  const auto started = Clock::now();
  const auto result = testing::run("nft -f " + path);
  const double elapsed = millis(Clock::now() - started);
  if (result.status != 0) {
    std::fprintf(stderr, "nft -f failed: %s\n", result.output.substr(0, 400).c_str());
    return -1;
  }
  return elapsed;
}

void row(const char* step, double ours, double nft) {
  std::printf("%-34s %12.3f %12.3f %8.1fx\n", step, ours, nft, ours > 0 ? nft / ours : 0.0);
}

int run(const Options& options) {
  testing::PrivateNetns netns;
  if (!netns.ok()) {
    std::fprintf(stderr, "private netns: %s\n", netns.error().c_str());
    return 1;
  }
  auto opened = NftDatapath::open();
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().describe().c_str());
    return 1;
  }
  auto& datapath = **opened;
  const auto all = services(options);
  const auto ops = addOps(all);
  std::string text;
  std::string deletes;
  for (const auto& lb : all) {
    text += renderLbNft(lb);
    deletes += fmt::format("delete table ip {}\n", lbTableName(lb.service.key));
  }
  const std::string path = fmt::format("/tmp/lvscare-nft-bench-{}.nft", ::getpid());
  std::vector<double> oursApply, nftApply, oursRemove, nftRemove, oursWeight, nftWeight, oursDeleteOps;

  for (int round = 0; round < options.repeat; ++round) {
    auto started = Clock::now();
    if (!allOk(datapath.apply(ops), "apply")) return 1;
    oursApply.push_back(millis(Clock::now() - started));
    if (round == 0) {
      auto listed = datapath.listVirtualServers();
      if (!listed || listed->size() != all.size()) {
        std::fprintf(stderr, "after apply: %zu virtual servers listed\n", listed ? listed->size() : 0);
        return 1;
      }
    }
    // One backend's weight, flipping between 0 and 1 on different VIPs.
    for (int i = 0; i < options.weightChanges / options.repeat; ++i) {
      const auto& lb = all[static_cast<std::size_t>(i * 7919) % all.size()];
      RealServer real = lb.reals[static_cast<std::size_t>(i) % lb.reals.size()];
      real.weight = i % 2 == 0 ? 0 : 1;
      started = Clock::now();
      if (!datapath.updateRealServer(lb.service.key, real)) return 1;
      oursWeight.push_back(millis(Clock::now() - started));
    }
    if (round % 2 == 0) {
      started = Clock::now();
      if (!datapath.flush()) return 1;
      oursRemove.push_back(millis(Clock::now() - started));
    } else {
      std::vector<DatapathOp> removeOps;
      for (const auto& lb : all) removeOps.push_back(DatapathOp::deleteVirtualServer(lb.service.key));
      started = Clock::now();
      if (!allOk(datapath.apply(removeOps), "delete")) return 1;
      oursDeleteOps.push_back(millis(Clock::now() - started));
    }

    const double applied = nftFile(path, text);
    if (applied < 0) return 1;
    nftApply.push_back(applied);
    if (round == 0) {
      // What nft wrote from our text reads back as ours: the two rulesets are the same thing.
      auto listed = datapath.listVirtualServers();
      if (!listed || listed->size() != all.size()) {
        std::fprintf(stderr, "after nft -f: %zu virtual servers read back\n", listed ? listed->size() : 0);
        return 1;
      }
    }
    for (int i = 0; i < 5; ++i) {
      LbService lb = all[static_cast<std::size_t>(i * 7919) % all.size()];
      lb.reals[static_cast<std::size_t>(i) % lb.reals.size()].weight = i % 2 == 0 ? 0 : 1;
      const double changed =
          nftFile(path, fmt::format("delete table ip {}\n", lbTableName(lb.service.key)) + renderLbNft(lb));
      if (changed < 0) return 1;
      nftWeight.push_back(changed);
    }
    const double removed = nftFile(path, deletes);
    if (removed < 0) return 1;
    nftRemove.push_back(removed);
  }
  std::remove(path.c_str());

  std::size_t messages = 0, bytes = 0;
  for (const auto& lb : all) {
    for (const auto& message : buildLbTable(lb, 1)) {
      ++messages;
      bytes += message.bytes.size();
    }
  }
  std::printf("nftables datapath vs nft -f: %d VIPs x %d backends, %d rounds (medians, ms)\n", options.vips,
              options.backends, options.repeat);
  std::printf("one transaction: %zu messages, %.1f MiB; nft -f input: %.1f MiB of text\n", messages,
              static_cast<double>(bytes) / (1 << 20), static_cast<double>(text.size()) / (1 << 20));
  std::printf("%-34s %12s %12s %9s\n", "step", "lvscare", "nft -f", "nft/ours");
  row("apply all (one transaction)", median(oursApply), median(nftApply));
  row("change one backend's weight", median(oursWeight), median(nftWeight));
  row("remove all: flush()", median(oursRemove), median(nftRemove));
  if (!oursDeleteOps.empty()) row("remove all: apply(delete x N)", median(oursDeleteOps), median(nftRemove));
  std::printf("weight change, ours: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms over %zu changes\n",
              percentile(oursWeight, 0.5), percentile(oursWeight, 0.9), percentile(oursWeight, 0.99),
              percentile(oursWeight, 1.0), oursWeight.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--vips") options.vips = value;
    else if (flag == "--backends") options.backends = value;
    else if (flag == "--repeat") options.repeat = value;
    else if (flag == "--weight-changes") options.weightChanges = value;
    else {
      std::fprintf(stderr, "usage: nft_bench [--vips N] [--backends B] [--repeat R] [--weight-changes W]\n");
      return 2;
    }
  }
  if (::geteuid() != 0) {
    std::fprintf(stderr, "nft_bench needs root (it works in a private network namespace)\n");
    return 2;
  }
  if (options.vips < 1 || options.vips > 60000 || options.backends < 1 || options.backends > 250 ||
      options.repeat < 1) {
    std::fprintf(stderr, "nft_bench: values out of range\n");
    return 2;
  }
  return run(options);
}
