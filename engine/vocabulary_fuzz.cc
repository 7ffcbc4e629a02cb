// libFuzzer target for vocab.json: arbitrary bytes through MarianTokenizer::CheckVocabularyJson, the parser
// Load uses. Run: build/fuzz/engine/vocabulary_fuzz tests/fuzz/vocabulary (scripts/fuzz does).
// Checks what holds for every input: no crash, memory bounded by the input (scripts/fuzz sets
// -rss_limit_mb / -malloc_limit_mb), and an accepted vocabulary has an entry for every id 0..N-1, so N is at
// most the number of JSON members.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto n = dolmetsch::engine::MarianTokenizer::CheckVocabularyJson(text, "vocab.json");
  if (n.ok()) {
    // Each entry needs at least `"":0,` (5 bytes) plus the braces; three special tokens at least.
    if (*n < 3 || static_cast<size_t>(*n) * 5 > size + 5) std::abort();
  } else if (n.status().message().find("vocab.json") == std::string::npos) {
    std::abort();  // every error names the file
  }
  return 0;
}
