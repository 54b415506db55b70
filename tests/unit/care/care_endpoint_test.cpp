// The endpoint's view of a care loop on a fake clock, fake datapath and fake probers: metrics,
// liveness and readiness, status; and `promtool check metrics` on the real output.
#include "care/care_endpoint.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/fake_datapath.hpp"
#include "testing/fake_dispatcher.hpp"
#include "testing/fake_prober.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

namespace lvscare::care {
namespace {

using namespace std::chrono_literals;
using event::FakeDispatcher;
using health::FakeProbers;

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

class RepairableHost final : public HostSetup {
 public:
  std::string_view name() const override { return "route"; }
  Result<std::vector<std::string>> ensure() override {
    if (present) return std::vector<std::string>{};
    present = true;
    return std::vector<std::string>{"route 10.103.97.12/32 via 192.168.0.9 created"};
  }
  Result<void> remove() override { return {}; }
  bool present = false;
};

class CareEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service.key.endpoint = ep("10.103.97.12:6443");
    CareLoopOptions options;
    options.service = service;
    options.reals = {a, b};
    options.monitor.timeout = 2s;  // interval 5 s: the watchdog's bound is 2 * (5 s + 2 s)
    options.monitor.random = [] { return 0.5; };
    loop = std::make_unique<CareLoop>(dispatcher, datapath, host, probers.factory(), options);
    endpoint = std::make_unique<CareEndpoint>(dispatcher, *loop, datapath, "route", BuildInfo{"v0.1.0", "abc123"});
  }

  observe::HttpResponse get(std::string path, std::string query = {}) {
    observe::RequestHead request;
    request.method = "GET";
    request.path = std::move(path);
    request.query = std::move(query);
    return endpoint->handle(request);
  }
  static bool has(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  }

  FakeDispatcher dispatcher;
  FakeProbers probers{dispatcher};
  FakeDatapath datapath;
  RepairableHost host;
  VirtualServer service;
  const Endpoint a = ep("192.168.0.2:6443");
  const Endpoint b = ep("192.168.0.3:6443");
  std::unique_ptr<CareLoop> loop;
  std::unique_ptr<CareEndpoint> endpoint;
};

