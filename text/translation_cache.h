// TranslationCache: an in-memory LRU map from a source sentence (with the settings that shaped its
// translation) to its translation, so that repeated sentences, within a text and across requests, are
// translated once.
//
// Contract: holds at most `capacity` entries (0 disables the cache: Lookup always misses, Insert does
// nothing); Insert of a present key refreshes it; the least recently used entry is evicted first. Keys are
// opaque strings: callers put everything into them that changes the output (model, beam size, ...).
// Thread-safety: all methods may be called from several threads at once (one mutex).
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace dolmetsch::text {

class TranslationCache {
 public:
  explicit TranslationCache(std::size_t capacity) : capacity_(capacity) {}
  TranslationCache(const TranslationCache&) = delete;
  TranslationCache& operator=(const TranslationCache&) = delete;

  std::optional<std::string> Lookup(const std::string& key);
  void Insert(const std::string& key, std::string translation);
  void Clear();

  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }
  std::size_t hits() const;
  std::size_t misses() const;

 private:
  using Entry = std::pair<std::string, std::string>;  // key, translation; most recent first
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> entries_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::size_t hits_ = 0;
  std::size_t misses_ = 0;
};

}  // namespace dolmetsch::text
