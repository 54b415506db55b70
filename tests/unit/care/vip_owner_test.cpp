#include "care/vip_owner.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "testing/fake_dispatcher.hpp"

namespace lvscare::care {
namespace {

// A VIP no other test (or lvscare on this machine) uses: the port is this process's own.
Endpoint uniqueVs() {
  return Endpoint{*IpAddress::parse("198.51.100.77"), static_cast<std::uint16_t>(1 + getpid() % 65000)};
}

TEST(VipOwnerTest, NameIsTheVirtualServer) {
  EXPECT_EQ(VipOwner::nameFor(*Endpoint::parse("10.103.97.2:6443")), "lvscare/vip/10.103.97.2:6443");
  EXPECT_EQ(VipOwner::nameFor(*Endpoint::parse("[fd00::1]:80")), "lvscare/vip/[fd00::1]:80");
}

TEST(VipOwnerTest, OneOwnerAtATimeAndTheNameIsFreedWithTheOwner) {
  const Endpoint vs = uniqueVs();
  std::optional<VipOwner> first;
  {
    auto owner = VipOwner::claim(vs);
    ASSERT_TRUE(owner) << owner.error().describe();
    first.emplace(std::move(*owner));
  }
  auto second = VipOwner::claim(vs);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::Exists);
  // Another port of the same VIP is another virtual server.
  Endpoint otherPort = vs;
  otherPort.port = static_cast<std::uint16_t>(vs.port + 1);
  EXPECT_TRUE(VipOwner::claim(otherPort));
  first.reset();
  EXPECT_TRUE(VipOwner::claim(vs));
}

TEST(VipStandbyTest, RetriesOnTheTimerAndTakesOverOnceTheOwnerIsGone) {
  event::FakeDispatcher dispatcher;
  const Endpoint vs = uniqueVs();
  std::optional<VipOwner> owner;
  {
    auto claimed = VipOwner::claim(vs);
    ASSERT_TRUE(claimed);
    owner.emplace(std::move(*claimed));
  }
  std::optional<VipOwner> taken;
  int failures = 0;
  VipStandby standby(
      dispatcher, [&] { return VipOwner::claim(vs); }, kStandbyRetry, [&](VipOwner o) { taken.emplace(std::move(o)); },
      [&](const Error&) { ++failures; });
  standby.start();
  dispatcher.advance(std::chrono::seconds(1));
  EXPECT_FALSE(taken);
  EXPECT_EQ(standby.attempts(), 5);  // every 200 ms
  owner.reset();                     // the owner dies
  dispatcher.advance(kStandbyRetry);
  EXPECT_TRUE(taken);
  EXPECT_EQ(standby.attempts(), 6);
  EXPECT_EQ(dispatcher.armedTimers(), 0u);  // no more attempts once owned
  EXPECT_EQ(failures, 0);
  EXPECT_FALSE(VipOwner::claim(vs));  // and it holds the VIP now
}

TEST(VipStandbyTest, GivesUpOnAnErrorThatIsNotAnotherOwner) {
  event::FakeDispatcher dispatcher;
  std::optional<Error> failed;
  bool owned = false;
  VipStandby standby(
      dispatcher, [] { return Result<VipOwner>(fail(Errc::Io, "no sockets left")); }, kStandbyRetry,
      [&](VipOwner) { owned = true; }, [&](const Error& e) { failed = e; });
  standby.start();
  dispatcher.advance(std::chrono::seconds(1));
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->message, "no sockets left");
  EXPECT_FALSE(owned);
  EXPECT_EQ(standby.attempts(), 1);
}

}  // namespace
}  // namespace lvscare::care
