// The HTTP server over real loopback sockets: framing, limits, timeouts, pipelining, half-close, streaming,
// request ids and per-request fields, connection limit, many idle and slow connections.
#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "http/testing/raw_client.h"

namespace dolmetsch::http {
namespace {

using namespace std::chrono_literals;
using testing::ClosedWithin;
using testing::Connect;
using testing::ReadAll;
using testing::SendAll;
using testing::TakeReplies;
using testing::TakeReply;

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.on_complete = [this](const Exchange& e) {
      std::lock_guard<std::mutex> lock(mu_);
      completed_.push_back({e.response().status, e.request().path, e.request_id(), e.fields().dump()});
    };
    server_ = std::make_unique<Server>(options);
    server_->Route(
        "GET", "/hello",
        [](const std::shared_ptr<Exchange>& e) {
          e->response().SetContent("hello " + e->request().query, "text/plain");
        },
        Run::kInline);
    server_->Route("POST", "/echo", [](const std::shared_ptr<Exchange>& e) {
      e->fields()["echoed"] = e->request().body.size();
      e->response().SetContent(e->request().body, "application/octet-stream");
    });
    server_->Route("GET", "/slow", [](const std::shared_ptr<Exchange>& e) {
      std::this_thread::sleep_for(300ms);
      e->response().SetContent("slow", "text/plain");
    });
    server_->Route("GET", "^/items/(\\d+)", [](const std::shared_ptr<Exchange>& e) {
      e->response().SetContent("item " + e->request().params.at(0), "text/plain");
    });
    server_->Route("GET", "/stream", [this](const std::shared_ptr<Exchange>& e) {
      e->Defer();
      e->response().Set("Content-Type", "text/event-stream");
      e->BeginStream();
      StreamTick(e, 0);
    });
    server_->Route("GET", "/poll", [this](const std::shared_ptr<Exchange>& e) {
      e->Defer();
      e->BeginStream();
      {
        std::lock_guard<std::mutex> lock(mu_);
        polls_.push_back(e);
      }
      PollTick(e);
    });
    ASSERT_TRUE(server_->Listen().ok());
    port_ = server_->port();
  }
  // The server first: its threads call back into this fixture's members.
  void TearDown() override { server_.reset(); }
  // Writes one event every 20 ms until the client goes (counted) or 100 were sent.
  void StreamTick(std::shared_ptr<Exchange> e, int n) {
    if (e->client_gone()) {
      ++streams_cancelled_;
      e->End();
      return;
    }
    if (n == 100) return e->End();
    e->Write("data: " + std::to_string(n) + "\n\n");
    e->After(20ms, [this, e, n] { StreamTick(e, n + 1); });
  }
  // An event stream's loop that never ends by itself: a timer on the I/O threads, then work on the pool.
  static void PollTick(std::shared_ptr<Exchange> e) {
    e->After(1ms, [e] { e->Blocking([e] { PollTick(e); }); });
  }
  std::string Raw(const std::string& bytes, bool half_close = false, int timeout_ms = 3000) {
    int fd = Connect(port_, timeout_ms);
    if (fd < 0) return "connect failed";
    SendAll(fd, bytes);
    if (half_close) ::shutdown(fd, SHUT_WR);
    std::string answer = ReadAll(fd);
    ::close(fd);
    return answer;
  }
  struct Done {
    int status;
    std::string path, id, fields;
  };
  std::vector<Done> Completed() {
    std::lock_guard<std::mutex> lock(mu_);
    return completed_;
  }

  std::unique_ptr<Server> server_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<Done> completed_;
  std::atomic<int> streams_cancelled_{0};
  std::vector<std::weak_ptr<Exchange>> polls_;
};

