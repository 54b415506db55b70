#include <gtest/gtest.h>

#include <string>

#include "health/http_response_parser.hpp"

namespace lvscare::health {
namespace {

using State = HttpResponseParser::State;

TEST(HttpResponseParserTest, ParsesStatusAndHeaders) {
  HttpResponseParser p;
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Empty:\r\nX-Pad: \t v a \t\r\n\r\nbody"),
            State::Done);
  EXPECT_EQ(p.status(), 200);
  EXPECT_EQ(p.minorVersion(), 1);
  EXPECT_EQ(p.reason(), "OK");
  ASSERT_EQ(p.headers().size(), 3u);
  EXPECT_EQ(p.header("content-type"), "text/plain");
  EXPECT_EQ(p.header("x-empty"), "");
  EXPECT_EQ(p.header("X-Pad"), "v a");
  EXPECT_EQ(p.consumed(), 71u);  // the body is not consumed
}

TEST(HttpResponseParserTest, EverySplitOfTheInputGivesTheSameResult) {
  const std::string response = "HTTP/1.0 503 Service Unavailable\r\nRetry-After: 5\r\n\r\n";
  for (std::size_t split = 0; split <= response.size(); ++split) {
    HttpResponseParser p;
    p.feed(std::string_view(response).substr(0, split));
    ASSERT_EQ(p.feed(std::string_view(response).substr(split)), State::Done) << "split at " << split;
    EXPECT_EQ(p.status(), 503);
    EXPECT_EQ(p.minorVersion(), 0);
    EXPECT_EQ(p.header("retry-after"), "5");
  }
  HttpResponseParser bytewise;
  State s = State::NeedMore;
  for (char c : response) s = bytewise.feed(std::string_view(&c, 1));
  EXPECT_EQ(s, State::Done);
}

TEST(HttpResponseParserTest, AcceptsBareLineFeedsAndNoReason) {
  HttpResponseParser p;
  EXPECT_EQ(p.feed("HTTP/1.1 204\nServer: x\n\n"), State::Done);
  EXPECT_EQ(p.status(), 204);
  EXPECT_EQ(p.reason(), "");
}

TEST(HttpResponseParserTest, SkipsInterimResponses) {
  HttpResponseParser p;
  EXPECT_EQ(p.feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"), State::NeedMore);
  EXPECT_EQ(p.feed("HTTP/1.1 401 Unauthorized\r\n\r\n"), State::Done);
  EXPECT_EQ(p.status(), 401);
  EXPECT_TRUE(p.headers().empty());  // the 103's headers are not the final response's
}

TEST(HttpResponseParserTest, SwitchingProtocolsIsFinal) {
  HttpResponseParser p;
  EXPECT_EQ(p.feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"), State::Done);
  EXPECT_EQ(p.status(), 101);
}

struct Bad {
  const char* input;
  const char* error;
};

class HttpResponseParserBadTest : public ::testing::TestWithParam<Bad> {};

TEST_P(HttpResponseParserBadTest, Rejects) {
  HttpResponseParser p;
  EXPECT_EQ(p.feed(GetParam().input), State::Error);
  EXPECT_NE(p.error().find(GetParam().error), std::string::npos) << p.error();
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\n\r\n"), State::Error);  // stays failed
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, HttpResponseParserBadTest,
    ::testing::Values(Bad{"\x16\x03\x01\x02", "not an HTTP response: '\\x16\\x03\\x01\\x02'"},
                      Bad{"SSH-2.0-OpenSSH", "not an HTTP response"}, Bad{"HTTP/2 200\r\n", "bad status line"},
                      Bad{"HTTP/1.1 20 OK\r\n", "bad status line"}, Bad{"HTTP/1.1 2000 OK\r\n", "bad status line"},
                      Bad{"HTTP/1.1  200 OK\r\n", "bad status line"}, Bad{"HTTP/1.1 abc OK\r\n", "bad status line"},
                      Bad{"HTTP/1.1 099 Low\r\n", "status 99 out of range"},
                      Bad{"HTTP/1.1 600 High\r\n", "status 600 out of range"},
                      Bad{"HTTP/1.1 200 O\x01K\r\n", "control byte in status line"},
                      Bad{"\r\nHTTP/1.1 200 OK\r\n", "not an HTTP response: ''"},
                      Bad{"HTTP/1.1 200 OK\r\n folded\r\n", "obsolete header line folding"},
                      Bad{"HTTP/1.1 200 OK\r\nNoColon\r\n", "without ':'"},
                      Bad{"HTTP/1.1 200 OK\r\n: v\r\n", "bad header name"},
                      Bad{"HTTP/1.1 200 OK\r\nBad Name: v\r\n", "bad header name"},
                      Bad{"HTTP/1.1 200 OK\r\nX: a\rb\r\n", "control byte in header"}));

TEST(HttpResponseParserTest, RejectsNulInAHeaderValue) {
  HttpResponseParser p;
  EXPECT_EQ(p.feed(std::string("HTTP/1.1 200 OK\r\nX: a\0b\r\n", 25)), State::Error);
  EXPECT_NE(p.error().find("control byte in header"), std::string::npos);
}

TEST(HttpResponseParserTest, CapsTheHeaderBlock) {
  HttpResponseParser p;
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\n"), State::NeedMore);
  const std::string header = "X-Filler: " + std::string(100, 'a') + "\r\n";
  State s = State::NeedMore;
  int lines = 0;
  while (s == State::NeedMore && lines < 1000) {
    s = p.feed(header);
    ++lines;
  }
  EXPECT_EQ(s, State::Error);
  EXPECT_EQ(p.error(), "response header block over 16384 bytes");
  EXPECT_LT(lines, 160);
}

TEST(HttpResponseParserTest, CapsOneEndlessLine) {
  HttpResponseParser p(64);
  EXPECT_EQ(p.feed("HTTP/1.1 200 " + std::string(40, 'x')), State::NeedMore);
  EXPECT_EQ(p.feed(std::string(40, 'x')), State::Error);
}

TEST(HttpResponseParserTest, ExactlyAtTheCapIsAccepted) {
  const std::string response = "HTTP/1.1 200 OK\r\n\r\n";
  HttpResponseParser p(response.size());
  EXPECT_EQ(p.feed(response), State::Done);
  HttpResponseParser q(response.size() - 1);
  EXPECT_EQ(q.feed(response), State::Error);
}

TEST(HttpResponseParserTest, ResetStartsOver) {
  HttpResponseParser p;
  EXPECT_EQ(p.feed("garbage"), State::Error);
  p.reset();
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\n\r\n"), State::Done);
  EXPECT_TRUE(p.error().empty());
}

}  // namespace
}  // namespace lvscare::health
