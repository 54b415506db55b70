#include "observe/healthz.hpp"

#include <gtest/gtest.h>

namespace lvscare::observe {
namespace {

TEST(Healthz, OkWhenAllPass) {
  const auto response = renderHealthz("livez", {{"watchdog", std::nullopt}, {"kernel", std::nullopt}}, false);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");
}

TEST(Healthz, VerboseListsEveryCheck) {
  const auto response = renderHealthz("readyz", {{"first-round", std::nullopt}, {"rules", std::nullopt}}, true);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "[+]first-round ok\n[+]rules ok\nreadyz check passed\n");
}

TEST(Healthz, AFailureIs500AndNamesTheCheckAndReasonVerboseOrNot) {
  for (const bool verbose : {false, true}) {
    const auto response = renderHealthz("livez", {{"watchdog", "no round in 31s"}, {"kernel", std::nullopt}}, verbose);
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(response.body, "[-]watchdog failed: no round in 31s\n[+]kernel ok\nlivez check failed\n");
  }
}

}  // namespace
}  // namespace lvscare::observe
