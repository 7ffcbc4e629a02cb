// ModelRegistry: the models a service has loaded, loaded on first use or at start, unloaded least recently
// used first when a budget is exceeded.
//
// Acquire(model) returns a shared handle to the loaded engine::Translator; the first caller loads it (from
// the folder of its ModelSpec), callers asking for it meanwhile wait for that one load, and a failed load
// is reported to each waiting caller and tried again by the next Acquire. A handle keeps its model in
// memory while it lives: the registry only ever unloads models nobody holds.
//
// Budget: at most `max_loaded_models` models (0: no limit) and at most `max_memory_bytes` of their resident
// memory (0: no limit), each model's size being the growth of the process's resident set while it loaded
// (loads run one at a time, so the figure is the model's own). Before loading, idle models are unloaded,
// least recently used first, until the new one fits by count, and by memory as estimated from its files;
// when every loaded model is busy the new one is loaded anyway (a request is never refused for the
// budget) and the excess is unloaded as soon as those models are idle. Preload() loads a list at start.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "catalog/model_catalog.h"
#include "engine/translator.h"
#include "util/status.h"

namespace dolmetsch::catalog {

struct RegistryOptions {
  std::size_t max_loaded_models = 0;  // 0: no limit
  uint64_t max_memory_bytes = 0;      // 0: no limit
  engine::LoadOptions load;
};

struct LoadedModel {
  std::string name;
  uint64_t resident_bytes = 0;  // growth of the process's RSS while it loaded
  double load_seconds = 0;
  bool busy = false;  // held by a caller now
};

class ModelRegistry {
 public:
  using Loader = std::function<StatusOr<std::unique_ptr<engine::Translator>>(const std::string& dir,
                                                                             const engine::LoadOptions&)>;

  // `loader` defaults to engine::Translator::Load (tests inject their own).
  explicit ModelRegistry(RegistryOptions options, Loader loader = nullptr);

  StatusOr<std::shared_ptr<const engine::Translator>> Acquire(const ModelSpec& model);

  // Loads each model now; the first error is returned (the others are still tried).
  Status Preload(const std::vector<const ModelSpec*>& models);

  // The models in memory now, most recently used first.
  std::vector<LoadedModel> Loaded() const;

  // Loads performed and models unloaded so far (for metrics and tests).
  uint64_t loads() const;
  uint64_t unloads() const;

 private:
  struct Entry {
    std::shared_ptr<const engine::Translator> translator;
    bool loading = false;
    uint64_t generation = 0;  // counts finished loads, so waiters know theirs is over
    Status last_error;        // of the last load, for the callers that waited on it
    uint64_t resident_bytes = 0;
    double load_seconds = 0;
    std::chrono::steady_clock::time_point last_used;
  };

  // Unloads idle models, least recently used first, until `incoming_bytes` more fit (mu_ held).
  void EvictLocked(const std::string& keep, uint64_t incoming_bytes);

  const RegistryOptions options_;
  Loader loader_;
  mutable std::mutex mu_;
  std::condition_variable loaded_cv_;
  std::mutex load_mu_;                    // one load at a time, so the RSS growth is the model's own
  std::map<std::string, Entry> entries_;  // by model folder
  uint64_t loads_ = 0;
  uint64_t unloads_ = 0;
};

// Resident set size of this process in bytes (/proc/self/statm), 0 when unknown.
uint64_t ResidentBytes();

// The bytes of the weight files in `dir` (model.safetensors or pytorch_model.bin): the estimate of what
// loading it costs before it is loaded.
uint64_t WeightFileBytes(const std::string& dir);

}  // namespace dolmetsch::catalog