TEST_F(CareEndpointTest, MetricsFollowStatesChecksAndTransitions) {
  probers.setResult(b, health::ProbeResult{false, "connect: Connection refused", {}}, 3ms);
  ASSERT_TRUE(loop->start());
  dispatcher.advance(10ms);  // the first round
  const auto response = get("/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.contentType, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = response.body;
  EXPECT_TRUE(has(m, R"(lvscare_build_info{version="v0.1.0",commit="abc123",datapath="fake"} 1)")) << m;
  EXPECT_TRUE(has(m, R"(lvscare_real_server_state{real_server="192.168.0.2:6443",state="active"} 1)")) << m;
  EXPECT_TRUE(has(m, R"(lvscare_real_server_state{real_server="192.168.0.2:6443",state="pending"} 0)"));
  // b failed its first check: never added, it counts as removed.
  EXPECT_TRUE(has(m, R"(lvscare_real_server_state{real_server="192.168.0.3:6443",state="removed"} 1)"));
  EXPECT_TRUE(
      has(m, R"(lvscare_state_transitions_total{real_server="192.168.0.3:6443",from="pending",to="removed"} 1)"));
  EXPECT_TRUE(has(m, R"(lvscare_real_server_weight{real_server="192.168.0.2:6443"} 1)"));
  EXPECT_EQ(m.find(R"(lvscare_real_server_weight{real_server="192.168.0.3:6443"})"), std::string::npos);
  EXPECT_TRUE(has(m, R"(lvscare_real_server_last_check_success{real_server="192.168.0.3:6443"} 0)"));
  EXPECT_TRUE(has(m, R"(lvscare_real_server_last_check_duration_seconds{real_server="192.168.0.3:6443"} 0.003)")) << m;
  EXPECT_TRUE(has(m, R"(lvscare_checks_total{real_server="192.168.0.3:6443",result="failure",reason="refused"} 1)"));
  EXPECT_TRUE(has(m, R"(lvscare_checks_total{real_server="192.168.0.2:6443",result="success",reason="ok"} 1)"));
  EXPECT_TRUE(
      has(m, R"(lvscare_state_transitions_total{real_server="192.168.0.2:6443",from="pending",to="active"} 1)"));
  EXPECT_TRUE(has(m, "lvscare_check_rounds_total 1"));
  EXPECT_NE(m.find("\nlvscare_last_check_round_timestamp_seconds "), std::string::npos);
  EXPECT_TRUE(has(m, R"(lvscare_datapath_operations_total{operation="add_real_server"} 1)"));
  EXPECT_TRUE(has(m, R"(lvscare_datapath_operation_errors_total{operation="add_real_server"} 0)"));
  EXPECT_NE(m.find("\nprocess_resident_memory_bytes "), std::string::npos);

  // a fails twice: active -> draining (weight 0) -> removed.
  probers.setResult(a, health::ProbeResult{false, "timed out after 2s (connecting)", {}}, 2s);
  dispatcher.advance(30s);
  const std::string after = get("/metrics").body;
  EXPECT_TRUE(has(after, R"(lvscare_real_server_state{real_server="192.168.0.2:6443",state="removed"} 1)")) << after;
  EXPECT_TRUE(
      has(after, R"(lvscare_state_transitions_total{real_server="192.168.0.2:6443",from="active",to="draining"} 1)"));
  EXPECT_TRUE(
      has(after, R"(lvscare_state_transitions_total{real_server="192.168.0.2:6443",from="draining",to="removed"} 1)"));
  EXPECT_NE(after.find(R"(lvscare_checks_total{real_server="192.168.0.2:6443",result="failure",reason="timeout"} )"),
            std::string::npos);
}

TEST_F(CareEndpointTest, RepairsAreCountedByPartWithTheirDuration) {
  ASSERT_TRUE(loop->start());
  dispatcher.advance(10ms);
  ASSERT_TRUE(datapath.deleteVirtualServer(service.key));  // someone else's ipvsadm -C
  host.present = false;                                    // and ip route del
  dispatcher.advance(250ms);
  const std::string m = get("/metrics").body;
  EXPECT_TRUE(has(m, R"(lvscare_repairs_total{part="virtual_server"} 1)")) << m;
  EXPECT_TRUE(has(m, R"(lvscare_repairs_total{part="route"} 1)"));
  EXPECT_TRUE(has(m, R"(lvscare_repair_duration_seconds_count{part="virtual_server"} 1)"));
  EXPECT_TRUE(has(m, R"(lvscare_repair_duration_seconds_bucket{part="route",le="+Inf"} 1)"));
  ASSERT_TRUE(datapath.deleteRealServer(service.key, a));
  dispatcher.advance(250ms);
  EXPECT_TRUE(has(get("/metrics").body, R"(lvscare_repairs_total{part="real_server"} 1)"));
}

TEST_F(CareEndpointTest, ReadyAfterTheFirstRoundWithRulesProgrammed) {
  probers.setHanging(a);
  ASSERT_TRUE(loop->start());
  auto ready = get("/readyz", "verbose");
  EXPECT_EQ(ready.status, 500);
  EXPECT_EQ(
      ready.body,
      "[-]first-round failed: no check round completed yet\n[+]rules ok\n[+]host-setup ok\nreadyz check failed\n");
  dispatcher.advance(2s);  // a's probe times out: the round is complete
  EXPECT_EQ(get("/readyz").status, 200);
  EXPECT_EQ(get("/readyz").body, "ok");
  datapath.failNext(DatapathOp::Kind::AddRealServer, Error{Errc::Kernel, 22, "add: Invalid argument"});
  ASSERT_TRUE(datapath.deleteRealServer(service.key, b));
  dispatcher.advance(250ms);
  ready = get("/readyz", "verbose");
  EXPECT_EQ(ready.status, 500);
  EXPECT_NE(ready.body.find("[-]rules failed: "), std::string::npos) << ready.body;
  dispatcher.advance(250ms);  // the next tick puts it back
  EXPECT_EQ(get("/readyz").status, 200);
}

TEST_F(CareEndpointTest, LivezWatchdogAndKernel) {
  ASSERT_TRUE(loop->start());
  dispatcher.runDue();  // the first round, at time 0
  EXPECT_EQ(endpoint->livenessBound(), 14s);
  EXPECT_EQ(get("/livez", "verbose").body, "[+]watchdog ok\n[+]kernel ok\nlivez check passed\n");
  // The checks stop (as a wedged monitor would): once the bound has passed, livez fails.
  loop->stop();
  dispatcher.advance(14s);
  EXPECT_EQ(get("/livez").status, 200);
  dispatcher.advance(1s);
  auto live = get("/livez");
  EXPECT_EQ(live.status, 500);
  EXPECT_EQ(live.body,
            "[-]watchdog failed: the last check round completed 15s ago, over the bound of 14s\n[+]kernel ok\n"
            "livez check failed\n");
}

TEST_F(CareEndpointTest, LivezFailsWhenTheKernelCannotBeRead) {
  ASSERT_TRUE(loop->start());
  dispatcher.advance(10ms);
  datapath.failListings(Error{Errc::Permission, 1, "netlink dump: Operation not permitted"});
  dispatcher.advance(250ms);
  const auto live = get("/livez");
  EXPECT_EQ(live.status, 500);
  EXPECT_NE(live.body.find("[-]kernel failed: cannot read our virtual server: "), std::string::npos) << live.body;
  EXPECT_NE(live.body.find("Operation not permitted"), std::string::npos);
  EXPECT_NE(get("/metrics").body.find("\nlvscare_up 0\n"), std::string::npos);
  datapath.failListings(std::nullopt);
  dispatcher.advance(250ms);
  EXPECT_EQ(get("/livez").status, 200);
}

TEST_F(CareEndpointTest, StatusShowsServersAndDifferences) {
  probers.setResult(b, health::ProbeResult{false, "HTTP 503", {}}, 4ms);
  ASSERT_TRUE(loop->start());
  dispatcher.advance(10ms);
  dispatcher.advance(30s);
  ASSERT_TRUE(datapath.updateRealServer(service.key, RealServer{a, 0}));  // an edit the next tick undoes
  const auto json = get("/status");
  EXPECT_EQ(json.contentType, "application/json");
  const std::string& j = json.body;
  EXPECT_NE(j.find(R"("virtual_server":"TCP 10.103.97.12:6443","datapath":"fake","mode":"route","scheduler":"rr")"),
            std::string::npos)
      << j;
  EXPECT_NE(j.find(R"({"address":"192.168.0.2:6443","state":"active","desired_weight":1,"kernel_weight":0,)"),
            std::string::npos)
      << j;
  EXPECT_NE(j.find(R"("last_check":{"result":"success","reason":"ok","detail":"fake ok")"), std::string::npos) << j;
  EXPECT_NE(
      j.find(
          R"({"address":"192.168.0.3:6443","state":"removed","desired_weight":null,"kernel_weight":null,)"
          R"("last_check":{"result":"failure","reason":"http_status","detail":"HTTP 503","latency_seconds":0.004000},)"
          R"("last_error":"HTTP 503","since_change_seconds":30.006000})"),
      std::string::npos)
      << j;
  EXPECT_NE(j.find(R"("differences":["set real server 192.168.0.2:6443 weight 1)"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("live":true,"ready":true)"), std::string::npos);

  const auto table = get("/status", "format=table");
  EXPECT_NE(table.body.find("virtual server TCP 10.103.97.12:6443  datapath fake  mode route"), std::string::npos)
      << table.body;
  EXPECT_NE(table.body.find("REAL SERVER"), std::string::npos);
  EXPECT_NE(table.body.find("0 (want 1)"), std::string::npos) << table.body;
  EXPECT_NE(table.body.find("http_status (HTTP 503)"), std::string::npos);
  EXPECT_NE(table.body.find("differences (what lvscare would change in the kernel):\n  set real server"),
            std::string::npos);
  dispatcher.advance(250ms);
  EXPECT_NE(get("/status", "format=table").body.find("the kernel holds what lvscare wants"), std::string::npos);
  EXPECT_EQ(get("/nothing").status, 404);
}

