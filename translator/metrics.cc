#include "translator/metrics.h"

#include <cstdio>

namespace dolmetsch::translator {
namespace {

std::string FormatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void AddAtomic(std::atomic<double>& a, double v) {
  double old = a.load();
  while (!a.compare_exchange_weak(old, old + v)) {
  }
}

// Prometheus label values escape backslash, double quote and line feed.
std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void Metrics::ObserveRequest(const std::string& endpoint, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{endpoint, status}];
  Histogram& h = latency_[endpoint];
  size_t i = 0;
  while (i < kLatencyBuckets.size() && seconds > kLatencyBuckets[i]) ++i;
  ++h.counts[i];
  h.sum += seconds;
  ++h.count;
}

void Metrics::ObserveBatch(int sentences, long long source_tokens, long long target_tokens, double seconds,
                           const std::string& model) {
  if (!model.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    ModelCounters& c = per_model_[model];
    c.sentences += sentences;
    ++c.batches;
    c.source_tokens += source_tokens;
    c.target_tokens += target_tokens;
    c.decode_seconds += seconds;
  }
  sentences_ += sentences;
  source_tokens_ += source_tokens;
  target_tokens_ += target_tokens;
  ++batches_;
  AddAtomic(decode_seconds_, seconds);
  if (seconds > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    double rate = static_cast<double>(target_tokens) / seconds;
    recent_tokens_per_second_ =
        recent_tokens_per_second_ == 0 ? rate : 0.8 * recent_tokens_per_second_ + 0.2 * rate;
  }
}

void Metrics::SetModelInfo(const std::string& name, const std::string& compute_type) {
  std::lock_guard<std::mutex> lock(mu_);
  model_name_ = name;
  compute_type_ = compute_type;
}

void Metrics::SetLoadedModels(std::vector<LoadedModelInfo> models, long long loads, long long unloads) {
  std::lock_guard<std::mutex> lock(mu_);
  loaded_models_ = std::move(models);
  model_loads_ = loads;
  model_unloads_ = unloads;
}

void Metrics::ObserveUnits(long long units, long long duplicates, long long cache_hits) {
  units_ += units;
  duplicates_ += duplicates;
  cache_hits_ += cache_hits;
}

void Metrics::SetQueueDepth(long long queued_sentences, long long active_requests) {
  queued_sentences_.store(queued_sentences);
  active_requests_.store(active_requests);
}

std::string Metrics::RenderPrometheus() const {
  std::string out;
  auto line = [&out](const std::string& s) { out += s + "\n"; };
  std::lock_guard<std::mutex> lock(mu_);

  line("# HELP dolmetsch_http_requests_total HTTP requests answered, by endpoint and status code.");
  line("# TYPE dolmetsch_http_requests_total counter");
  for (const auto& [key, count] : requests_) {
    line("dolmetsch_http_requests_total{endpoint=\"" + key.first + "\",status=\"" +
         std::to_string(key.second) + "\"} " + std::to_string(count));
  }

  line("# HELP dolmetsch_http_request_duration_seconds Time from request read to response ready.");
  line("# TYPE dolmetsch_http_request_duration_seconds histogram");
  for (const auto& [endpoint, h] : latency_) {
    long long cumulative = 0;
    for (size_t i = 0; i <= kLatencyBuckets.size(); ++i) {
      cumulative += h.counts[i];
      std::string le = i < kLatencyBuckets.size() ? FormatDouble(kLatencyBuckets[i]) : "+Inf";
      line("dolmetsch_http_request_duration_seconds_bucket{endpoint=\"" + endpoint + "\",le=\"" + le +
           "\"} " + std::to_string(cumulative));
    }
    line("dolmetsch_http_request_duration_seconds_sum{endpoint=\"" + endpoint + "\"} " + FormatDouble(h.sum));
    line("dolmetsch_http_request_duration_seconds_count{endpoint=\"" + endpoint + "\"} " +
         std::to_string(h.count));
  }

  line("# HELP dolmetsch_queue_sentences Sentences waiting for a batch.");
  line("# TYPE dolmetsch_queue_sentences gauge");
  line("dolmetsch_queue_sentences " + std::to_string(queued_sentences_.load()));
  line("# HELP dolmetsch_active_requests Translation requests admitted and not yet finished.");
  line("# TYPE dolmetsch_active_requests gauge");
  line("dolmetsch_active_requests " + std::to_string(active_requests_.load()));
  line("# HELP dolmetsch_sentences_translated_total Sentences translated.");
  line("# TYPE dolmetsch_sentences_translated_total counter");
  line("dolmetsch_sentences_translated_total " + std::to_string(sentences_.load()));
  line("# HELP dolmetsch_source_tokens_total Source tokens translated (EOS included).");
  line("# TYPE dolmetsch_source_tokens_total counter");
  line("dolmetsch_source_tokens_total " + std::to_string(source_tokens_.load()));
  line("# HELP dolmetsch_target_tokens_total Target tokens generated (best hypothesis, EOS included).");
  line("# TYPE dolmetsch_target_tokens_total counter");
  line("dolmetsch_target_tokens_total " + std::to_string(target_tokens_.load()));
  line("# HELP dolmetsch_batches_total Batches decoded.");
  line("# TYPE dolmetsch_batches_total counter");
  line("dolmetsch_batches_total " + std::to_string(batches_.load()));
  line("# HELP dolmetsch_decode_seconds_total Wall time spent in batch decodes (summed over workers).");
  line("# TYPE dolmetsch_decode_seconds_total counter");
  line("dolmetsch_decode_seconds_total " + FormatDouble(decode_seconds_.load()));
  line("# HELP dolmetsch_target_tokens_per_second Generated tokens per second of decode, recent batches.");
  line("# TYPE dolmetsch_target_tokens_per_second gauge");
  line("dolmetsch_target_tokens_per_second " + FormatDouble(recent_tokens_per_second_));
  line("# HELP dolmetsch_model_load_seconds Time to load the model at start.");
  line("# TYPE dolmetsch_model_load_seconds gauge");
  line("dolmetsch_model_load_seconds " + FormatDouble(model_load_seconds_.load()));
  line(
      "# HELP dolmetsch_sentence_units_total Translation units (sentences, pieces of long ones) of "
      "requests.");
  line("# TYPE dolmetsch_sentence_units_total counter");
  line("dolmetsch_sentence_units_total " + std::to_string(units_.load()));
  line("# HELP dolmetsch_sentence_duplicates_total Units served by an identical unit of the same request.");
  line("# TYPE dolmetsch_sentence_duplicates_total counter");
  line("dolmetsch_sentence_duplicates_total " + std::to_string(duplicates_.load()));
  line("# HELP dolmetsch_cache_hits_total Units served by the sentence cache (earlier requests).");
  line("# TYPE dolmetsch_cache_hits_total counter");
  line("dolmetsch_cache_hits_total " + std::to_string(cache_hits_.load()));
  line("# HELP dolmetsch_cache_entries Sentence translations held by the cache.");
  line("# TYPE dolmetsch_cache_entries gauge");
  line("dolmetsch_cache_entries " + std::to_string(cache_entries_.load()));
  if (!model_name_.empty()) {
    line("# HELP dolmetsch_model_info The loaded model: folder name and compute type (float32 | int8).");
    line("# TYPE dolmetsch_model_info gauge");
    line("dolmetsch_model_info{model=\"" + EscapeLabel(model_name_) + "\",compute_type=\"" +
         EscapeLabel(compute_type_) + "\"} 1");
  }
  if (!per_model_.empty()) {
    auto family = [&](const std::string& name, const std::string& help, auto value) {
      line("# HELP " + name + " " + help);
      line("# TYPE " + name + " counter");
      for (const auto& [model, c] : per_model_) {
        line(name + "{model=\"" + EscapeLabel(model) + "\"} " + value(c));
      }
    };
    family("dolmetsch_model_sentences_total", "Sentences translated, by model (pair; pivots as de-en-fr).",
           [](const ModelCounters& c) { return std::to_string(c.sentences); });
    family("dolmetsch_model_batches_total", "Batches decoded, by model.",
           [](const ModelCounters& c) { return std::to_string(c.batches); });
    family("dolmetsch_model_source_tokens_total", "Source tokens translated, by model.",
           [](const ModelCounters& c) { return std::to_string(c.source_tokens); });
    family("dolmetsch_model_target_tokens_total", "Target tokens generated, by model.",
           [](const ModelCounters& c) { return std::to_string(c.target_tokens); });
    family("dolmetsch_model_decode_seconds_total", "Wall time of batch decodes, by model.",
           [](const ModelCounters& c) { return FormatDouble(c.decode_seconds); });
  }
  if (model_loads_ >= 0) {
    line("# HELP dolmetsch_model_loaded_bytes Resident memory each loaded model added when it loaded.");
    line("# TYPE dolmetsch_model_loaded_bytes gauge");
    for (const LoadedModelInfo& m : loaded_models_) {
      line("dolmetsch_model_loaded_bytes{model=\"" + EscapeLabel(m.name) + "\"} " +
           FormatDouble(m.resident_bytes));
    }
    line("# HELP dolmetsch_model_load_seconds_last Time each loaded model took to load.");
    line("# TYPE dolmetsch_model_load_seconds_last gauge");
    for (const LoadedModelInfo& m : loaded_models_) {
      line("dolmetsch_model_load_seconds_last{model=\"" + EscapeLabel(m.name) + "\"} " +
           FormatDouble(m.load_seconds));
    }
    line("# HELP dolmetsch_model_loads_total Models loaded (first use, preload, or again after unloading).");
    line("# TYPE dolmetsch_model_loads_total counter");
    line("dolmetsch_model_loads_total " + std::to_string(model_loads_));
    line("# HELP dolmetsch_model_unloads_total Idle models unloaded to keep the memory budget.");
    line("# TYPE dolmetsch_model_unloads_total counter");
    line("dolmetsch_model_unloads_total " + std::to_string(model_unloads_));
  }
  line("# HELP dolmetsch_ready 1 when the model is loaded, warmed up and the service is not draining.");
  line("# TYPE dolmetsch_ready gauge");
  line(std::string("dolmetsch_ready ") + (ready_.load() ? "1" : "0"));
  return out;
}

}  // namespace dolmetsch::translator
