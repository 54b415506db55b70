// Shared by the IPVS real-kernel tests: an IpvsDatapath on a flushed table, and the kernel's state
// read three ways (our own dumps, `ipvsadm -S -n`, `ipvsadm -L -n`) for comparison.
#pragma once

#include <cstdlib>
#include <memory>

#include <gtest/gtest.h>

#include "host/module_loader.hpp"
#include "ipvs/ipvs_datapath.hpp"
#include "support/ipvsadm_text.hpp"

namespace lvscare::testing {

// The tests flush the IPVS table: never let them loose on a machine's own table. scripts/vm/run.sh
// sets LVSCARE_VM_MODE (vm: a throwaway VM; host: a fresh network namespace of an IPVS host).
inline bool insideTestHarness() { return std::getenv("LVSCARE_VM_MODE") != nullptr; }
#define LVSCARE_REQUIRE_HARNESS()               \
  if (!::lvscare::testing::insideTestHarness()) \
  GTEST_SKIP() << "runs only through scripts/vm/run.sh (it flushes the IPVS table); try ctest -L vm"

inline Endpoint ep(std::string_view text) { return Endpoint::parse(text).value(); }

inline VirtualServer virtualServer(Protocol protocol, std::string_view endpoint, std::string scheduler,
                                   std::uint32_t flags = 0, std::uint32_t timeout = 0, std::uint32_t netmask = 0) {
  return VirtualServer{ServiceKey{protocol, ep(endpoint)}, std::move(scheduler), flags, timeout, netmask};
}

inline RealServer realServer(std::string_view endpoint, std::uint32_t weight,
                             ForwardMethod forward = ForwardMethod::Masquerade, std::uint32_t upper = 0,
                             std::uint32_t lower = 0) {
  return RealServer{ep(endpoint), weight, forward, upper, lower};
}

class IpvsVmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LVSCARE_REQUIRE_HARNESS();
    auto opened = ipvs::IpvsDatapath::open(ipvs::IpvsOptions{host::makeModuleLoader()});
    ASSERT_TRUE(opened) << opened.error().message;
    datapath_ = std::move(*opened);
    auto flushed = datapath_->flush();
    ASSERT_TRUE(flushed) << flushed.error().message;
  }
  void TearDown() override {
    if (datapath_) (void)datapath_->flush();
  }

  // Applies `ops` and demands every one succeeded; also records them into want_.
  void applyAll(const std::vector<DatapathOp>& ops) {
    const auto results = datapath_->apply(ops);
    ASSERT_EQ(results.size(), ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) {
      ASSERT_TRUE(results[i]) << ops[i].toString() << ": " << results[i].error().message;
      record(ops[i]);
    }
  }

  void record(const DatapathOp& op) {
    const ServiceKey& key = op.service.key;
    switch (op.kind) {
      case DatapathOp::Kind::AddVirtualServer:
      case DatapathOp::Kind::UpdateVirtualServer: want_.services[key].server = op.service; break;
      case DatapathOp::Kind::DeleteVirtualServer: want_.services.erase(key); break;
      case DatapathOp::Kind::AddRealServer:
      case DatapathOp::Kind::UpdateRealServer: want_.services[key].reals[op.real.endpoint] = op.real; break;
      case DatapathOp::Kind::DeleteRealServer: want_.services[key].reals.erase(op.real.endpoint); break;
    }
  }

  // The table through our own dumps.
  IpvsTable ours() {
    IpvsTable table;
    auto services = datapath_->listVirtualServers();
    EXPECT_TRUE(services) << services.error().message;
    if (!services) return table;
    for (const auto& vs : *services) {
      table.services[vs.key].server = vs;
      auto reals = datapath_->listRealServers(vs.key);
      EXPECT_TRUE(reals) << reals.error().message;
      if (!reals) continue;
      for (const auto& status : *reals) table.services[vs.key].reals[status.server.endpoint] = status.server;
    }
    return table;
  }

  // The table as ipvsadm saves it (-S -n) and lists it (-L -n), thresholds from -L -n --thresholds.
  static IpvsTable ipvsadm(bool saved) {
    auto text = runCommand(saved ? "ipvsadm -S -n" : "ipvsadm -L -n");
    EXPECT_TRUE(text) << text.error().message;
    if (!text) return {};
    auto table = saved ? parseIpvsadmSave(*text) : parseIpvsadmList(*text);
    EXPECT_TRUE(table) << table.error().message << "\n" << *text;
    if (!table) return {};
    auto thresholds = runCommand("ipvsadm -L -n --thresholds");
    EXPECT_TRUE(thresholds) << thresholds.error().message;
    if (thresholds) {
      auto merged = mergeIpvsadmThresholds(*thresholds, *table);
      EXPECT_TRUE(merged) << merged.error().message;
    }
    return *table;
  }

  // What we programmed is exactly what the kernel has, as we read it and as ipvsadm reads it.
  void expectKernelHasWhatWeProgrammed() {
    const IpvsTable mine = ours();
    EXPECT_EQ(mine, want_) << "our dump:\n" << mine.toString() << "programmed:\n" << want_.toString();
    const IpvsTable saved = ipvsadm(true);
    EXPECT_EQ(saved, want_) << "ipvsadm -S -n:\n" << saved.toString() << "programmed:\n" << want_.toString();
    const IpvsTable listed = ipvsadm(false);
    EXPECT_EQ(listed, want_) << "ipvsadm -L -n:\n" << listed.toString() << "programmed:\n" << want_.toString();
    for (const auto& [key, service] : want_.services) {
      auto got = datapath_->getVirtualServer(key);
      ASSERT_TRUE(got) << got.error().message;
      EXPECT_EQ(*got, service.server);
    }
  }

  std::unique_ptr<ipvs::IpvsDatapath> datapath_;
  IpvsTable want_;
};

}  // namespace lvscare::testing
