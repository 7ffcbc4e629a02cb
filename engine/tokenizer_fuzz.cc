// libFuzzer target for MarianTokenizer: arbitrary bytes as text (Tokenize/Encode) and as target ids (Decode).
// Run from the repo root (or set DOLMETSCH_FUZZ_MODEL_DIR):
//   build/fuzz/engine/tokenizer_fuzz -max_total_time=60
// Checks the invariants that hold for every input: Encode ends with </s>, has one id per piece, every id
// is a source-vocabulary id; Decode never crashes, whatever the ids.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer.h"

namespace {

const dolmetsch::engine::MarianTokenizer* tokenizer = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* env = std::getenv("DOLMETSCH_FUZZ_MODEL_DIR");
  const std::string model_dir = env ? env : "tests/fixtures/tiny-de-en";
  auto loaded = dolmetsch::engine::MarianTokenizer::Load(model_dir);
  if (!loaded.ok()) {
    std::fprintf(stderr, "tokenizer_fuzz: %s\n", loaded.status().ToString().c_str());
    std::abort();
  }
  tokenizer = std::move(loaded).value().release();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> pieces = tokenizer->Tokenize(text);
  const std::vector<int> ids = tokenizer->Encode(text);
  if (ids.size() != pieces.size() + 1 || ids.back() != tokenizer->eos_id()) std::abort();
  for (int id : ids) {
    if (id < 0 || id >= tokenizer->source_vocab_size()) std::abort();
  }

  // The same bytes as little-endian 16-bit ids, a few of them out of range.
  std::vector<int> target_ids;
  for (size_t i = 0; i + 1 < size; i += 2) {
    int raw = data[i] | (data[i + 1] << 8);
    target_ids.push_back(raw % (tokenizer->target_vocab_size() + 8) - 4);
  }
  for (bool skip : {true, false}) {
    for (bool cleanup : {true, false}) (void)tokenizer->Decode(target_ids, skip, cleanup);
  }
  return 0;
}
