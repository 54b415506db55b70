// Certificates for the TLS probe tests, made at test time with the OpenSSL API in a fresh
// temporary directory: a CA, server certificates (valid, expired, name-only), a client
// certificate, and an unrelated CA. EC P-256 keys, so making them takes milliseconds.
#pragma once

#include <string>

namespace lvscare::health::testing {

struct TestPki {
  std::string dir;
  std::string caCert;
  std::string otherCaCert;  // a CA that signed nothing here
  std::string serverCert;   // SAN: IP 127.0.0.1, IP ::1, DNS lvscare.test
  std::string serverKey;
  std::string expiredCert;  // same names, expired yesterday
  std::string expiredKey;
  std::string nameOnlyCert;  // SAN: DNS lvscare.test only (no IP)
  std::string nameOnlyKey;
  std::string clientCert;  // signed by the CA, for mutual TLS
  std::string clientKey;
};

// Aborts the test on failure (ASSERT inside); call from a test or a fixture's SetUp.
TestPki makeTestPki();
void removeTestPki(const TestPki& pki);

}  // namespace lvscare::health::testing
