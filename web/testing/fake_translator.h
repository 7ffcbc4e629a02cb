// A fake translator HTTP service for tests of the web app: POST /v1/translate with {"text", "stream"}
// answers the event stream of docs/api.md. Each sentence (split after ". ") becomes "EN(<sentence>)", so
// tests can check that the answer belongs to the question. Texts containing "FAIL503" get a 503 JSON error,
// "STREAMERROR" an error event after the first progress event. GET /ready answers 200 unless
// set_ready(false). Thread-safety: serves from its own thread; counters are atomic.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace dolmetsch::web::testing {

class FakeTranslator {
 public:
  FakeTranslator() {
    server_.Post("/v1/translate", [this](const httplib::Request& req, httplib::Response& res) {
      requests_++;
      auto body = nlohmann::json::parse(req.body, nullptr, false);
      if (!body.is_object() || !body.contains("text") || !body["text"].is_string()) {
        res.status = 400;
        res.set_content(R"({"error":"text missing"})", "application/json");
        return;
      }
      std::string text = body["text"].get<std::string>();
      last_authorization_ = req.get_header_value("Authorization");
      if (text.find("FAIL503") != std::string::npos) {
        res.status = 503;
        res.set_content(R"({"error":"model is loading"})", "application/json");
        return;
      }
      std::vector<std::string> sentences;
      size_t start = 0;
      for (;;) {
        size_t end = text.find(". ", start);
        if (end == std::string::npos) {
          sentences.push_back(text.substr(start));
          break;
        }
        sentences.push_back(text.substr(start, end + 1 - start));
        start = end + 2;
      }
      std::string out;
      std::string events;
      for (size_t i = 0; i < sentences.size(); ++i) {
        out += (i ? " " : "") + std::string("EN(") + sentences[i] + ")";
        nlohmann::json progress = {{"index", i},      {"done", i + 1},      {"total", sentences.size()},
                                   {"text_index", 0}, {"translation", "x"}, {"piece", "x"}};
        events += "event: progress\ndata: " + progress.dump() + "\n\n: keep-alive comment\n\n";
        if (i == 0 && text.find("STREAMERROR") != std::string::npos) {
          events += "event: error\ndata: {\"error\":\"backend exploded\"}\n\n";
          res.set_content(events, "text/event-stream");
          return;
        }
      }
      nlohmann::json done = {{"translations", {{{"text", out}}}},
                             {"model", {{"name", "fake-model"}, {"source", "de"}, {"target", "en"}}},
                             {"usage", {{"texts", 1}, {"sentences", sentences.size()}}}};
      events += "event: done\r\ndata: " + done.dump() + "\r\n\r\n";
      res.set_content(events, "text/event-stream");
    });
    server_.Get("/ready", [this](const httplib::Request&, httplib::Response& res) {
      res.status = ready_ ? 200 : 503;
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the listener runs; wait for it so that the destructor cannot hang.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeTranslator() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }
  void set_ready(bool ready) { ready_ = ready; }
  std::string last_authorization() const { return last_authorization_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<bool> ready_{true};
  std::string last_authorization_;
};

}  // namespace dolmetsch::web::testing