// A weight an admin set by hand on a serving server stays (kept_weights.hpp): status shows it as
// wanted, not as a difference.
TEST_F(CareEndpointTest, StatusShowsAHandSetWeightAsWanted) {
  ASSERT_TRUE(loop->start());
  dispatcher.advance(10ms);
  ASSERT_TRUE(datapath.updateRealServer(service.key, RealServer{a, 7}));
  dispatcher.advance(250ms);
  const auto json = get("/status").body;
  EXPECT_NE(json.find(R"({"address":"192.168.0.2:6443","state":"active","desired_weight":7,"kernel_weight":7,)"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("differences":[])"), std::string::npos) << json;
}

TEST_F(CareEndpointTest, PromtoolAcceptsTheMetrics) {
  if (testing::run("command -v promtool").status != 0)
    GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  probers.setResult(b, health::ProbeResult{false, "TLS handshake: certificate verify failed: x", {}});
  ASSERT_TRUE(loop->start());
  dispatcher.advance(10ms);
  ASSERT_TRUE(datapath.deleteVirtualServer(service.key));
  dispatcher.advance(250ms);
  testing::TempDir dir;
  const std::string file = dir / "metrics.txt";
  std::ofstream(file) << get("/metrics").body;
  const auto checked = testing::run("promtool check metrics < " + file);
  EXPECT_EQ(checked.status, 0) << checked.output;
  EXPECT_EQ(checked.output, "") << checked.output;  // no lint complaints either
}

}  // namespace
}  // namespace lvscare::care
