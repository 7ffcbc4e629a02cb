// libFuzzer target: ParseTorchCheckpoint on arbitrary bytes must return a tensor map or a non-ok Status,
// never crash, leak or allocate without bound. Seeds: tests/fuzz/torch_checkpoint/.
//
// Inputs starting with 0x80 (a pickle's PROTO opcode) are taken as data.pkl and wrapped into a valid
// archive with a few storages, so the pickle VM is fuzzed without the fuzzer having to fix CRCs.
// Anything else is parsed as a whole archive, which fuzzes the zip reader.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/io/weights.h"
#include "engine/io/zip_archive.h"

namespace {

std::string WrapPickle(std::string_view pickle) {
  dolmetsch::engine::ZipWriter zip;
  zip.Add("archive/data.pkl", pickle);
  // Storages "0".."3" of 4, 8, 16 and 64 bytes: enough elements of any dtype for small tensors.
  zip.Add("archive/data/0", std::string(4, '\x3c'));
  zip.Add("archive/data/1", std::string(8, '\x40'));
  zip.Add("archive/data/2", std::string(16, '\x00'));
  zip.Add("archive/data/3", std::string(64, '\x3f'));
  zip.Add("archive/version", "3\n");
  return zip.Finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string wrapped;
  if (size > 0 && data[0] == 0x80) {
    wrapped = WrapPickle(bytes);
    bytes = wrapped;
  }
  auto weights = dolmetsch::engine::ParseTorchCheckpoint(bytes);
  if (!weights.ok()) {
    if (weights.status().message().empty()) std::abort();
    return 0;
  }
  for (const auto& [name, tensor] : *weights) {
    if (static_cast<size_t>(tensor.numel()) != tensor.values.size()) std::abort();
  }
  return 0;
}
