// libFuzzer target: ParseSafetensors on arbitrary bytes must return a tensor map or a non-ok Status,
// never crash, leak or allocate without bound. Seeds: tests/fuzz/safetensors/ (scripts/fuzz runs it).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/io/weights.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto weights = dolmetsch::engine::ParseSafetensors(bytes);
  if (!weights.ok()) {
    if (weights.status().message().empty()) std::abort();  // every error must say what is wrong
    return 0;
  }
  for (const auto& [name, tensor] : *weights) {
    if (static_cast<size_t>(tensor.numel()) != tensor.values.size()) std::abort();
  }
  // What we read must survive a write and a second read unchanged.
  auto bytes_again = dolmetsch::engine::SerializeSafetensors(*weights);
  if (!bytes_again.ok()) std::abort();
  auto again = dolmetsch::engine::ParseSafetensors(*bytes_again);
  if (!again.ok() || again->size() != weights->size()) std::abort();
  return 0;
}