TEST_F(HttpServerTest, RoutesMethodsHeadOptionsAndErrors) {
  Start();
  auto r = testing::Exchange(port_, "GET", "/hello?x=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello x=1");
  EXPECT_FALSE(r.headers["x-request-id"].empty());
  auto head = testing::Exchange(port_, "HEAD", "/hello");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["content-length"], "6");
  EXPECT_EQ(head.body, "");
  auto options = testing::Exchange(port_, "OPTIONS", "/hello");
  EXPECT_EQ(options.status, 204);
  EXPECT_EQ(options.headers["allow"], "GET, HEAD, OPTIONS");
  auto wrong = testing::Exchange(port_, "DELETE", "/hello");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.headers["allow"], "GET, HEAD, OPTIONS");
  EXPECT_NE(wrong.body.find("\"error\""), std::string::npos);
  auto missing = testing::Exchange(port_, "GET", "/nowhere");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("no endpoint /nowhere"), std::string::npos);
  EXPECT_EQ(testing::Exchange(port_, "GET", "/items/42").body, "item 42");
  EXPECT_EQ(testing::Exchange(port_, "GET", "/items/x").status, 404);
  auto echo = testing::Exchange(port_, "POST", "/echo", "payload");
  EXPECT_EQ(echo.body, "payload");
}

TEST_F(HttpServerTest, RequestIdIsKeptOrGeneratedAndFieldsStayWithTheirRequest) {
  Start();
  auto given = testing::Exchange(port_, "POST", "/echo", "abc", "X-Request-Id: trace-42\r\n");
  EXPECT_EQ(given.headers["x-request-id"], "trace-42");
  auto bad = testing::Exchange(port_, "GET", "/hello", "", "X-Request-Id: has space\r\n");
  EXPECT_NE(bad.headers["x-request-id"], "has space");
  EXPECT_EQ(bad.headers["x-request-id"].size(), 16u);
  Raw("GARBAGE\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  auto done = Completed();
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[0].id, "trace-42");
  EXPECT_NE(done[0].fields.find("\"echoed\":3"), std::string::npos);
  // The malformed request's fields are its own, never the previous request's.
  EXPECT_EQ(done[2].status, 400);
  EXPECT_EQ(done[2].fields.find("echoed"), std::string::npos) << done[2].fields;
  EXPECT_NE(done[2].fields.find("malformed"), std::string::npos);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Start();
  std::string three =
      "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst"
      "GET /hello?last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  auto replies = TakeReplies(Raw(three));
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0].body, "slow");
  EXPECT_EQ(replies[1].body, "first");
  EXPECT_EQ(replies[2].body, "hello last");
  EXPECT_EQ(replies[2].headers["connection"], "close");
}

TEST_F(HttpServerTest, HalfClosedClientStillGetsItsAnswer) {
  Start();
  auto replies = TakeReplies(Raw("GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", true));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].body, "slow");
  replies = TakeReplies(Raw("GET /hello HTTP/1.0\r\n\r\n", true));  // HTTP/1.0: close is the default
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].body, "hello ");
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Start();
  int fd = Connect(port_);
  ASSERT_GE(fd, 0);
  std::string pending;
  char buf[4096];
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(SendAll(fd, "GET /hello?" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    testing::Reply r;
    while ((r = TakeReply(pending)).status == 0) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      ASSERT_GT(n, 0);
      pending.append(buf, static_cast<size_t>(n));
    }
    EXPECT_EQ(r.body, "hello " + std::to_string(i));
  }
  ::close(fd);
}

