// The NAT hook table: its layout, and what makes it read as intact or not.
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <gtest/gtest.h>

#include "built_table.hpp"
#include "nftables/lb_ruleset.hpp"
#include "nftables/nat_hook_ruleset.hpp"

namespace lvscare::nftables {
namespace {

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

struct BuiltHook {
  BuiltTable built;
  std::vector<ChainInfo> chains;
};

BuiltHook build(const IpAddress& vip) {
  BuiltHook out{parseBuilt(buildNatHookTable(vip)), {}};
  for (const auto& message : out.built.messages) {
    auto views = netlink::splitMessages(message.bytes);
    if (views && message.type() == nftType(NFT_MSG_NEWCHAIN)) out.chains.push_back(parseChain(views->front()).value());
  }
  return out;
}

TEST(NatHookRulesetTest, OneEmptyNatChainAtSourceNatPriority) {
  const auto hook = build(ip("10.103.97.2"));
  EXPECT_EQ(hook.built.table.name, "lvscare_nathook_10.103.97.2");
  EXPECT_EQ(hook.built.table.family, NFPROTO_IPV4);
  EXPECT_EQ(hook.built.table.comment, "lvscare nat hook 10.103.97.2");
  EXPECT_TRUE(hook.built.rules.empty());
  ASSERT_EQ(hook.chains.size(), 1u);
  ASSERT_TRUE(hook.chains[0].base);
  EXPECT_EQ(hook.chains[0].base->type, "nat");
  EXPECT_EQ(hook.chains[0].base->hook, static_cast<std::uint32_t>(NF_INET_POST_ROUTING));
  EXPECT_EQ(hook.chains[0].base->priority, 100);
  EXPECT_EQ(hook.chains[0].base->policy, static_cast<std::uint32_t>(NF_ACCEPT));
  EXPECT_EQ(natHookTableName(ip("fd00::1")), "lvscare_nathook_fd00--1");
  EXPECT_EQ(build(ip("fd00::1")).built.table.family, NFPROTO_IPV6);
}

TEST(NatHookRulesetTest, NotALoadBalancerTableName) {
  // lvscare_<proto>_<vip>_<port> is the datapath's; the hook's name must never parse as one.
  EXPECT_FALSE(parseLbTableName(NFPROTO_IPV4, natHookTableName(ip("10.103.97.2"))));
}

TEST(NatHookRulesetTest, IntactAsBuiltAndNotWhenAltered) {
  const auto vip = ip("10.103.97.2");
  const auto hook = build(vip);
  EXPECT_TRUE(isIntactNatHookTable(vip, hook.built.table, hook.chains, hook.built.rules));
  EXPECT_FALSE(isIntactNatHookTable(ip("10.103.97.3"), hook.built.table, hook.chains, hook.built.rules));

  auto comment = hook.built.table;
  comment.comment = "lvscare nat hook 10.103.97.3";
  EXPECT_FALSE(isIntactNatHookTable(vip, comment, hook.chains, hook.built.rules));

  std::vector<ChainInfo> none;
  EXPECT_FALSE(isIntactNatHookTable(vip, hook.built.table, none, hook.built.rules));

  auto filter = hook.chains;
  filter[0].base->type = "filter";
  EXPECT_FALSE(isIntactNatHookTable(vip, hook.built.table, filter, hook.built.rules));
  auto drop = hook.chains;
  drop[0].base->policy = NF_DROP;
  EXPECT_FALSE(isIntactNatHookTable(vip, hook.built.table, drop, hook.built.rules));
  auto second = hook.chains;
  second.push_back(hook.chains[0]);
  second.back().name = "extra";
  EXPECT_FALSE(isIntactNatHookTable(vip, hook.built.table, second, hook.built.rules));
  auto elsewhere = second;
  elsewhere.back().table = "filter";  // another table's chain is no concern of this one
  EXPECT_TRUE(isIntactNatHookTable(vip, hook.built.table, elsewhere, hook.built.rules));

  std::vector<RuleInfo> rules(1);
  rules[0].family = NFPROTO_IPV4;
  rules[0].table = hook.built.table.name;
  rules[0].chain = "postrouting";
  EXPECT_FALSE(isIntactNatHookTable(vip, hook.built.table, hook.chains, rules));
}

}  // namespace
}  // namespace lvscare::nftables
