#include "observe/http_request_head.hpp"

#include <gtest/gtest.h>

namespace lvscare::observe {
namespace {

TEST(FindHeadEnd, FindsTheEmptyLineWithCrlfOrBareLf) {
  EXPECT_EQ(findHeadEnd("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 27u);
  EXPECT_EQ(findHeadEnd("GET / HTTP/1.1\n\n"), 16u);
  EXPECT_EQ(findHeadEnd("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody"), 27u);
  EXPECT_EQ(findHeadEnd("GET / HTTP/1.1\r\nHost: x\r\n"), std::nullopt);
  EXPECT_EQ(findHeadEnd(""), std::nullopt);
}

TEST(FindHeadEnd, ResumingGivesTheSameAnswerAsOneScan) {
  const std::string head = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n";
  for (std::size_t cut = 0; cut <= head.size(); ++cut) {
    std::optional<std::size_t> found = findHeadEnd(std::string_view(head).substr(0, cut));
    if (!found) found = findHeadEnd(head, cut);
    EXPECT_EQ(found, head.size()) << "cut at " << cut;
  }
}

TEST(ParseRequestHead, ParsesMethodPathQueryAndFields) {
  const auto parsed =
      parseRequestHead("GET /livez?verbose HTTP/1.1\r\nHost: node\r\nUser-Agent:  kube-probe/1.28 \r\n\r\n");
  ASSERT_TRUE(parsed.head) << parsed.error.reason;
  EXPECT_EQ(parsed.head->method, "GET");
  EXPECT_EQ(parsed.head->path, "/livez");
  EXPECT_EQ(parsed.head->query, "verbose");
  EXPECT_EQ(parsed.head->minorVersion, 1);
  ASSERT_EQ(parsed.head->headers.size(), 2u);
  EXPECT_EQ(parsed.head->headers[1].first, "User-Agent");
  EXPECT_EQ(parsed.head->headers[1].second, "kube-probe/1.28");
}

TEST(ParseRequestHead, IgnoresOneEmptyLineBeforeTheRequestLine) {
  const auto parsed = parseRequestHead("\r\nGET /metrics HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(parsed.head) << parsed.error.reason;
  EXPECT_EQ(parsed.head->minorVersion, 0);
}

TEST(ParseRequestHead, RejectsWithTheStatusAServerShouldAnswer) {
  const std::pair<const char*, int> cases[] = {
      {"GET /\r\n\r\n", 400},                       // no version
      {"GET  / HTTP/1.1\r\n\r\n", 400},             // empty target
      {"G(T / HTTP/1.1\r\n\r\n", 400},              // method not a token
      {"GET http://x/ HTTP/1.1\r\n\r\n", 400},      // absolute form
      {"GET /a\x01 HTTP/1.1\r\n\r\n", 400},         // control byte in the target
      {"GET / HTTP/2.0\r\n\r\n", 505},              //
      {"GET / HTTX/1.1\r\n\r\n", 400},              //
      {"GET / HTTP/1.1\r\nNo colon\r\n\r\n", 400},  //
      {"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nBad Name: b\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", 400},
      {"\r\n\r\n", 400},
  };
  for (const auto& [text, status] : cases) {
    const auto parsed = parseRequestHead(text);
    EXPECT_FALSE(parsed.head) << text;
    EXPECT_EQ(parsed.error.status, status) << text;
    EXPECT_FALSE(parsed.error.reason.empty());
  }
  const std::string longTarget = "GET /" + std::string(kMaxTargetBytes, 'a') + " HTTP/1.1\r\n\r\n";
  EXPECT_EQ(parseRequestHead(longTarget).error.status, 414);
}

TEST(Query, KeysWithOrWithoutValues) {
  EXPECT_TRUE(queryHas("verbose", "verbose"));
  EXPECT_TRUE(queryHas("a=1&verbose=1", "verbose"));
  EXPECT_FALSE(queryHas("verbose=0", "verbose"));
  EXPECT_FALSE(queryHas("verbosely", "verbose"));
  EXPECT_FALSE(queryHas("", "verbose"));
  EXPECT_EQ(queryValue("format=table&x", "format"), std::optional<std::string_view>("table"));
  EXPECT_EQ(queryValue("x", "format"), std::nullopt);
}

}  // namespace
}  // namespace lvscare::observe