TEST_F(HttpServerTest, StrictFramingAnswers400Or431AndCloses) {
  Start();
  const std::string tail = "\r\n\r\n";
  struct Case {
    std::string name, request;
    int status;
  };
  // A TLS ClientHello start (embedded NUL bytes): sizeof, not strlen.
  static const char kTlsHello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n";
  std::vector<Case> cases = {
      {"conflicting Content-Length",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
      {"Content-Length with Transfer-Encoding",
       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: "
       "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
       400},
      {"Transfer-Encoding then Content-Length",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: "
       "3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
       400},
      {"space before the colon",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400},
      {"unknown transfer coding", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc",
       400},
      {"chunked not last",
       "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400},
      {"header line without colon", "GET /hello HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n", 400},
      {"bare CR in a value", "GET /hello HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400},
      {"bare CR as line end", "GET /hello HTTP/1.1\rHost: x\r\n\r\n", 400},
      {"bare LF", "GET /hello HTTP/1.1\nHost: x\n\n", 400},
      {"no Host", "GET /hello HTTP/1.1\r\n\r\n", 400},
      {"two Hosts", "GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"negative Content-Length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400},
      {"bad chunk size", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n",
       400},
      {"TLS hello", std::string(kTlsHello, sizeof kTlsHello - 1), 400},
      {"oversized header", "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + tail, 431},
      {"oversized request line", "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x" + tail, 431},
  };
  for (const Case& c : cases) {
    int fd = Connect(port_);
    ASSERT_GE(fd, 0);
    SendAll(fd, c.request);
    // The answer comes and the connection closes without the client closing anything.
    std::string data;
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    auto replies = TakeReplies(data);
    ASSERT_EQ(replies.size(), 1u) << c.name << ": " << data;
    EXPECT_EQ(replies[0].status, c.status) << c.name;
    EXPECT_EQ(replies[0].headers["connection"], "close") << c.name;
  }
  // The same Content-Length twice is one Content-Length (RFC 9112 6.3).
  auto same =
      TakeReplies(Raw("POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
                      "3\r\nContent-Length: 3\r\n\r\nabc"));
  ASSERT_EQ(same.size(), 1u);
  EXPECT_EQ(same[0].body, "abc");
  // A chunked body is reassembled.
  auto chunked =
      TakeReplies(Raw("POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked"
                      "\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  ASSERT_EQ(chunked.size(), 1u);
  EXPECT_EQ(chunked[0].body, "abcde");
}

TEST_F(HttpServerTest, BodyLimitIsCheckedBeforeReadingAndWhileReadingChunks) {
  ServerOptions o;
  o.max_body_bytes = 1000;
  Start(o);
  // Content-Length over the limit: 413 at once, the body is never sent.
  int fd = Connect(port_, 2000);
  ASSERT_GE(fd, 0);
  SendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n");
  auto start = std::chrono::steady_clock::now();
  std::string data = ReadAll(fd);
  ::close(fd);
  auto reply = TakeReply(data);
  EXPECT_EQ(reply.status, 413);
  EXPECT_NE(reply.body.find("1000 bytes"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1900ms) << "the answer must not wait for the body";
  // Chunked: 413 as soon as the chunks pass the limit.
  std::string chunks = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) chunks += "64\r\n" + std::string(100, 'a') + "\r\n";
  auto replies = TakeReplies(Raw(chunks));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].status, 413);
  // At the limit it is accepted.
  EXPECT_EQ(testing::Exchange(port_, "POST", "/echo", std::string(1000, 'b')).status, 200);
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterimAnswer) {
  Start();
  int fd = Connect(port_);
  ASSERT_GE(fd, 0);
  SendAll(fd,
          "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: "
          "4\r\n\r\n");
  char buf[256];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "HTTP/1.1 100 Continue\r\n\r\n");
  SendAll(fd, "data");
  auto replies = TakeReplies(ReadAll(fd));
  ::close(fd);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].body, "data");
}

TEST_F(HttpServerTest, TimeoutsForHeaderBodyAndIdleConnections) {
  ServerOptions o;
  o.header_timeout_seconds = 1;
  o.idle_timeout_seconds = 1;
  o.body_min_rate_bytes = 1000;
  o.body_min_rate_seconds = 1;
  o.body_rate_grace_seconds = 0.5;
  Start(o);
  // A header that never ends: 408, closed.
  int header = Connect(port_);
  SendAll(header, "GET /hello HTTP/1.1\r\nHost: x\r\n");
  // A body trickled far below the minimum rate: 408, closed.
  int body = Connect(port_);
  SendAll(body, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc");
  // A connection that sends nothing, and one idle after an answer: closed without an answer.
  int silent = Connect(port_);
  int idle = Connect(port_);
  SendAll(idle, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string header_answer = ReadAll(header);
  EXPECT_EQ(TakeReply(header_answer).status, 408);
  std::string body_answer = ReadAll(body);
  EXPECT_EQ(TakeReply(body_answer).status, 408) << body_answer;
  EXPECT_TRUE(ClosedWithin(silent, 3000));
  std::string idle_answer = ReadAll(idle);
  EXPECT_EQ(TakeReply(idle_answer).status, 200);
  for (int fd : {header, body, silent, idle}) ::close(fd);
  // A body sent at a fair pace is read, however long it takes.
  int steady = Connect(port_, 10000);
  SendAll(steady, "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 3000\r\n\r\n");
  for (int i = 0; i < 6; ++i) {
    SendAll(steady, std::string(500, 'c'));
    std::this_thread::sleep_for(250ms);
  }
  std::string steady_answer = ReadAll(steady);
  ::close(steady);
  EXPECT_EQ(TakeReply(steady_answer).status, 200);
}

TEST_F(HttpServerTest, ConnectionLimitAnswers503) {
  ServerOptions o;
  o.max_connections = 4;
  Start(o);
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) held.push_back(Connect(port_));
  std::this_thread::sleep_for(100ms);
  auto refused = testing::Exchange(port_, "GET", "/hello");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.headers["retry-after"], "2");
  for (int fd : held) ::close(fd);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(testing::Exchange(port_, "GET", "/hello").status, 200);
}

TEST_F(HttpServerTest, SlowAndIdleConnectionsDoNotStarveOthers) {
  ServerOptions o;
  o.worker_threads = 2;
  Start(o);
  std::vector<int> idle;
  for (int i = 0; i < 500; ++i) {
    int fd = Connect(port_);
    ASSERT_GE(fd, 0) << i;
    idle.push_back(fd);
  }
  // 80 slowloris connections trickling a body one byte at a time.
  std::vector<int> slow;
  for (int i = 0; i < 80; ++i) {
    int fd = Connect(port_);
    ASSERT_GE(fd, 0);
    SendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    slow.push_back(fd);
  }
  for (int round = 0; round < 5; ++round) {
    for (int fd : slow) SendAll(fd, "x");
    auto start = std::chrono::steady_clock::now();
    auto r = testing::Exchange(port_, "POST", "/echo", "normal", "", 1000);
    EXPECT_EQ(r.status, 200) << "round " << round;
    EXPECT_EQ(r.body, "normal");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GE(server_->connections(), 580u);
  for (int fd : idle) ::close(fd);
  for (int fd : slow) ::close(fd);
}

TEST_F(HttpServerTest, StreamsAreChunkedAndNoticeAClientThatLeaves) {
  Start();
  int fd = Connect(port_);
  ASSERT_GE(fd, 0);
  SendAll(fd, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string data;
  char buf[4096];
  while (data.find("data: 3\n\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    data.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(data.find("Transfer-Encoding: chunked"), std::string::npos);
  ::close(fd);
  for (int i = 0; i < 50 && streams_cancelled_.load() == 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(streams_cancelled_.load(), 1);
  // A whole stream, read to the end.
  auto whole = testing::Exchange(port_, "GET", "/stream");
  EXPECT_EQ(whole.status, 200);
  EXPECT_NE(whole.body.find("data: 99\n\n"), std::string::npos);
}

TEST_F(HttpServerTest, StopAcceptingRefusesNewConnectionsAndFinishesCurrentOnes) {
  Start();
  std::thread slow([&] {
    auto r = testing::Exchange(port_, "GET", "/slow");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "slow");
  });
  int idle = Connect(port_);
  std::this_thread::sleep_for(100ms);
  server_->StopAccepting();
  EXPECT_TRUE(ClosedWithin(idle, 1000)) << "idle connections are closed";
  EXPECT_LT(Connect(port_, 500), 0);
  slow.join();
  ::close(idle);
  server_->Stop();
}

TEST_F(HttpServerTest, StopReleasesExchangesWhoseWorkWasStillPending) {
  // Exchanges refer to their connections and the server core; work still pending when the server stops
  // (a timer, or pool work posted after the pool was joined) must not keep them alive after it is gone.
  Start();
  int staying = Connect(port_);
  int leaving = Connect(port_);
  ASSERT_GE(staying, 0);
  ASSERT_GE(leaving, 0);
  SendAll(staying, "GET /poll HTTP/1.1\r\nHost: x\r\n\r\n");
  SendAll(leaving, "GET /poll HTTP/1.1\r\nHost: x\r\n\r\n");
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (polls_.size() == 2) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  ::close(leaving);
  std::this_thread::sleep_for(100ms);
  server_.reset();
  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_EQ(polls_.size(), 2u);
  EXPECT_TRUE(polls_[0].expired());
  EXPECT_TRUE(polls_[1].expired());
  ::close(staying);
}

}  // namespace
}  // namespace dolmetsch::http
