#include "hub/http_client.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <thread>

namespace dolmetsch::hub {
namespace {

// A port nothing listens on: bound once, then closed.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class CollectingSink : public BodySink {
 public:
  Status OnResponse(const ResponseHead& head) override {
    statuses.push_back(head.status);
    return Status::Ok();
  }
  Status OnData(const char* data, size_t size) override {
    body.append(data, size);
    return Status::Ok();
  }
  std::vector<int> statuses;
  std::string body;
};

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/loop", [](const httplib::Request&, httplib::Response& res) {
      res.status = 302;
      res.set_header("Location", "/loop");
    });
    server_.Get("/no-location", [](const httplib::Request&, httplib::Response& res) { res.status = 307; });
    server_.Get("/relative", [](const httplib::Request&, httplib::Response& res) {
      res.status = 307;
      res.set_header("Location", "echo?from=relative");
    });
    server_.Get("/cross", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.status = 302;
      res.set_header("X-Linked-Size", "5");
      res.set_header("Location", "http://localhost:" + std::to_string(port_) + "/echo");
    });
    server_.Get("/echo", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_content("hello", "text/plain");
    });
    server_.Get("/error", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content("internal details", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // bind_to_any_port already listens; wait for the accept loop so that stop() cannot miss it.
    for (int i = 0; i < 5000 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    origin_ = ParseUrl("http://127.0.0.1:" + std::to_string(port_)).value();
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  void Record(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mutex_);
    seen_.push_back(req.path + " host=" + req.get_header_value("Host") + " auth=" +
                    req.get_header_value("Authorization") + " range=" + req.get_header_value("Range") +
                    " enc=" + req.get_header_value("Accept-Encoding") + "x" +
                    std::to_string(req.get_header_value_count("Accept-Encoding")));
  }
  std::vector<std::string> seen() {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

  Url At(const std::string& target) {
    Url url = origin_;
    url.target = target;
    return url;
  }
  HttpClient Client(int max_redirects = 5) {
    HttpSettings settings;
    settings.bearer_token = "tok";
    settings.credential_origin = origin_;
    settings.max_redirects = max_redirects;
    settings.connect_timeout = std::chrono::milliseconds(2000);
    settings.read_timeout = std::chrono::milliseconds(5000);
    settings.offline_hint = "HINT";
    return HttpClient(settings);
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  Url origin_;
  std::mutex mutex_;
  std::vector<std::string> seen_;
};

TEST_F(HttpClientTest, GetFollowsCrossHostRedirectAndDropsTheToken) {
  CollectingSink sink;
  auto head = Client().Get(At("/cross"), 0, sink);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(sink.body, "hello");
  auto log = seen();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0],
            "/cross host=127.0.0.1:" + std::to_string(port_) + " auth=Bearer tok range= enc=identityx1");
  EXPECT_EQ(log[1], "/echo host=localhost:" + std::to_string(port_) + " auth= range= enc=identityx1");
}

TEST_F(HttpClientTest, GetKeepsTheTokenOnRelativeRedirectsAndSendsRange) {
  CollectingSink sink;
  auto head = Client().Get(At("/relative"), 2, sink);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 206);
  EXPECT_EQ(sink.body, "llo");
  EXPECT_EQ(sink.statuses, std::vector<int>{206});
  ASSERT_EQ(seen().size(), 1u);
  EXPECT_EQ(seen()[0], "/echo host=127.0.0.1:" + std::to_string(port_) +
                           " auth=Bearer tok range=bytes=2- enc=identityx1");
}

TEST_F(HttpClientTest, HeadStopsAtTheFirstCrossOriginRedirect) {
  auto result = Client().Head(At("/cross"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->head.status, 302);
  EXPECT_EQ(result->head.Header("X-LINKED-SIZE"), "5");
  ASSERT_TRUE(result->redirect_to.has_value());
  EXPECT_EQ(result->redirect_to->ToString(), "http://localhost:" + std::to_string(port_) + "/echo");
  EXPECT_EQ(seen().size(), 1u);  // the CDN was not asked
}

TEST_F(HttpClientTest, HeadFollowsSameOriginRedirects) {
  auto result = Client().Head(At("/relative"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->head.status, 200);
  EXPECT_EQ(result->chain.size(), 2u);
  EXPECT_EQ(result->url.target, "/echo?from=relative");
  EXPECT_FALSE(result->redirect_to.has_value());
  EXPECT_EQ(result->head.Header("content-length"), "5");
}

TEST_F(HttpClientTest, RedirectLoopsAreBounded) {
  CollectingSink sink;
  auto get = Client(3).Get(At("/loop"), 0, sink);
  ASSERT_FALSE(get.ok());
  EXPECT_NE(get.status().message().find("more than 3 redirects"), std::string::npos)
      << get.status().ToString();
  auto head = Client(3).Head(At("/loop"));
  ASSERT_FALSE(head.ok());
  EXPECT_NE(head.status().message().find("more than 3 redirects"), std::string::npos);
}

TEST_F(HttpClientTest, RedirectWithoutLocationIsAnError) {
  CollectingSink sink;
  auto get = Client().Get(At("/no-location"), 0, sink);
  ASSERT_FALSE(get.ok());
  EXPECT_NE(get.status().message().find("without a Location"), std::string::npos);
}

TEST_F(HttpClientTest, ErrorBodiesDoNotReachTheSink) {
  CollectingSink sink;
  auto head = Client().Get(At("/error"), 0, sink);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->status, 500);
  EXPECT_TRUE(sink.statuses.empty());
  EXPECT_EQ(sink.body, "");
}

TEST_F(HttpClientTest, SinkErrorsAbortTheTransfer) {
  class FailingSink : public BodySink {
   public:
    Status OnResponse(const ResponseHead&) override { return Status::Corruption("bad range"); }
    Status OnData(const char*, size_t) override { return Status::Ok(); }
  } sink;
  auto head = Client().Get(At("/echo"), 0, sink);
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(head.status().message(), "bad range");
}

TEST(HttpClientOffline, ClosedPortSaysOfflineAndGivesTheHint) {
  HttpSettings settings;
  settings.offline_hint = "HINT";
  settings.connect_timeout = std::chrono::milliseconds(2000);
  HttpClient client(settings);
  Url url = ParseUrl("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/x").value();
  auto head = client.Head(url);
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(head.status().message().find("cannot connect to 127.0.0.1:"), std::string::npos)
      << head.status().ToString();
  EXPECT_NE(head.status().message().find("this machine seems to be offline. HINT"), std::string::npos);
}

TEST(HttpClientOffline, UnresolvableHostSaysSo) {
  HttpSettings settings;
  settings.connect_timeout = std::chrono::milliseconds(2000);
  HttpClient client(settings);
  auto head = client.Head(ParseUrl("http://dolmetsch-test.invalid/x").value());
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(head.status().message().find("cannot resolve the host name 'dolmetsch-test.invalid'"),
            std::string::npos)
      << head.status().ToString();
}

}  // namespace
}  // namespace dolmetsch::hub
