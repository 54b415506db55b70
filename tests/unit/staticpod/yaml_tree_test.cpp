// The YAML tree, go-yaml v2's quoting and key order, and the libyaml emitter and parser.
//
// The quoting table mirrors golden/go-quirks.yaml, whose every line go_reference_check.py checks
// against sigs.k8s.io/yaml itself (the table is the fast regression test, the Go run is the proof).
#include <gtest/gtest.h>

#include <string>

#include "staticpod/yaml_tree.hpp"

namespace lvscare::staticpod {
namespace {

TEST(GoYamlQuoting, QuotesWhatGoYamlWouldReadAsAnotherType) {
  for (const char* text : {"",
                           "401",
                           "true",
                           "True",
                           "TRUE",
                           "yes",
                           "y",
                           "Y",
                           "n",
                           "NO",
                           "on",
                           "off",
                           "~",
                           "null",
                           "Null",
                           "NULL",
                           "-1",
                           "+1",
                           "0x1F",
                           "0o17",
                           "017",
                           "08",
                           "1e5",
                           "1.5",
                           ".5",
                           "-.5",
                           "1.",
                           "1_000",
                           "0b101",
                           "0b-1",
                           "-0b101",
                           "1:20",
                           "-1:20",
                           "190:20:30",
                           "2001-12-14",
                           "2001-1-2",
                           "2001-12-14t21:59:43.10Z",
                           "2001-12-14T21:59:43.10+05:00",
                           "2001-12-14 21:59:43.10",
                           "2006-1-2 15:4:5",
                           ".inf",
                           "-.Inf",
                           "+.INF",
                           ".nan",
                           "99999999999999999999",
                           "18446744073709551615",
                           "-9223372036854775808",
                           "-9223372036854775809"}) {
    EXPECT_TRUE(goYamlNeedsQuotes(text)) << "'" << text << "'";
  }
}

TEST(GoYamlQuoting, LeavesStringsThatReadBackAsStrings) {
  for (const char* text : {"x",
                           "<<",
                           "fd00::1",
                           "10.103.97.2:6443",
                           "192.168.0.2",
                           "1.2.3",
                           "1:60",
                           "2001-02-30",
                           "2001-13-01",
                           "20011-12-14",
                           "1e400",
                           "0xFFFFFFFFFFFFFFFFF",
                           "0x",
                           "-",
                           "--rs",
                           "+",
                           ".",
                           "nan",
                           "inf",
                           "Yes!",
                           "[x]",
                           "- a",
                           "x y",
                           "/healthz",
                           "IfNotPresent",
                           "sealos.hub:5000/sealos/lvscare:latest"}) {
    EXPECT_FALSE(goYamlNeedsQuotes(text)) << "'" << text << "'";
  }
}

TEST(GoYamlQuoting, ResolutionIgnoresBase60) {
  // go-yaml v2 reads a plain 1:20 as a string but still writes it quoted.
  EXPECT_FALSE(goYamlResolvesToNonString("1:20"));
  EXPECT_TRUE(goYamlNeedsQuotes("1:20"));
  EXPECT_TRUE(goYamlResolvesToNonString("null"));
}

TEST(GoYamlKeyOrder, SortsLikeGoYaml) {
  EXPECT_TRUE(goYamlKeyLess("image", "imagePullPolicy"));  // a prefix first
  EXPECT_FALSE(goYamlKeyLess("imagePullPolicy", "image"));
  EXPECT_TRUE(goYamlKeyLess("args", "command"));
  EXPECT_TRUE(goYamlKeyLess("volumeMounts", "volumes"));  // 'M' < 's'
  EXPECT_TRUE(goYamlKeyLess("Zed", "apple"));             // upper case before lower case
  EXPECT_TRUE(goYamlKeyLess("a2", "a10"));                // digit runs by value
  EXPECT_FALSE(goYamlKeyLess("a10", "a2"));
  EXPECT_TRUE(goYamlKeyLess("x1", "xa"));  // a non-letter before a letter
  EXPECT_TRUE(goYamlKeyLess("a.b", "ab"));
  EXPECT_FALSE(goYamlKeyLess("same", "same"));
}

TEST(YamlEmit, WritesKubernetesLayout) {
  YamlNode root = YamlNode::map();
  root.set("zeta", YamlNode::stringSeq({"a", "401"}));
  root.set("alpha", YamlNode::map());
  YamlNode inner = YamlNode::map();
  inner.set("type", YamlNode::string(""));
  inner.set("path", YamlNode::string("/lib/modules"));
  root.set("beta", std::move(inner));
  root.set("gamma", YamlNode::seq());
  root.set("delta", YamlNode::null());
  root.set("epsilon", YamlNode::boolean(true));
  auto text = emitYaml(root);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text,
            "alpha: {}\n"
            "beta:\n"
            "  path: /lib/modules\n"
            "  type: \"\"\n"
            "delta: null\n"
            "epsilon: true\n"
            "gamma: []\n"
            "zeta:\n"
            "- a\n"
            "- \"401\"\n");
}

TEST(YamlEmit, MultiLineTextIsALiteralBlock) {
  YamlNode root = YamlNode::map();
  root.set("script", YamlNode::string("a\nb"));
  auto text = emitYaml(root);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, "script: |-\n  a\n  b\n");
}

