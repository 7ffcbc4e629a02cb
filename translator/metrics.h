// Metrics: the service's counters, gauges and histograms, rendered in the Prometheus text format (0.0.4).
//
// Labels are only ever fixed endpoint names, HTTP status codes and the served models' pairs ("de-en", from
// the configuration): never request text, addresses or keys.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace dolmetsch::translator {

class Metrics {
 public:
  // Upper bounds (seconds) of the latency histogram buckets; +Inf is implicit.
  static constexpr std::array<double, 14> kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                             1,     2.5,  5,     10,   30,  60,   300};

  // `endpoint` must come from a fixed set (see service.cc); unknown paths are reported as "other".
  void ObserveRequest(const std::string& endpoint, int status, double seconds);
  // One finished batch: sentences, tokens in and out, decode wall time; `model` ("de-en", "de-en-fr" for a
  // pivot through en; may be empty) also counts them per model.
  void ObserveBatch(int sentences, long long source_tokens, long long target_tokens, double seconds,
                    const std::string& model = "");
  // The models in memory now (several-model services): name, resident bytes, load seconds.
  struct LoadedModelInfo {
    std::string name;
    double resident_bytes = 0;
    double load_seconds = 0;
  };
  void SetLoadedModels(std::vector<LoadedModelInfo> models, long long loads, long long unloads);
  void SetQueueDepth(long long queued_sentences, long long active_requests);
  void SetModelLoadSeconds(double seconds) { model_load_seconds_.store(seconds); }
  void SetReady(bool ready) { ready_.store(ready); }
  // The model's folder name and compute type (float32 | int8), shown as dolmetsch_model_info labels.
  void SetModelInfo(const std::string& name, const std::string& compute_type);
  // One request's translation units (sentences or pieces of long ones): asked for by the document
  // pipeline, served by an identical unit of the same request, served by the cache.
  void ObserveUnits(long long units, long long duplicates, long long cache_hits);
  void SetCacheEntries(long long entries) { cache_entries_.store(entries); }

  std::string RenderPrometheus() const;

  long long sentences_translated() const { return sentences_.load(); }

 private:
  struct Histogram {
    std::array<long long, kLatencyBuckets.size() + 1> counts{};  // last: +Inf
    double sum = 0;
    long long count = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, long long> requests_;  // (endpoint, status) -> count
  std::map<std::string, Histogram> latency_;                   // endpoint -> histogram
  double recent_tokens_per_second_ = 0;                        // exponentially weighted over batches
  std::string model_name_;                                     // empty until a model is attached
  std::string compute_type_;
  struct ModelCounters {
    long long sentences = 0, batches = 0, source_tokens = 0, target_tokens = 0;
    double decode_seconds = 0;
  };
  std::map<std::string, ModelCounters> per_model_;  // by model label
  std::vector<LoadedModelInfo> loaded_models_;
  long long model_loads_ = -1;  // -1: not a several-model service
  long long model_unloads_ = 0;

  std::atomic<long long> sentences_{0};
  std::atomic<long long> source_tokens_{0};
  std::atomic<long long> target_tokens_{0};
  std::atomic<long long> batches_{0};
  std::atomic<double> decode_seconds_{0};
  std::atomic<long long> queued_sentences_{0};
  std::atomic<long long> active_requests_{0};
  std::atomic<double> model_load_seconds_{0};
  std::atomic<bool> ready_{false};
  std::atomic<long long> units_{0};
  std::atomic<long long> duplicates_{0};
  std::atomic<long long> cache_hits_{0};
  std::atomic<long long> cache_entries_{0};
};

}  // namespace dolmetsch::translator
