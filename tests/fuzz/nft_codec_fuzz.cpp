// Feeds arbitrary bytes to the nftables decoders: tables, chains, rules and their expressions, set
// elements, userdata comments, conntrack entries, and the load-balancer table decoder on top. Any crash or
// out-of-bounds read is a bug; errors are the expected outcome for almost every input.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nftables/conntrack.hpp"
#include "nftables/expressions.hpp"
#include "nftables/lb_ruleset.hpp"
#include "nftables/objects.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lvscare::nftables;
  const Bytes input(data, size);
  (void)parseCommentUserdata(input);
  (void)parseExpressionList(input);
  (void)parseData(input, "fuzz");
  auto messages = lvscare::netlink::splitMessages(input);
  if (!messages) return 0;
  std::optional<TableInfo> table;
  std::vector<RuleInfo> rules;
  for (const auto& message : *messages) {
    if (auto parsed = parseTable(message)) table = *parsed;
    (void)parseChain(message);
    (void)parseSetElements(message);
    (void)parseConntrackEntry(message);
    if (auto rule = parseRule(message)) {
      for (const auto& expression : rule->expressions) {
        (void)decodeCounter(expression);
        (void)decodeImmediate(expression);
        (void)decodeNat(expression);
        (void)decodeCmp(expression);
        (void)decodePayload(expression);
        (void)decodeMeta(expression);
        (void)decodeLookup(expression);
      }
      rules.push_back(std::move(*rule));
    }
  }
  if (table) (void)decodeLbTable(*table, rules);
  return 0;
}
