// Reading (and writing) checkpoint files: model.safetensors and pytorch_model.bin.
//
// Contract: every reader returns named float32 tensors or a Status whose message names the file and what
// is wrong (truncated, bad header, unsupported dtype, shape/size mismatch). No input, however malformed,
// crashes or allocates unboundedly. F16 and BF16 tensors are widened to float32 on load.
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace dolmetsch::engine {

struct WeightTensor {
  std::vector<int64_t> shape;  // row-major, outermost first
  std::vector<float> values;   // product(shape) values, unless `borrowed` is set
  // Set by MapSafetensorsFile for aligned F32 tensors: the values inside the mapped file, not copied.
  const float* borrowed = nullptr;
  const float* data() const { return borrowed ? borrowed : values.data(); }
  int64_t numel() const;
};

using WeightMap = std::map<std::string, WeightTensor>;

// safetensors: 8-byte little-endian header length, JSON header, raw data (see docs/formats.md).
StatusOr<WeightMap> ParseSafetensors(std::string_view bytes);
StatusOr<WeightMap> ReadSafetensorsFile(const std::string& path);

class MappedFile;
// Like ReadSafetensorsFile, but float32 tensors that are 4-byte aligned in the file are borrowed from a
// read-only memory map instead of copied (others are converted as usual): opening is near-instant and
// pages are read when first used. The tensors' `borrowed` pointers live as long as *file.
struct MappedWeights {
  std::shared_ptr<const MappedFile> file;
  WeightMap weights;
};
StatusOr<MappedWeights> MapSafetensorsFile(const std::string& path);
Status WriteSafetensorsFile(const std::string& path, const WeightMap& weights);  // float32 only
// The bytes WriteSafetensorsFile writes (header padded to 8 bytes, tensors in name order, F32).
// InvalidArgument when a tensor's values do not match its shape, a name is not UTF-8 or is "__metadata__".
StatusOr<std::string> SerializeSafetensors(const WeightMap& weights,
                                           const std::map<std::string, std::string>& metadata = {
                                               {"format", "pt"}});

// torch.save() format: a zip archive holding data.pkl (pickle protocol 2) and data/<key> storages.
// Only what a state_dict of tensors needs is understood; anything else is a clear Unsupported error.
StatusOr<WeightMap> ParseTorchCheckpoint(std::string_view bytes);
StatusOr<WeightMap> ReadTorchCheckpointFile(const std::string& path);

// The weights of a Hugging Face model folder: model.safetensors when present, else pytorch_model.bin;
// NotFound naming both when neither exists.
StatusOr<WeightMap> ReadModelWeights(const std::string& model_dir);

}  // namespace dolmetsch::engine
