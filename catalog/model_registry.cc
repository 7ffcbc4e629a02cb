#include "catalog/model_registry.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace dolmetsch::catalog {

uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0, resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t WeightFileBytes(const std::string& dir) {
  std::error_code ec;
  for (const char* name : {"model.safetensors", "pytorch_model.bin"}) {
    const auto size = std::filesystem::file_size(std::filesystem::path(dir) / name, ec);
    if (!ec) return size;
  }
  return 0;
}

ModelRegistry::ModelRegistry(RegistryOptions options, Loader loader)
    : options_(std::move(options)), loader_(std::move(loader)) {
  if (!loader_) {
    loader_ = [](const std::string& dir, const engine::LoadOptions& load) {
      return engine::Translator::Load(dir, load);
    };
  }
}

StatusOr<std::shared_ptr<const engine::Translator>> ModelRegistry::Acquire(const ModelSpec& model) {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    Entry& entry = entries_[model.dir];
    if (entry.translator) {
      entry.last_used = std::chrono::steady_clock::now();
      std::shared_ptr<const engine::Translator> handle = entry.translator;
      EvictLocked(model.dir, 0);  // models left over budget while busy go once idle
      return handle;
    }
    if (!entry.loading) break;
    // Another caller loads it: wait for that load and share its outcome.
    const uint64_t generation = entry.generation;
    loaded_cv_.wait(lock, [&] { return entries_[model.dir].generation != generation; });
    Entry& after = entries_[model.dir];
    if (!after.translator && !after.last_error.ok()) return after.last_error;
  }
  entries_[model.dir].loading = true;
  EvictLocked(model.dir, WeightFileBytes(model.dir));
  lock.unlock();

  StatusOr<std::unique_ptr<engine::Translator>> loaded = Status::Internal("not loaded");
  uint64_t grown = 0;
  const auto start = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> one_at_a_time(load_mu_);
    const uint64_t before = ResidentBytes();
    loaded = loader_(model.dir, options_.load);
    const uint64_t after = ResidentBytes();
    grown = after > before ? after - before : 0;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  lock.lock();
  Entry& entry = entries_[model.dir];
  entry.loading = false;
  ++entry.generation;
  if (!loaded.ok()) {
    entry.last_error = loaded.status().WithContext("loading model '" + model.name + "'");
    loaded_cv_.notify_all();
    return entry.last_error;
  }
  ++loads_;
  entry.last_error = Status::Ok();
  entry.translator = std::shared_ptr<const engine::Translator>(std::move(*loaded));
  entry.resident_bytes = grown;
  entry.load_seconds = seconds;
  entry.last_used = std::chrono::steady_clock::now();
  std::shared_ptr<const engine::Translator> handle = entry.translator;
  EvictLocked(model.dir, 0);
  loaded_cv_.notify_all();
  return handle;
}

void ModelRegistry::EvictLocked(const std::string& keep, uint64_t incoming_bytes) {
  auto over_budget = [&] {
    std::size_t count = incoming_bytes > 0 ? 1 : 0;  // the model about to load counts too
    uint64_t bytes = incoming_bytes;
    for (const auto& [dir, e] : entries_) {
      if (!e.translator) continue;
      ++count;
      bytes += e.resident_bytes;
    }
    return (options_.max_loaded_models > 0 && count > options_.max_loaded_models) ||
           (options_.max_memory_bytes > 0 && bytes > options_.max_memory_bytes);
  };
  while (over_budget()) {
    // The least recently used model that nobody holds (use_count 1: only this registry).
    Entry* victim = nullptr;
    for (auto& [dir, e] : entries_) {
      if (dir == keep || !e.translator || e.translator.use_count() > 1) continue;
      if (victim == nullptr || e.last_used < victim->last_used) victim = &e;
    }
    if (victim == nullptr) return;  // everything else is busy: over budget until it is idle
    victim->translator.reset();
    victim->resident_bytes = 0;
    ++unloads_;
    // glibc keeps freed heap pages in its arenas; hand them back so that the budget shows in the RSS.
    malloc_trim(0);
  }
}

Status ModelRegistry::Preload(const std::vector<const ModelSpec*>& models) {
  Status first;
  for (const ModelSpec* model : models) {
    StatusOr<std::shared_ptr<const engine::Translator>> handle = Acquire(*model);
    if (!handle.ok() && first.ok()) first = handle.status();
  }
  return first;
}

std::vector<LoadedModel> ModelRegistry::Loaded() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::chrono::steady_clock::time_point, LoadedModel>> rows;
  for (const auto& [dir, e] : entries_) {
    if (!e.translator) continue;
    LoadedModel m;
    m.name = std::filesystem::path(dir).filename().string();
    if (m.name.empty()) m.name = std::filesystem::path(dir).parent_path().filename().string();
    m.resident_bytes = e.resident_bytes;
    m.load_seconds = e.load_seconds;
    m.busy = e.translator.use_count() > 1;
    rows.push_back({e.last_used, m});
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<LoadedModel> out;
  for (auto& [when, m] : rows) out.push_back(std::move(m));
  return out;
}

uint64_t ModelRegistry::loads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return loads_;
}

uint64_t ModelRegistry::unloads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return unloads_;
}

}  // namespace dolmetsch::catalog
