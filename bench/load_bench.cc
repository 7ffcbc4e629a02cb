// load_bench: drives a running translator with N concurrent clients for M seconds and prints throughput,
// latency percentiles and error counts. Closed loop by default (each client sends its next request when the
// previous one is answered); with --rate R the clients together offer R requests/s on a fixed schedule
// (open loop, as far as N clients allow), which shows what happens beyond the sustainable rate.
//
//   load_bench --port 8000 --clients 8 --seconds 20 [--sentences 1] [--rate 0] [--path /translate]
//              [--method POST|GET] [--slowloris N] [--idle N]
//
// --method GET sends GET requests to --path (e.g. the web app's page). --slowloris N opens N more
// connections that each announce a 1 MB body and trickle it one byte every 3 s for the whole run;
// --idle N opens N connections that send nothing. Both measure what hostile clients do to the normal ones:
// the figures printed are those of the --clients only (plus how many attack connections the server dropped).
//
// Each request is {"text_de": "<k German sentences>"}; every sentence carries the client, request and
// sentence number before its final punctuation, so that neither the server's sentence cache nor its
// deduplication of identical sentences answers anything without decoding.
// Targets 127.0.0.1 only. Prints one "key: value" per line and a final JSON line.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "translator/mini_http_client.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace http = dolmetsch::translator::mini_http;

const char* kSentences[] = {
    "Der Hund läuft über die Straße.",     "Morgen regnet es in Berlin.",
    "Ich habe das Buch gestern gelesen.",  "Die Sitzung beginnt um neun Uhr.",
    "Wir fahren im Sommer an die Ostsee.", "Das Essen war ausgezeichnet.",
    "Kannst du mir bitte helfen?",         "Die Preise sind stark gestiegen.",
};

struct Options {
  int port = 8000;
  int clients = 1;
  double seconds = 10;
  int sentences = 1;
  double rate = 0;  // requests/s offered in total; 0: closed loop
  std::string path = "/translate";
  int timeout_ms = 120000;
  std::string method = "POST";
  int slowloris = 0;
  int idle = 0;
};

