// HTTPS through HttpClient against a local httplib::SSLServer with a throw-away self-signed certificate:
// the certificate is verified against the system store (so a self-signed one is refused with a clear
// message), and accepted once SSL_CERT_FILE names it.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "hub/http_client.h"

namespace dolmetsch::hub {
namespace {

class StringSink : public BodySink {
 public:
  Status OnResponse(const ResponseHead&) override { return Status::Ok(); }
  Status OnData(const char* data, size_t size) override {
    body.append(data, size);
    return Status::Ok();
  }
  std::string body;
};

// A self-signed certificate for IP 127.0.0.1 and its key; freed in the destructor.
struct SelfSigned {
  SelfSigned() {
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"),
                               -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    for (auto [nid, value] :
         {std::pair{NID_subject_alt_name, "IP:127.0.0.1"}, {NID_basic_constraints, "CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(cert, key, EVP_sha256());
  }
  ~SelfSigned() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

TEST(HttpClientTls, VerifiesTheServerCertificate) {
  SelfSigned identity;
  ASSERT_NE(identity.key, nullptr);
  const std::filesystem::path pem =
      std::filesystem::temp_directory_path() / ("dolmetsch_tls_test_" + std::to_string(getpid()) + ".pem");
  FILE* file = std::fopen(pem.c_str(), "w");
  ASSERT_NE(file, nullptr);
  PEM_write_X509(file, identity.cert);
  std::fclose(file);

  httplib::SSLServer server(identity.cert, identity.key);
  ASSERT_TRUE(server.is_valid());
  server.Get("/echo",
             [](const httplib::Request&, httplib::Response& res) { res.set_content("hello", "text/plain"); });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  for (int i = 0; i < 5000 && !server.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));

  HttpSettings settings;
  settings.connect_timeout = std::chrono::milliseconds(2000);
  settings.read_timeout = std::chrono::milliseconds(5000);
  HttpClient client(settings);
  Url url = ParseUrl("https://127.0.0.1:" + std::to_string(port) + "/echo").value();

  unsetenv("SSL_CERT_FILE");
  StringSink refused_sink;
  auto refused = client.Get(url, 0, refused_sink);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(refused.status().message().find("TLS connection to 127.0.0.1 failed"), std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(refused_sink.body, "");

  setenv("SSL_CERT_FILE", pem.c_str(), 1);
  StringSink sink;
  auto accepted = client.Get(url, 0, sink);
  unsetenv("SSL_CERT_FILE");
  server.stop();
  thread.join();
  std::filesystem::remove(pem);
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  EXPECT_EQ(accepted->status, 200);
  EXPECT_EQ(sink.body, "hello");
}

}  // namespace
}  // namespace dolmetsch::hub
