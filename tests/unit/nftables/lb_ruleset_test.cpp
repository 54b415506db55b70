// The load-balancer table layout: names, scheduler plans, slots, and build -> decode round trips.
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <gtest/gtest.h>

#include "built_table.hpp"
#include "nftables/lb_ruleset.hpp"

namespace lvscare::nftables {
namespace {

Endpoint endpoint(const char* text) { return Endpoint::parse(text).value(); }

RealServer real(const char* text, std::uint32_t weight) {
  RealServer out;
  out.endpoint = endpoint(text);
  out.weight = weight;
  return out;
}

LbService service(const char* vip, std::string scheduler, std::vector<RealServer> reals) {
  LbService lb;
  lb.service.key = ServiceKey{Protocol::Tcp, endpoint(vip)};
  lb.service.scheduler = std::move(scheduler);
  lb.reals = std::move(reals);
  return lb;
}

BuiltTable dump(const LbService& lb) { return parseBuilt(buildLbTable(lb, 1)); }

std::string sequence(const std::vector<Slot>& slots, const std::string& names) {
  std::string out;
  for (const auto& slot : slots) out += std::string(slot.count, names.at(slot.real));
  return out;
}

TEST(LbNamingTest, TableNamesRoundTripAndForeignNamesAreNotOurs) {
  const ServiceKey v4{Protocol::Tcp, endpoint("169.254.0.1:80")};
  const ServiceKey v6{Protocol::Udp, endpoint("[fd00::1]:53")};
  EXPECT_EQ(lbTableName(v4), "lvscare_tcp_169.254.0.1_80");
  EXPECT_EQ(lbTableName(v6), "lvscare_udp_fd00--1_53");
  EXPECT_EQ(parseLbTableName(NFPROTO_IPV4, "lvscare_tcp_169.254.0.1_80"), v4);
  EXPECT_EQ(parseLbTableName(NFPROTO_IPV6, "lvscare_udp_fd00--1_53"), v6);
  for (const char* foreign :
       {"filter", "kube-proxy", "lvscare_masq_169.254.0.1", "lvscare_tcp_169.254.0.1_0", "lvscare_tcp_169.254.0.1",
        "lvscare_tcp_010.0.0.1_80", "lvscare_tcp_169.254.0.1_80x", "lvscare_icmp_1.2.3.4_80", "lvscare_tcp__80"}) {
    EXPECT_EQ(parseLbTableName(NFPROTO_IPV4, foreign), std::nullopt) << foreign;
  }
  EXPECT_EQ(parseLbTableName(NFPROTO_IPV6, "lvscare_tcp_169.254.0.1_80"), std::nullopt);  // wrong family
  EXPECT_EQ(backendChainName(endpoint("[fd00::2]:8081")), "rs_fd00--2_8081");
}

TEST(LbSchedulerTest, RoundRobinIgnoresWeightsButSkipsZero) {
  const std::vector<RealServer> reals{real("10.0.0.1:80", 5), real("10.0.0.2:80", 0), real("10.0.0.3:80", 2)};
  const auto slots = computeSlots(planScheduler("rr").value(), reals);
  EXPECT_EQ(sequence(slots, "abc"), "ac");
}

TEST(LbSchedulerTest, WeightedRoundRobinInterleavesLikeIpvs) {
  const std::vector<RealServer> reals{real("10.0.0.1:80", 5), real("10.0.0.2:80", 1), real("10.0.0.3:80", 1)};
  EXPECT_EQ(sequence(computeSlots(planScheduler("wrr").value(), reals), "abc"), "aabacaa");
}

TEST(LbSchedulerTest, WeightedRandomUsesOneRangePerBackendReducedByGcd) {
  const std::vector<RealServer> reals{real("10.0.0.1:80", 200), real("10.0.0.2:80", 200), real("10.0.0.3:80", 400)};
  const auto slots = computeSlots(planScheduler("wlc").value(), reals);
  ASSERT_EQ(slots.size(), 3u);
  EXPECT_EQ(sequence(slots, "abc"), "abcc");
  EXPECT_EQ(slots[2].first, 2u);
}

TEST(LbSchedulerTest, NoActiveBackendMeansNoSlots) {
  const std::vector<RealServer> reals{real("10.0.0.1:80", 0)};
  EXPECT_TRUE(computeSlots(planScheduler("rr").value(), reals).empty());
}

TEST(LbSchedulerTest, UnknownSchedulersAreRejectedByName) {
  auto plan = planScheduler("lblc");
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, Errc::Unsupported);
  EXPECT_NE(plan.error().message.find("'lblc'"), std::string::npos);
}

TEST(LbValidationTest, RefusesWhatDnatCannotExpress) {
  VirtualServer persistent;
  persistent.key = ServiceKey{Protocol::Tcp, endpoint("10.0.0.9:80")};
  persistent.flags = svcflags::kPersistent;
  EXPECT_EQ(validateService(persistent).error().code, Errc::Unsupported);
  auto droute = real("10.0.0.1:80", 1);
  droute.forward = ForwardMethod::DirectRoute;
  EXPECT_EQ(validateReal(persistent.key, droute).error().code, Errc::Unsupported);
  EXPECT_EQ(validateReal(persistent.key, real("[fd00::1]:80", 1)).error().code, Errc::InvalidArgument);
  EXPECT_TRUE(validateReal(persistent.key, real("10.0.0.1:80", 1)));
}

TEST(LbRulesetTest, BuildThenDecodeGivesTheSameService) {
  for (const char* scheduler : {"rr", "wrr", "random", "sh", "dh"}) {
    const auto lb = service("169.254.0.1:80", scheduler,
                            {real("127.0.0.1:8081", 1), real("127.0.0.1:8082", 0), real("127.0.0.1:8083", 3)});
    const auto dumped = dump(lb);
    auto reading = decodeLbTable(dumped.table, dumped.rules);
    ASSERT_TRUE(reading) << scheduler << ": " << reading.error().describe();
    EXPECT_EQ(reading->lb, lb) << scheduler;
    ASSERT_EQ(reading->counters.size(), 3u);
    for (const auto& counter : reading->counters) EXPECT_EQ(counter.packets, 0u);
  }
}

TEST(LbRulesetTest, Ipv6AndNoActiveBackendRoundTrip) {
  const auto lb = service("[fd00::1]:443", "rr", {real("[fd00::2]:8443", 0)});
  const auto dumped = dump(lb);
  auto reading = decodeLbTable(dumped.table, dumped.rules);
  ASSERT_TRUE(reading) << reading.error().describe();
  EXPECT_EQ(reading->lb, lb);
  EXPECT_EQ(dumped.table.family, NFPROTO_IPV6);
}

std::vector<std::uint16_t> commands(const std::vector<Message>& messages) {
  std::vector<std::uint16_t> out;
  for (const auto& message : messages) out.push_back(static_cast<std::uint16_t>(message.type() & 0xff));
  return out;
}

TEST(LbRulesetTest, BatchCreatesChainsAndMapBeforeTheRulesThatUseThem) {
  const auto built = dump(service("10.0.0.9:80", "rr", {real("10.0.0.1:80", 1), real("10.0.0.2:80", 1)}));
  const std::vector<std::uint16_t> expected{NFT_MSG_NEWTABLE, NFT_MSG_NEWCHAIN,   NFT_MSG_NEWCHAIN, NFT_MSG_NEWCHAIN,
                                            NFT_MSG_NEWSET,   NFT_MSG_NEWCHAIN,   NFT_MSG_NEWRULE,  NFT_MSG_NEWCHAIN,
                                            NFT_MSG_NEWRULE,  NFT_MSG_NEWSETELEM, NFT_MSG_NEWRULE,  NFT_MSG_NEWRULE,
                                            NFT_MSG_NEWRULE};
  EXPECT_EQ(commands(built.messages), expected);
}

TEST(LbRulesetTest, InPlaceUpdateTouchesOnlyWhatChanged) {
  const auto before =
      service("10.0.0.9:80", "rr", {real("10.0.0.1:80", 1), real("10.0.0.2:80", 1), real("10.0.0.3:80", 1)});
  auto weightZero = before;
  weightZero.reals[1].weight = 0;
  // lb flush, map flush, the changed backend's rule replaced, new elements, new lb rule.
  EXPECT_EQ(commands(buildLbUpdate(before, weightZero, 1)),
            (std::vector<std::uint16_t>{NFT_MSG_DELRULE, NFT_MSG_DELSETELEM, NFT_MSG_DELRULE, NFT_MSG_NEWRULE,
                                        NFT_MSG_NEWSETELEM, NFT_MSG_NEWRULE}));
  auto swapped = before;
  swapped.reals.erase(swapped.reals.begin());
  swapped.reals.push_back(real("10.0.0.4:80", 1));
  // The removed backend's chain goes after the map stopped pointing at it; the new one comes first.
  EXPECT_EQ(commands(buildLbUpdate(before, swapped, 1)),
            (std::vector<std::uint16_t>{NFT_MSG_DELRULE, NFT_MSG_DELSETELEM, NFT_MSG_DELRULE, NFT_MSG_DELCHAIN,
                                        NFT_MSG_NEWCHAIN, NFT_MSG_NEWRULE, NFT_MSG_NEWSETELEM, NFT_MSG_NEWRULE}));
}

TEST(LbRulesetTest, RewrittenBackendRulesCarryTheirCounters) {
  const auto lb = service("10.0.0.9:80", "rr", {real("10.0.0.1:80", 1)});
  const ConnectionCounts counts{{Endpoint::parse("10.0.0.1:80").value(), CounterValue{42, 4200}}};
  const auto built = parseBuilt(buildLbTable(lb, 1, counts));
  auto reading = decodeLbTable(built.table, built.rules);
  ASSERT_TRUE(reading) << reading.error().describe();
  EXPECT_EQ(reading->counters.at(0).packets, 42u);
  EXPECT_EQ(reading->counters.at(0).bytes, 4200u);
}

TEST(LbRulesetTest, DamagedTablesReadAsMalformed) {
  const auto lb = service("169.254.0.1:80", "rr", {real("127.0.0.1:8081", 1), real("127.0.0.1:8082", 1)});
  const auto dumped = dump(lb);
  auto decodeWithout = [&](const std::string& chain) {
    std::vector<RuleInfo> rules;
    for (const auto& rule : dumped.rules) {
      if (rule.chain != chain) rules.push_back(rule);
    }
    return decodeLbTable(dumped.table, rules);
  };
  for (const char* chain : {"prerouting", "output", "lb", "rs_127.0.0.1_8082"}) {
    auto reading = decodeWithout(chain);
    ASSERT_FALSE(reading) << chain;
    EXPECT_EQ(reading.error().code, Errc::Malformed);
  }
  EXPECT_EQ(decodeWithout("rs_127.0.0.1_8082").error().message,
            "table lvscare_tcp_169.254.0.1_80: 1 backend rules found, lb rule says 2 (2 active)");

  TableInfo foreignComment = dumped.table;
  foreignComment.comment = "managed by someone else";
  EXPECT_EQ(decodeLbTable(foreignComment, dumped.rules).error().message,
            "table lvscare_tcp_169.254.0.1_80: comment 'managed by someone else' is not ours");

  // A backend rule whose DNAT target was changed behind our back.
  std::vector<RuleInfo> altered = dumped.rules;
  for (auto& rule : altered) {
    if (rule.chain == "rs_127.0.0.1_8081") rule.comment = "rs 127.0.0.1:8082 weight 1";
  }
  EXPECT_FALSE(decodeLbTable(dumped.table, altered));
}

TEST(LbRulesetTest, NftTextSaysTheSameThing) {
  const auto lb = service("169.254.0.1:80", "wrr", {real("127.0.0.1:8081", 2), real("127.0.0.1:8082", 1)});
  EXPECT_EQ(
      renderLbNft(lb),
      "table ip lvscare_tcp_169.254.0.1_80 {\n"
      "\tcomment \"lvscare TCP 169.254.0.1:80 scheduler wrr\"\n"
      "\tchain prerouting {\n\t\ttype nat hook prerouting priority -100; policy accept;\n"
      "\t\tip daddr 169.254.0.1 tcp dport 80 goto lb\n\t}\n"
      "\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n"
      "\t\tip daddr 169.254.0.1 tcp dport 80 goto lb\n\t}\n"
      "\tmap slots {\n\t\ttypeof numgen inc mod 3 : verdict\n\t\tflags interval\n"
      "\t\telements = { 0 : goto rs_127.0.0.1_8081, 1 : goto rs_127.0.0.1_8082, 2 : goto rs_127.0.0.1_8081 }\n\t}\n"
      "\tchain lb {\n\t\tnumgen inc mod 3 vmap @slots comment \"backends 2 active 2\"\n\t}\n"
      "\tchain rs_127.0.0.1_8081 {\n\t\tmeta l4proto tcp counter dnat to 127.0.0.1:8081 comment \"rs 127.0.0.1:8081 weight 2\"\n\t}\n"
      "\tchain rs_127.0.0.1_8082 {\n\t\tmeta l4proto tcp counter dnat to 127.0.0.1:8082 comment \"rs 127.0.0.1:8082 weight 1\"\n\t}\n"
      "}\n");
}

}  // namespace
}  // namespace lvscare::nftables
