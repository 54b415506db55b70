// `lvscare status`, the built binary, against a stand-in daemon: an observe::HttpServer on
// loopback, its loop run by a thread of the test while the binary runs.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "observe/http_server.hpp"
#include "unit/cli/run_binary.hpp"

namespace {

using namespace std::chrono_literals;
using lvscare::testing::lines;
using lvscare::testing::Outcome;
namespace observe = lvscare::observe;

Outcome run(std::vector<std::string> args) { return lvscare::testing::runBinary(LVSCARE_BINARY, std::move(args)); }

class StandInDaemon {
 public:
  explicit StandInDaemon(int status = 200) : status_(status) {
    auto made = lvscare::event::EpollDispatcher::create();
    EXPECT_TRUE(made);
    loop_ = std::move(*made);
    auto server = observe::HttpServer::listen(*loop_, lvscare::Endpoint{lvscare::IpAddress::v4(127, 0, 0, 1), 0},
                                              [this](const observe::RequestHead& request) { return answer(request); });
    EXPECT_TRUE(server) << server.error().describe();
    server_ = std::move(*server);
    thread_ = std::thread([this] {
      while (!done_) loop_->runFor(20ms);
    });
  }
  ~StandInDaemon() {
    done_ = true;
    thread_.join();
  }
  std::string address() const { return server_->localAddress().toString(); }
  std::vector<std::string> asked() {
    std::lock_guard lock(mutex_);
    return asked_;
  }

 private:
  observe::HttpResponse answer(const observe::RequestHead& request) {
    {
      std::lock_guard lock(mutex_);
      asked_.push_back(request.path + "?" + request.query);
    }
    if (status_ != 200) return observe::HttpResponse{status_, "text/plain", "something broke\n"};
    if (request.query == "format=table") return observe::HttpResponse{200, "text/plain", "REAL SERVER  STATE\n"};
    return observe::HttpResponse{200, "application/json", "{\"real_servers\":[]}\n"};
  }

  int status_;
  std::unique_ptr<lvscare::event::EpollDispatcher> loop_;
  std::unique_ptr<observe::HttpServer> server_;
  std::atomic<bool> done_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> asked_;
};

TEST(StatusCommandTest, PrintsTheDaemonsTableOrJson) {
  StandInDaemon daemon;
  Outcome r = run({"status", "--metrics-bind-address", daemon.address()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "REAL SERVER  STATE\n");
  r = run({"status", "--json", "--metrics-bind-address", daemon.address()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "{\"real_servers\":[]}\n");
  EXPECT_EQ(daemon.asked(), (std::vector<std::string>{"/status?format=table", "/status?"}));
}

TEST(StatusCommandTest, NoDaemonIsOneLineAndExit1) {
  std::string address;
  {
    StandInDaemon gone;  // a port that was free a moment ago and is closed now
    address = gone.address();
  }
  const Outcome r = run({"status", "--metrics-bind-address", address});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_EQ(r.err, "lvscare status: no lvscare answers at " + address + ": connect: Connection refused\n");
  EXPECT_TRUE(r.out.empty());
}

TEST(StatusCommandTest, AnErrorAnswerIsOneLineAndExit1) {
  StandInDaemon daemon(500);
  const Outcome r = run({"status", "--metrics-bind-address", daemon.address()});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("HTTP 500 for /status?format=table: something broke"), std::string::npos) << r.err;
}

TEST(StatusCommandTest, BadFlagsExit2) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"status", "--metrics-bind-address", "localhost:1"},
                                                                {"status", "--timeout", "soon"}}) {
    const Outcome r = run(args);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
  }
}

}  // namespace
