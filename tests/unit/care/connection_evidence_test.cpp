// Conntrack events to evidence (issue 13): which connection sequences count against a real server.
#include "care/connection_evidence.hpp"

#include <netinet/in.h>

#include <gtest/gtest.h>

namespace lvscare::care {
namespace {

using health::FailureKind;
using health::TimePoint;
using nftables::ConntrackEvent;
using nftables::ConntrackEventType;
using nftables::TcpState;
using namespace std::chrono_literals;

Endpoint ep(const char* text) { return *Endpoint::parse(text); }
const Endpoint vipEndpoint = ep("169.254.0.1:80");
const Endpoint server1 = ep("10.78.1.2:80"), server2 = ep("10.78.2.2:80");
TimePoint at(std::chrono::milliseconds offset) { return TimePoint{} + 1h + offset; }

ConntrackEvent event(ConntrackEventType type, std::uint32_t id, std::optional<TcpState> state,
                     const Endpoint& server = server1, const Endpoint& destination = vipEndpoint) {
  ConntrackEvent out;
  out.type = type;
  out.id = id;
  out.tcpState = state;
  out.original.protocol = IPPROTO_TCP;
  out.original.source = ep("10.0.0.5:40000");
  out.original.destination = destination;
  out.reply.protocol = IPPROTO_TCP;
  out.reply.source = server;
  out.reply.destination = out.original.source;
  return out;
}

ConnectionEvidence tracker() {
  return ConnectionEvidence(ServiceKey{Protocol::Tcp, vipEndpoint}, {server1, server2}, 1s);
}

TEST(ConnectionEvidenceTest, ASynAnsweredByResetIsRefused) {
  auto evidence = tracker();
  EXPECT_FALSE(evidence.onEvent(event(ConntrackEventType::New, 7, TcpState::SynSent), at(0ms)));
  EXPECT_EQ(evidence.pending(), 1u);
  const auto refused = evidence.onEvent(event(ConntrackEventType::Update, 7, TcpState::Close), at(1ms));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->server, server1);
  EXPECT_EQ(refused->kind, FailureKind::Refused);
  EXPECT_EQ(refused->detail, "connection from 10.0.0.5:40000 refused");
  EXPECT_EQ(evidence.pending(), 0u);
  // The destroy that follows is not counted twice.
  EXPECT_FALSE(evidence.onEvent(event(ConntrackEventType::Destroy, 7, TcpState::Close), at(2ms)));
}

TEST(ConnectionEvidenceTest, ADestroyInCloseWhilePendingIsRefusedToo) {
  auto evidence = tracker();
  evidence.onEvent(event(ConntrackEventType::New, 8, TcpState::SynSent), at(0ms));
  const auto refused = evidence.onEvent(event(ConntrackEventType::Destroy, 8, TcpState::Close), at(1ms));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->kind, FailureKind::Refused);
  // Destroyed without a state (a flush, a timeout): not evidence.
  evidence.onEvent(event(ConntrackEventType::New, 9, TcpState::SynSent), at(0ms));
  EXPECT_FALSE(evidence.onEvent(event(ConntrackEventType::Destroy, 9, std::nullopt), at(1ms)));
}

TEST(ConnectionEvidenceTest, AnAnsweredConnectionIsNeverEvidenceHoweverItEnds) {
  auto evidence = tracker();
  evidence.onEvent(event(ConntrackEventType::New, 1, TcpState::SynSent), at(0ms));
  evidence.onEvent(event(ConntrackEventType::Update, 1, TcpState::SynRecv), at(1ms));
  // The client aborts after the server's SYN-ACK: the server did answer.
  EXPECT_FALSE(evidence.onEvent(event(ConntrackEventType::Update, 1, TcpState::Close), at(2ms)));
  evidence.onEvent(event(ConntrackEventType::New, 2, TcpState::SynSent), at(0ms));
  evidence.onEvent(event(ConntrackEventType::Update, 2, TcpState::Established), at(1ms));
  EXPECT_FALSE(evidence.onEvent(event(ConntrackEventType::Update, 2, TcpState::TimeWait), at(5ms)));
  EXPECT_TRUE(evidence.expire(at(10s)).empty());
  EXPECT_EQ(evidence.pending(), 0u);
}

TEST(ConnectionEvidenceTest, ASynLeftUnansweredBecomesEvidenceOnceAfterTheWait) {
  auto evidence = tracker();
  evidence.onEvent(event(ConntrackEventType::New, 3, TcpState::SynSent, server2), at(0ms));
  evidence.onEvent(event(ConntrackEventType::New, 4, TcpState::SynSent, server1), at(300ms));
  EXPECT_EQ(evidence.nextExpiry(), at(1s));
  EXPECT_TRUE(evidence.expire(at(999ms)).empty());
  auto due = evidence.expire(at(1s));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].server, server2);
  EXPECT_EQ(due[0].kind, FailureKind::Timeout);
  EXPECT_EQ(due[0].detail, "connection from 10.0.0.5:40000 unanswered for 1s");
  EXPECT_EQ(evidence.nextExpiry(), at(1300ms));
  // Answered before its time: gone from the queue, nothing due.
  evidence.onEvent(event(ConntrackEventType::Update, 4, TcpState::SynRecv, server1), at(1200ms));
  EXPECT_TRUE(evidence.expire(at(5s)).empty());
  EXPECT_FALSE(evidence.nextExpiry());
}

TEST(ConnectionEvidenceTest, OtherServicesAndForeignBackendsAreIgnored) {
  auto evidence = tracker();
  EXPECT_FALSE(
      evidence.onEvent(event(ConntrackEventType::New, 5, TcpState::SynSent, server1, ep("169.254.0.1:81")), at(0ms)));
  EXPECT_FALSE(evidence.onEvent(event(ConntrackEventType::New, 6, TcpState::SynSent, ep("10.9.9.9:80")), at(0ms)));
  auto udp = event(ConntrackEventType::New, 10, std::nullopt);
  udp.original.protocol = IPPROTO_UDP;
  EXPECT_FALSE(evidence.onEvent(udp, at(0ms)));
  EXPECT_EQ(evidence.pending(), 0u);
}

TEST(ConnectionEvidenceTest, PendingConnectionsAreBounded) {
  auto evidence = tracker();
  for (std::uint32_t id = 1; id <= ConnectionEvidence::kMaxPending + 10; ++id) {
    evidence.onEvent(event(ConntrackEventType::New, id, TcpState::SynSent), at(0ms));
  }
  EXPECT_EQ(evidence.pending(), ConnectionEvidence::kMaxPending);
  EXPECT_EQ(evidence.untracked(), 10u);
}

}  // namespace
}  // namespace lvscare::care
