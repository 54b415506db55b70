// Test fixture: each test runs in its own private network namespace (root only) with the product's
// rtnetlink socket (host::openRouteSocket) opened inside it, so nothing it does reaches the host's links, addresses or
// routes.
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "host/rtnl.hpp"
#include "support/netns.hpp"

namespace lvscare::testing {

class RtnlNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!isRoot()) GTEST_SKIP() << "needs root: link and route changes need CAP_NET_ADMIN";
    netns_ = std::make_unique<PrivateNetns>();
    ASSERT_TRUE(netns_->ok()) << netns_->error();
    auto socket = host::openRouteSocket();
    ASSERT_TRUE(socket) << socket.error().describe();
    rtnl_ = std::make_unique<netlink::Socket>(std::move(*socket));
  }

  std::unique_ptr<PrivateNetns> netns_;
  std::unique_ptr<netlink::Socket> rtnl_;
};

}  // namespace lvscare::testing
