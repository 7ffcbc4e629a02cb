// A fake translator HTTP service for tests of the web app: POST /v1/translate with {"text", "stream"}
// answers the event stream of docs/api.md. Each sentence (split after ". ") becomes "EN(<sentence>)", so
// tests can check that the answer belongs to the question; progress events carry the pieces ("EN(...)"
// with a space before all but the first) and honour "skip_segments". Texts containing "FAIL503" get a 503
// JSON error, "FAIL400" a 400, "FAIL500" a 500, "STREAMERROR" an error event after the first progress
// event; "SLOW" sends one event every slow_ms() (200) milliseconds and counts sentences translated in
// sentences_sent() (it stops when the client goes away). GET /ready answers 200 unless set_ready(false).
// Languages: each sentence becomes "<TARGET>(<sentence>)" for the request's "target" (EN when none);
// GET /languages answers set_languages()'s body (404 until set); POST /detect answers set_detected()'s
// guess (de, 93); a translation from "auto" reports it as translations[0].detected_language; pairs() lists
// every request's "source>target".
// POST /v1/translate_file (multipart: file, source, target, skip_blocks): the file's text is cut into
// blocks at blank lines; each block becomes "<TARGET>(<block>)" as a progress piece ("\n\n" before all but
// the first; those below skip_blocks are not sent), and the done event's file is "TRANSLATED " + the
// input's bytes + "\x00\xff" (binary-safe plumbing), named as the upload. A file containing "FAIL400" gets
// a 400, "FILEFAIL" an error event after the first piece. files() lists the names received.
// Thread-safety: serves from its own thread; counters are atomic.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "util/base64.h"

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
      const std::string source = body.value("source", std::string());
      const std::string target = body.value("target", std::string("en"));
      std::string prefix;
      for (char c : target) prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      prefix += "(";
      nlohmann::json detected;
      {
        std::lock_guard<std::mutex> lock(mu_);  // requests are served on several threads
        last_authorization_ = req.get_header_value("Authorization");
        pairs_.push_back(source + ">" + target);
        if (source == "auto")
          detected = {{"language", detected_language_}, {"confidence", detected_confidence_}};
      }
      if (text.find("FAIL503") != std::string::npos) {
        res.status = 503;
        res.set_content(R"({"error":"model is loading"})", "application/json");
        return;
      }
      if (text.find("FAIL400") != std::string::npos) {
        res.status = 400;
        res.set_content(R"({"error":"'text' is not valid UTF-8"})", "application/json");
        return;
      }
      if (text.find("FAIL500") != std::string::npos) {
        res.status = 500;
        res.set_content(R"({"error":"engine failure at 10.0.0.7"})", "application/json");
        return;
      }
      size_t skip = body.value("skip_segments", size_t{0});
      {
        std::lock_guard<std::mutex> lock(mu_);
        skips_.push_back(skip);
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
      if (text.find("SLOW") != std::string::npos) {
        res.set_chunked_content_provider("text/event-stream", [this, sentences, skip, prefix](
                                                                  size_t, httplib::DataSink& sink) {
          for (size_t k = skip; k < sentences.size(); ++k) {
            std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms_.load()));
            std::string piece = (k ? " " : "") + prefix + sentences[k] + ")";
            nlohmann::json progress = {{"index", k},      {"done", k + 1},        {"total", sentences.size()},
                                       {"text_index", 0}, {"translation", piece}, {"piece", piece}};
            std::string event = "event: progress\ndata: " + progress.dump() + "\n\n";
            if (!sink.is_writable() || !sink.write(event.data(), event.size())) return false;
            ++sentences_sent_;
          }
          std::string done = "event: done\ndata: {\"translations\":[{\"text\":\"\"}]}\n\n";
          sink.write(done.data(), done.size());
          sink.done();
          return true;
        });
        return;
      }
      for (size_t i = 0; i < sentences.size(); ++i) {
        std::string piece = (i ? " " : "") + prefix + sentences[i] + ")";
        out += piece;
        if (i < skip) continue;
        nlohmann::json progress = {{"index", i},      {"done", i + 1},        {"total", sentences.size()},
                                   {"text_index", 0}, {"translation", piece}, {"piece", piece}};
        events += "event: progress\ndata: " + progress.dump() + "\n\n: keep-alive comment\n\n";
        if (i == 0 && text.find("STREAMERROR") != std::string::npos) {
          events += "event: error\ndata: {\"error\":\"backend exploded\"}\n\n";
          res.set_content(events, "text/event-stream");
          return;
        }
      }
      nlohmann::json first = {{"text", out}};
      if (!detected.is_null()) first["detected_language"] = detected;
      nlohmann::json done = {{"translations", nlohmann::json::array({first})},
                             {"model", {{"name", "fake-model"}, {"source", "de"}, {"target", target}}},
                             {"usage", {{"texts", 1}, {"sentences", sentences.size()}}}};
      events += "event: done\r\ndata: " + done.dump() + "\r\n\r\n";
      res.set_content(events, "text/event-stream");
    });
    server_.Post("/v1/translate_file", [this](const httplib::Request& req, httplib::Response& res) {
      requests_++;
      if (!req.has_file("file")) {
        res.status = 400;
        res.set_content(R"({"error":"missing file"})", "application/json");
        return;
      }
      const httplib::MultipartFormData file = req.get_file_value("file");
      const std::string target = req.has_file("target") ? req.get_file_value("target").content : "en";
      const std::string source = req.has_file("source") ? req.get_file_value("source").content : "";
      const size_t skip =
          req.has_file("skip_blocks") ? std::stoul(req.get_file_value("skip_blocks").content) : 0;
      {
        std::lock_guard<std::mutex> lock(mu_);
        files_.push_back(file.filename);
        pairs_.push_back(source + ">" + target);
        skips_.push_back(skip);
      }
      if (file.content.find("FAIL400") != std::string::npos) {
        res.status = 400;
        res.set_content(R"({"error":"file 'x': malformed"})", "application/json");
        return;
      }
      std::string prefix;
      for (char c : target) prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      std::vector<std::string> blocks;
      for (size_t start = 0; start <= file.content.size();) {
        size_t end = file.content.find("\n\n", start);
        if (end == std::string::npos) end = file.content.size();
        std::string block = file.content.substr(start, end - start);
        if (block.find_first_not_of(" \n") != std::string::npos) blocks.push_back(block);
        start = end + 2;
      }
      std::string events;
      for (size_t i = 0; i < blocks.size(); ++i) {
        if (i < skip) continue;
        const std::string piece = (i ? "\n\n" : "") + prefix + "(" + blocks[i] + ")";
        nlohmann::json progress = {{"index", i}, {"done", i + 1}, {"total", blocks.size()}, {"piece", piece}};
        events += "event: progress\ndata: " + progress.dump() + "\n\n";
        if (file.content.find("FILEFAIL") != std::string::npos) {
          events += "event: error\ndata: {\"error\":\"backend exploded\"}\n\n";
          res.set_content(events, "text/event-stream");
          return;
        }
      }
      const std::string out = "TRANSLATED " + file.content + std::string("\x00\xff", 2);
      nlohmann::json done = {{"file_name", file.filename},
                             {"format", "text"},
                             {"content_base64", Base64Encode(out)},
                             {"bytes", out.size()},
                             {"blocks", blocks.size()},
                             {"sentences", blocks.size()},
                             {"model", {{"name", "fake-model"}, {"source", "de"}, {"target", target}}}};
      events += "event: done\ndata: " + done.dump() + "\n\n";
      res.set_content(events, "text/event-stream");
    });
    server_.Get("/languages", [this](const httplib::Request&, httplib::Response& res) {
      languages_requests_++;
      std::lock_guard<std::mutex> lock(mu_);
      if (languages_.empty()) {
        res.status = 404;
        res.set_content(R"({"error":"not found"})", "application/json");
        return;
      }
      res.set_content(languages_, "application/json");
    });
    server_.Post("/detect", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      res.set_content(
          nlohmann::json::array({{{"confidence", detected_confidence_}, {"language", detected_language_}}})
              .dump(),
          "application/json");
    });
    server_.Get("/ready", [this](const httplib::Request&, httplib::Response& res) {
      res.status = ready_ ? 200 : 503;
      res.set_content(ready_ ? R"({"status":"ready","model":"fake-model"})" : "{}", "application/json");
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
  std::string last_authorization() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_authorization_;
  }
  int sentences_sent() const { return sentences_sent_.load(); }
  void set_languages(std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    languages_ = std::move(body);
  }
  int languages_requests() const { return languages_requests_.load(); }
  void set_detected(std::string language, double confidence) {
    std::lock_guard<std::mutex> lock(mu_);
    detected_language_ = std::move(language);
    detected_confidence_ = confidence;
  }
  std::vector<std::string> pairs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pairs_;
  }
  void set_slow_ms(int ms) { slow_ms_ = ms; }
  std::vector<std::string> files() const {
    std::lock_guard<std::mutex> lock(mu_);
    return files_;
  }
  // skip_segments of every request, in order (read after the requests ended).
  std::vector<size_t> skips() const {
    std::lock_guard<std::mutex> lock(mu_);
    return skips_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<bool> ready_{true};
  std::string last_authorization_;
  std::atomic<int> sentences_sent_{0};
  std::atomic<int> slow_ms_{200};
  mutable std::mutex mu_;
  std::vector<size_t> skips_;
  std::string languages_;  // guarded by mu_, as the fields below
  std::string detected_language_ = "de";
  double detected_confidence_ = 93;
  std::vector<std::string> pairs_;
  std::vector<std::string> files_;
  std::atomic<int> languages_requests_{0};
};

}  // namespace dolmetsch::web::testing
