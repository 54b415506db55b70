// HTTPS probes against a TLS server on 127.0.0.1 with certificates made at test time: verification
// off and on, CA file, server name, expired certificate, client certificate.
#include <gtest/gtest.h>

#include "loopback_server.hpp"
#include "probe_helpers.hpp"
#include "test_pki.hpp"

namespace lvscare::health::testing {
namespace {

class HttpsProberTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki = new TestPki(makeTestPki()); }
  static void TearDownTestSuite() {
    removeTestPki(*pki);
    delete pki;
  }

  std::unique_ptr<LoopbackServer> server(const std::string& cert, const std::string& key,
                                         const std::string& clientCa = "") {
    TlsServerConfig tls{cert, key, clientCa};
    auto s = std::make_unique<LoopbackServer>(*loop, ServerMode::Respond, "HTTP/1.1 200 OK\r\n\r\n", "127.0.0.1", &tls);
    EXPECT_TRUE(s->ok());
    return s;
  }
  ProbeConfig verifying(const std::string& caFile) {
    ProbeConfig config = httpConfig(Scheme::Https);
    config.insecureSkipVerify = false;
    config.caFile = caFile;
    return config;
  }

  static TestPki* pki;
  std::unique_ptr<event::EpollDispatcher> loop = makeLoop();
};

TestPki* HttpsProberTest::pki = nullptr;

TEST_F(HttpsProberTest, VerificationOffAcceptsAnyCertificateAsLvscareDoes) {
  auto s = server(pki->expiredCert, pki->expiredKey);
  const ProbeResult r = probeOnce(*loop, httpConfig(Scheme::Https), s->endpoint());
  EXPECT_TRUE(r.healthy) << r.detail;
  EXPECT_EQ(r.detail, "HTTP 200");
  EXPECT_EQ(s->lastServerName(), "");  // no SNI for an IP target
  ASSERT_EQ(s->requests().size(), 1u);
  EXPECT_EQ(s->requests()[0].rfind("GET /healthz HTTP/1.1\r\n", 0), 0u);
}

TEST_F(HttpsProberTest, VerificationWithTheCaFileChecksTheTargetIp) {
  auto s = server(pki->serverCert, pki->serverKey);
  const ProbeResult r = probeOnce(*loop, verifying(pki->caCert), s->endpoint());
  EXPECT_TRUE(r.healthy) << r.detail;
}

TEST_F(HttpsProberTest, AnUntrustedIssuerFails) {
  auto s = server(pki->serverCert, pki->serverKey);
  ProbeResult r = probeOnce(*loop, verifying(pki->otherCaCert), s->endpoint());
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.detail, "TLS handshake: certificate verify failed: unable to get local issuer certificate");
  r = probeOnce(*loop, verifying(""), s->endpoint());  // the system store does not know our CA
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.detail, "TLS handshake: certificate verify failed: unable to get local issuer certificate");
}

TEST_F(HttpsProberTest, ACertificateWithoutTheTargetIpFails) {
  auto s = server(pki->nameOnlyCert, pki->nameOnlyKey);
  const ProbeResult r = probeOnce(*loop, verifying(pki->caCert), s->endpoint());
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.detail, "TLS handshake: certificate verify failed: IP address mismatch");
}

TEST_F(HttpsProberTest, ServerNameIsSentAsSniAndVerified) {
  auto s = server(pki->nameOnlyCert, pki->nameOnlyKey);
  ProbeConfig config = verifying(pki->caCert);
  config.serverName = "lvscare.test";
  ProbeResult r = probeOnce(*loop, config, s->endpoint());
  EXPECT_TRUE(r.healthy) << r.detail;
  EXPECT_EQ(s->lastServerName(), "lvscare.test");
  ASSERT_FALSE(s->requests().empty());
  EXPECT_NE(s->requests().back().find("\r\nHost: lvscare.test:"), std::string::npos);
  config.serverName = "other.test";
  r = probeOnce(*loop, config, s->endpoint());
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.detail, "TLS handshake: certificate verify failed: hostname mismatch");
}

TEST_F(HttpsProberTest, AnExpiredCertificateFailsWhenVerifying) {
  auto s = server(pki->expiredCert, pki->expiredKey);
  const ProbeResult r = probeOnce(*loop, verifying(pki->caCert), s->endpoint());
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.detail, "TLS handshake: certificate verify failed: certificate has expired");
}

TEST_F(HttpsProberTest, ClientCertificateWhenTheServerRequiresOne) {
  auto s = server(pki->serverCert, pki->serverKey, pki->caCert);
  ProbeConfig config = verifying(pki->caCert);
  ProbeResult r = probeOnce(*loop, config, s->endpoint());
  EXPECT_FALSE(r.healthy);
  // TLS 1.3: the client finishes its handshake first and learns of the refusal on its first read.
  EXPECT_NE(r.detail.find("certificate required"), std::string::npos) << r.detail;
  config.certFile = pki->clientCert;
  config.keyFile = pki->clientKey;
  r = probeOnce(*loop, config, s->endpoint());
  EXPECT_TRUE(r.healthy) << r.detail;
}

TEST_F(HttpsProberTest, SessionsAreResumedOnlyWhenNothingIsVerified) {
  auto s = server(pki->serverCert, pki->serverKey);
  for (const bool verify : {false, true}) {
    ProbeConfig config = verify ? verifying(pki->caCert) : httpConfig(Scheme::Https);
    auto factory = makeProberFactory(*loop, config);
    ASSERT_TRUE(factory);
    auto prober = (*factory)(s->endpoint());
    const int before = s->resumedSessions();
    for (int i = 0; i < 3; ++i) {
      std::optional<ProbeResult> result;
      prober->start([&](ProbeResult r) { result = std::move(r); });
      ASSERT_TRUE(loop->runUntil([&] { return result.has_value(); }, std::chrono::seconds(5)));
      EXPECT_TRUE(result->healthy) << result->detail;
    }
    // Without verification the second and third probes resume; with it, every probe sees the certificate.
    EXPECT_EQ(s->resumedSessions() - before, verify ? 0 : 2);
  }
}

TEST_F(HttpsProberTest, PlainHttpToATlsServerAndTlsToAPlainServerFail) {
  auto tlsServer = server(pki->serverCert, pki->serverKey);
  ProbeResult r = probeOnce(*loop, httpConfig(Scheme::Http), tlsServer->endpoint());
  EXPECT_FALSE(r.healthy);
  LoopbackServer plain(*loop, ServerMode::RespondToAnything, "HTTP/1.1 400 Bad Request\r\n\r\n");
  r = probeOnce(*loop, httpConfig(Scheme::Https), plain.endpoint());
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.detail.rfind("TLS handshake: ", 0), 0u) << r.detail;
}

TEST_F(HttpsProberTest, BadFilesAreReportedWhenTheFactoryIsMade) {
  ProbeConfig config = verifying("/nonexistent/ca.pem");
  auto factory = makeProberFactory(*loop, config);
  ASSERT_FALSE(factory);
  EXPECT_EQ(factory.error().message.rfind("load health CA file '/nonexistent/ca.pem': ", 0), 0u)
      << factory.error().message;
  config = verifying(pki->caCert);
  config.certFile = pki->clientCert;
  config.keyFile = pki->serverKey;
  factory = makeProberFactory(*loop, config);
  ASSERT_FALSE(factory);
  EXPECT_EQ(factory.error().message.rfind("load health key file", 0) == 0 ||
                factory.error().message.find("does not match") != std::string::npos,
            true)
      << factory.error().message;
}

}  // namespace
}  // namespace lvscare::health::testing
