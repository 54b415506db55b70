#include "test_pki.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

namespace lvscare::health::testing {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key makeKey() { return Key(EVP_EC_gen("P-256")); }

void addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr) << "extension " << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

struct CertSpec {
  const char* commonName;
  const char* subjectAltName;  // nullptr: none
  bool isCa = false;
  long notBeforeDays = -1;
  long notAfterDays = 30;
};

// Signed by issuer/issuerKey, or self-signed when issuer is null.
Cert makeCert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuerKey) {
  static long serial = 1;
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.notBeforeDays * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.notAfterDays * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(spec.commonName), -1, -1,
                             0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  addExtension(cert.get(), signer, NID_basic_constraints, spec.isCa ? "critical,CA:TRUE" : "CA:FALSE");
  if (spec.isCa) addExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  if (spec.subjectAltName != nullptr) addExtension(cert.get(), signer, NID_subject_alt_name, spec.subjectAltName);
  EXPECT_GT(X509_sign(cert.get(), issuerKey != nullptr ? issuerKey : key, EVP_sha256()), 0);
  return cert;
}

std::string writeCert(const std::string& dir, const char* name, X509* cert) {
  const std::string path = dir + "/" + name;
  FILE* f = std::fopen(path.c_str(), "w");
  EXPECT_NE(f, nullptr);
  PEM_write_X509(f, cert);
  std::fclose(f);
  return path;
}

std::string writeKey(const std::string& dir, const char* name, EVP_PKEY* key) {
  const std::string path = dir + "/" + name;
  FILE* f = std::fopen(path.c_str(), "w");
  EXPECT_NE(f, nullptr);
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  return path;
}

}  // namespace

TestPki makeTestPki() {
  TestPki pki;
  char pattern[] = "/tmp/lvscare-health-pki-XXXXXX";
  const char* dir = mkdtemp(pattern);
  EXPECT_NE(dir, nullptr);
  pki.dir = dir;
  const char* serverNames = "IP:127.0.0.1,IP:::1,DNS:lvscare.test";

  Key caKey = makeKey();
  Cert ca = makeCert({"lvscare test CA", nullptr, true}, caKey.get(), nullptr, nullptr);
  pki.caCert = writeCert(pki.dir, "ca.pem", ca.get());
  Key otherKey = makeKey();
  Cert other = makeCert({"unrelated CA", nullptr, true}, otherKey.get(), nullptr, nullptr);
  pki.otherCaCert = writeCert(pki.dir, "other-ca.pem", other.get());

  Key serverKey = makeKey();
  pki.serverCert =
      writeCert(pki.dir, "server.pem", makeCert({"server", serverNames}, serverKey.get(), ca.get(), caKey.get()).get());
  pki.serverKey = writeKey(pki.dir, "server.key", serverKey.get());

  Key expiredKey = makeKey();
  Cert expired = makeCert({"expired", serverNames, false, -30, -1}, expiredKey.get(), ca.get(), caKey.get());
  pki.expiredCert = writeCert(pki.dir, "expired.pem", expired.get());
  pki.expiredKey = writeKey(pki.dir, "expired.key", expiredKey.get());

  Key nameOnlyKey = makeKey();
  Cert nameOnly = makeCert({"name only", "DNS:lvscare.test"}, nameOnlyKey.get(), ca.get(), caKey.get());
  pki.nameOnlyCert = writeCert(pki.dir, "name-only.pem", nameOnly.get());
  pki.nameOnlyKey = writeKey(pki.dir, "name-only.key", nameOnlyKey.get());

  Key clientKey = makeKey();
  Cert client = makeCert({"client", nullptr}, clientKey.get(), ca.get(), caKey.get());
  pki.clientCert = writeCert(pki.dir, "client.pem", client.get());
  pki.clientKey = writeKey(pki.dir, "client.key", clientKey.get());
  return pki;
}

void removeTestPki(const TestPki& pki) {
  std::error_code ignored;
  if (!pki.dir.empty()) std::filesystem::remove_all(pki.dir, ignored);
}

}  // namespace lvscare::health::testing