int Usage() {
  std::fprintf(
      stderr,
      "usage: load_bench [--port P] [--clients N] [--seconds S] [--sentences K] [--rate R] [--path P]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return Usage();
    std::string v = argv[++i];
    if (a == "--port")
      o.port = std::atoi(v.c_str());
    else if (a == "--clients")
      o.clients = std::max(1, std::atoi(v.c_str()));
    else if (a == "--seconds")
      o.seconds = std::atof(v.c_str());
    else if (a == "--sentences")
      o.sentences = std::max(1, std::atoi(v.c_str()));
    else if (a == "--rate")
      o.rate = std::atof(v.c_str());
    else if (a == "--path")
      o.path = v;
    else if (a == "--method")
      o.method = v;
    else if (a == "--slowloris")
      o.slowloris = std::max(0, std::atoi(v.c_str()));
    else if (a == "--idle")
      o.idle = std::max(0, std::atoi(v.c_str()));
    else if (a == "--timeout-ms")
      o.timeout_ms = std::atoi(v.c_str());
    else
      return Usage();
  }
  if (o.seconds <= 0 || o.seconds > 3600) return Usage();

  std::mutex mu;
  std::vector<double> latencies;  // seconds, successful requests
  std::map<std::string, long long> errors;
  std::atomic<long long> sent{0};
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + std::chrono::milliseconds(static_cast<long long>(o.seconds * 1000));

  // The attack: connections that never complete a request (they are closed at the end).
  std::vector<int> attack;
  for (int i = 0; i < o.idle; ++i) attack.push_back(http::Connect(o.port));
  std::vector<int> trickle;
  for (int i = 0; i < o.slowloris; ++i) {
    int fd = http::Connect(o.port);
    if (fd < 0) continue;
    http::SendAll(fd, "POST " + o.path +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Content-Length: 1000000\r\n\r\n");
    trickle.push_back(fd);
  }
  std::atomic<long long> attack_dropped{0};
  std::thread trickler([&] {
    std::vector<bool> dropped(trickle.size(), false);
    while (Clock::now() < end) {
      for (size_t i = 0; i < trickle.size(); ++i) {
        if (!dropped[i] && !http::SendAll(trickle[i], "x")) {
          dropped[i] = true;
          ++attack_dropped;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(trickle.empty() ? 100 : 3000));
    }
  });

  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&, c] {
      double interval = o.rate > 0 ? o.clients / o.rate : 0;  // seconds between this client's requests
      Clock::time_point next =
          start + std::chrono::microseconds(static_cast<long long>(interval * 1e6 * c / o.clients));
      for (long long n = 0;; ++n) {
        if (o.rate > 0) {
          std::this_thread::sleep_until(next);
          next += std::chrono::microseconds(static_cast<long long>(interval * 1e6));
        }
        if (Clock::now() >= end) break;
        std::string text;
        for (int k = 0; k < o.sentences; ++k) {
          std::string sentence = kSentences[(c + n + k) % 8];
          const char end = sentence.back();
          sentence.pop_back();
          if (k > 0) text += " ";
          text +=
              sentence + " " + std::to_string(c) + "-" + std::to_string(n) + "-" + std::to_string(k) + end;
        }
        std::string body = nlohmann::json{{"text_de", text}}.dump();
        if (o.path == "/v1/translate") body = nlohmann::json{{"text", text}}.dump();
        Clock::time_point t0 = Clock::now();
        http::Response r = o.method == "GET" ? http::Request(o.port, "GET", o.path, "", "", "", o.timeout_ms)
                                             : http::Request(o.port, "POST", o.path, body, "application/json",
                                                             "", o.timeout_ms);
        double dt = std::chrono::duration<double>(Clock::now() - t0).count();
        ++sent;
        std::lock_guard<std::mutex> lock(mu);
        if (r.status == 200) {
          latencies.push_back(dt);
        } else {
          errors[r.status == 0 ? r.error : std::to_string(r.status)]++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  trickler.join();
  for (int fd : attack) ::close(fd);
  for (int fd : trickle) ::close(fd);
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    if (latencies.empty()) return 0.0;
    size_t i = std::min(latencies.size() - 1, static_cast<size_t>(p * (latencies.size() - 1) + 0.5));
    return latencies[i];
  };
  long long error_count = 0;
  for (auto& [k, v] : errors) error_count += v;
  nlohmann::json out = {{"clients", o.clients},
                        {"seconds", elapsed},
                        {"sentences_per_request", o.sentences},
                        {"offered_rate", o.rate},
                        {"requests", sent.load()},
                        {"ok", latencies.size()},
                        {"errors", error_count},
                        {"error_kinds", errors},
                        {"throughput_rps", latencies.size() / elapsed},
                        {"sentences_per_second", latencies.size() * o.sentences / elapsed},
                        {"p50_ms", pct(0.50) * 1000},
                        {"p90_ms", pct(0.90) * 1000},
                        {"p99_ms", pct(0.99) * 1000},
                        {"max_ms", latencies.empty() ? 0 : latencies.back() * 1000},
                        {"method", o.method},
                        {"path", o.path},
                        {"slowloris", o.slowloris},
                        {"idle", o.idle},
                        {"attack_connections_dropped", attack_dropped.load()}};
  std::printf(
      "clients: %d\nrequests: %lld\nok: %zu\nerrors: %lld\nthroughput: %.2f req/s (%.2f sentences/s)\n"
      "latency p50/p90/p99: %.1f / %.1f / %.1f ms\n",
      o.clients, sent.load(), latencies.size(), error_count, latencies.size() / elapsed,
      latencies.size() * o.sentences / elapsed, pct(0.5) * 1000, pct(0.9) * 1000, pct(0.99) * 1000);
  for (auto& [k, v] : errors) std::printf("error %s: %lld\n", k.c_str(), v);
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
