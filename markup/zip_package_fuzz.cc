// libFuzzer: any bytes as a zip package. Opening, reading every entry, replacing one and writing must give
// a Status or a result, never a crash, a hang or unbounded memory (the limits are set low); a written
// package must open again with the replaced content.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "markup/zip_package.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using dolmetsch::markup::ZipPackage;
  dolmetsch::markup::ZipLimits limits;
  limits.max_entries = 64;
  limits.max_total_uncompressed = 8u << 20;
  limits.max_entry_bytes = 1u << 20;
  auto package = ZipPackage::Open(std::string(reinterpret_cast<const char*>(data), size), limits);
  if (!package.ok()) return 0;
  std::string first;
  for (const auto& entry : (*package)->entries()) {
    auto content = (*package)->Read(entry.name);
    if (content.ok() && content->size() != entry.size) std::abort();
    if (first.empty()) first = entry.name;
  }
  if (first.empty()) return 0;
  if (!(*package)->Replace(first, "replaced").ok()) std::abort();
  auto written = (*package)->Write();
  if (!written.ok()) return 0;
  auto again = ZipPackage::Open(*written, limits);
  if (!again.ok()) std::abort();
  auto content = (*again)->Read(first);
  if (!content.ok() || *content != "replaced") std::abort();
  return 0;
}