TEST(YamlEmit, SetReplacesAnExistingKey) {
  YamlNode root = YamlNode::map();
  root.set("image", YamlNode::string("a"));
  root.set("image", YamlNode::string("b"));
  ASSERT_EQ(root.entries.size(), 1u);
  EXPECT_EQ(root.find("image")->text, "b");
}

TEST(YamlParse, KeepsScalarTypes) {
  auto root = parseYaml("a: true\nb: \"true\"\nc: 1:20\nd: ''\ne: null\nf: [x, 2]\ng: {}\n");
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(root->find("a")->kind, YamlNode::Kind::Literal);
  EXPECT_EQ(root->find("b")->kind, YamlNode::Kind::String);
  EXPECT_EQ(root->find("c")->kind, YamlNode::Kind::String);
  EXPECT_EQ(root->find("d")->kind, YamlNode::Kind::String);
  EXPECT_EQ(root->find("d")->text, "");
  EXPECT_EQ(root->find("e")->kind, YamlNode::Kind::Literal);
  ASSERT_EQ(root->find("f")->kind, YamlNode::Kind::Seq);
  ASSERT_EQ(root->find("f")->items.size(), 2u);
  EXPECT_EQ(root->find("f")->items[1].kind, YamlNode::Kind::Literal);
  EXPECT_EQ(root->find("g")->kind, YamlNode::Kind::Map);
  EXPECT_TRUE(root->find("g")->entries.empty());
  auto again = emitYaml(*root);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, "a: true\nb: \"true\"\nc: \"1:20\"\nd: \"\"\ne: null\nf:\n- x\n- 2\ng: {}\n");
}

TEST(YamlParse, AcceptsAStrTag) {
  auto root = parseYaml("a: !!str 5\n");
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(root->find("a")->kind, YamlNode::Kind::String);
}

struct BadYaml {
  const char* text;
  const char* fragment;
};

class YamlParseRejects : public ::testing::TestWithParam<BadYaml> {};

TEST_P(YamlParseRejects, WithOneLine) {
  auto root = parseYaml(GetParam().text);
  ASSERT_FALSE(root) << GetParam().text;
  EXPECT_EQ(root.error().code, Errc::Malformed);
  EXPECT_NE(root.error().message.find(GetParam().fragment), std::string::npos) << root.error().message;
  EXPECT_EQ(root.error().message.find('\n'), std::string::npos);
}

std::string deeplyNested() {
  std::string text;
  for (int i = 0; i < 100; ++i) text += '[';
  for (int i = 0; i < 100; ++i) text += ']';
  return text;
}

const std::string kDeep = deeplyNested();

INSTANTIATE_TEST_SUITE_P(Cases, YamlParseRejects,
                         ::testing::Values(BadYaml{"", "empty document"}, BadYaml{"a: &x 1\nb: *x\n", "anchors"},
                                           BadYaml{"a: 1\n---\nb: 2\n", "more than one document"},
                                           BadYaml{"a: 1\na: 2\n", "duplicate key 'a'"}, BadYaml{"a: [1\n", "line"},
                                           BadYaml{"a: !!int 5\n", "tag"}, BadYaml{"? [a]\n: b\n", "scalar"},
                                           BadYaml{kDeep.c_str(), "nested too deeply"},
                                           BadYaml{"a: b: c\n", "line 1"}));

}  // namespace
}  // namespace lvscare::staticpod
