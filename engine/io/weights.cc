// safetensors reading and writing, WeightTensor, and the model-folder entry point.
#include "engine/io/weights.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "engine/io/mapped_file.h"
#include "engine/io/numeric_formats.h"

namespace dolmetsch::engine {
namespace {

using json = nlohmann::json;

// The reference implementation refuses headers above 100 MB; so do we, before touching them.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

struct DtypeInfo {
  const char* name;
  size_t size;
  bool supported;
};

constexpr DtypeInfo kDtypes[] = {
    {"F32", 4, true},  {"F16", 2, true},  {"BF16", 2, true},  {"F64", 8, true},      {"I8", 1, false},
    {"U8", 1, false},  {"I16", 2, false}, {"U16", 2, false},  {"I32", 4, false},     {"U32", 4, false},
    {"I64", 8, false}, {"U64", 8, false}, {"BOOL", 1, false}, {"F8_E4M3", 1, false}, {"F8_E5M2", 1, false},
};

const DtypeInfo* FindDtype(const std::string& name) {
  for (const DtypeInfo& d : kDtypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

// A non-negative JSON integer that fits int64, else nullopt.
std::optional<int64_t> AsNonNegativeInt(const json& v) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (i < 0) return std::nullopt;
    return i;
  }
  return std::nullopt;
}

struct TensorEntry {
  std::string name;
  const DtypeInfo* dtype = nullptr;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

Status ParseTensorEntry(const std::string& name, const json& desc, TensorEntry* entry) {
  const std::string where = "tensor '" + name + "'";
  if (!desc.is_object()) return Status::Corruption(where + ": header entry is not a JSON object");
  entry->name = name;
  auto dtype_it = desc.find("dtype");
  if (dtype_it == desc.end() || !dtype_it->is_string()) {
    return Status::Corruption(where + ": missing or non-string \"dtype\"");
  }
  const std::string dtype = dtype_it->get<std::string>();
  entry->dtype = FindDtype(dtype);
  if (!entry->dtype) return Status::Unsupported(where + ": unknown dtype '" + dtype + "'");

  auto shape_it = desc.find("shape");
  if (shape_it == desc.end() || !shape_it->is_array()) {
    return Status::Corruption(where + ": missing or non-array \"shape\"");
  }
  for (const json& dim : *shape_it) {
    std::optional<int64_t> d = AsNonNegativeInt(dim);
    if (!d) return Status::Corruption(where + ": shape has a dimension that is not a non-negative integer");
    entry->shape.push_back(*d);
  }

  auto offsets_it = desc.find("data_offsets");
  if (offsets_it == desc.end() || !offsets_it->is_array() || offsets_it->size() != 2) {
    return Status::Corruption(where + ": \"data_offsets\" must be an array [begin, end]");
  }
  std::optional<int64_t> begin = AsNonNegativeInt((*offsets_it)[0]);
  std::optional<int64_t> end = AsNonNegativeInt((*offsets_it)[1]);
  if (!begin || !end || *begin > *end) {
    return Status::Corruption(where + ": \"data_offsets\" must be non-negative integers with begin <= end");
  }
  entry->begin = static_cast<uint64_t>(*begin);
  entry->end = static_cast<uint64_t>(*end);
  return Status::Ok();
}

// Element count of `shape`, or nullopt when it overflows int64.
std::optional<int64_t> CheckedNumel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return std::nullopt;
  }
  return n;
}

Status ConvertTensor(const TensorEntry& entry, std::string_view raw, bool borrow, WeightTensor* out) {
  const size_t n = raw.size() / entry.dtype->size;
  out->shape = entry.shape;
  if (borrow && std::string_view(entry.dtype->name) == "F32" &&
      reinterpret_cast<uintptr_t>(raw.data()) % 4 == 0) {
    out->borrowed = reinterpret_cast<const float*>(raw.data());
    return Status::Ok();
  }
  out->values.resize(n);
  float* dst = out->values.data();
  const char* src = raw.data();
  const std::string dtype = entry.dtype->name;
  if (dtype == "F32") {
    if (n) std::memcpy(dst, src, n * sizeof(float));
  } else if (dtype == "F16") {
    for (size_t i = 0; i < n; ++i) dst[i] = HalfToFloat(LoadU16(src + 2 * i));
  } else if (dtype == "BF16") {
    for (size_t i = 0; i < n; ++i) dst[i] = BFloat16ToFloat(LoadU16(src + 2 * i));
  } else if (dtype == "F64") {
    for (size_t i = 0; i < n; ++i) {
      double d;
      std::memcpy(&d, src + 8 * i, sizeof d);
      if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max()) {
        return Status::Unsupported("tensor '" + entry.name + "': F64 value " + std::to_string(d) +
                                   " at index " + std::to_string(i) + " does not fit float32");
      }
      dst[i] = static_cast<float>(d);
    }
  } else {
    return Status::Unsupported("tensor '" + entry.name + "' has dtype " + dtype +
                               "; only F32, F16, BF16 (and F64, narrowed) are supported");
  }
  return Status::Ok();
}

}  // namespace

int64_t WeightTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {
StatusOr<WeightMap> ParseSafetensorsImpl(std::string_view bytes, bool borrow);
}  // namespace

StatusOr<WeightMap> ParseSafetensors(std::string_view bytes) { return ParseSafetensorsImpl(bytes, false); }

namespace {
StatusOr<WeightMap> ParseSafetensorsImpl(std::string_view bytes, bool borrow) {
  if (bytes.size() < 8) {
    return Status::Corruption("file has " + std::to_string(bytes.size()) +
                              " bytes, fewer than the 8-byte header length (truncated or not safetensors)");
  }
  const uint64_t header_len = LoadU64(bytes.data());
  if (header_len > bytes.size() - 8) {
    return Status::Corruption("header length " + std::to_string(header_len) + " exceeds the " +
                              std::to_string(bytes.size() - 8) +
                              " bytes after it (truncated or not safetensors)");
  }
  if (header_len > kMaxHeaderBytes) {
    return Status::Corruption("header length " + std::to_string(header_len) + " exceeds the 100 MiB limit");
  }
  std::string_view header = bytes.substr(8, header_len);
  std::string_view data = bytes.substr(8 + header_len);
  if (header.empty() || header.front() != '{') {
    return Status::Corruption("header does not start with '{' (not safetensors?)");
  }

  json root;
  try {
    root = json::parse(header.begin(), header.end());
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("header is not valid JSON: ") + e.what());
  }
  if (!root.is_object()) return Status::Corruption("header is not a JSON object");

  std::vector<TensorEntry> entries;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) return Status::Corruption("\"__metadata__\" is not a JSON object");
      for (const auto& [key, value] : it.value().items()) {
        if (!value.is_string()) {
          return Status::Corruption("\"__metadata__\" value of '" + key + "' is not a string");
        }
      }
      continue;
    }
    TensorEntry entry;
    DOLMETSCH_RETURN_IF_ERROR(ParseTensorEntry(it.key(), it.value(), &entry));
    entries.push_back(std::move(entry));
  }

  // Every tensor must lie inside the data, and the tensors must tile it exactly (as the reference
  // implementation demands): no overlaps, no gaps, nothing after the last one.
  for (const TensorEntry& e : entries) {
    if (e.end > data.size()) {
      return Status::Corruption("tensor '" + e.name + "': data_offsets [" + std::to_string(e.begin) + ", " +
                                std::to_string(e.end) + "] run past the " + std::to_string(data.size()) +
                                " data bytes (truncated file?)");
    }
    std::optional<int64_t> numel = CheckedNumel(e.shape);
    uint64_t expected = 0;
    if (!numel || __builtin_mul_overflow(static_cast<uint64_t>(*numel), e.dtype->size, &expected)) {
      return Status::Corruption("tensor '" + e.name + "': shape is too large");
    }
    if (expected != e.end - e.begin) {
      return Status::Corruption("tensor '" + e.name + "': shape and dtype " + e.dtype->name + " need " +
                                std::to_string(expected) + " bytes but data_offsets span " +
                                std::to_string(e.end - e.begin));
    }
  }
  std::vector<const TensorEntry*> by_offset;
  for (const TensorEntry& e : entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorEntry* a, const TensorEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  const TensorEntry* previous = nullptr;
  for (const TensorEntry* e : by_offset) {
    if (e->begin < covered) {
      return Status::Corruption("tensor '" + e->name + "' overlaps tensor '" + previous->name + "'");
    }
    if (e->begin > covered) {
      return Status::Corruption("tensor '" + e->name + "' starts at " + std::to_string(e->begin) +
                                " but the previous tensor ends at " + std::to_string(covered) +
                                " (gap in the data)");
    }
    covered = e->end;
    previous = e;
  }
  if (covered != data.size()) {
    return Status::Corruption(std::to_string(data.size() - covered) +
                              " bytes after the last tensor are not described by the header");
  }

  WeightMap weights;
  for (const TensorEntry& e : entries) {
    if (!e.dtype->supported) {
      return Status::Unsupported("tensor '" + e.name + "' has dtype " + e.dtype->name +
                                 "; only F32, F16, BF16 (and F64, narrowed) are supported");
    }
  }
  for (const TensorEntry& e : entries) {
    WeightTensor tensor;
    DOLMETSCH_RETURN_IF_ERROR(ConvertTensor(e, data.substr(e.begin, e.end - e.begin), borrow, &tensor));
    weights.emplace(e.name, std::move(tensor));
  }
  return weights;
}
}  // namespace

StatusOr<MappedWeights> MapSafetensorsFile(const std::string& path) {
  StatusOr<MappedFile> file = MappedFile::Open(path);
  if (!file.ok()) return file.status();
  MappedWeights out;
  auto shared = std::make_shared<MappedFile>(std::move(file).value());
  StatusOr<WeightMap> weights = ParseSafetensorsImpl(shared->bytes(), true);
  if (!weights.ok()) return weights.status().WithContext(path);
  out.file = std::move(shared);
  out.weights = std::move(weights).value();
  return out;
}

StatusOr<WeightMap> ReadSafetensorsFile(const std::string& path) {
  StatusOr<MappedFile> file = MappedFile::Open(path);
  if (!file.ok()) return file.status();
  StatusOr<WeightMap> weights = ParseSafetensors(file->bytes());
  if (!weights.ok()) return weights.status().WithContext(path);
  return weights;
}

StatusOr<std::string> SerializeSafetensors(const WeightMap& weights,
                                           const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) {
    json meta = json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header["__metadata__"] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const auto& [name, tensor] : weights) {
    if (name == "__metadata__") {
      return Status::InvalidArgument("tensor name '" + name + "' cannot be written to safetensors");
    }
    std::optional<int64_t> numel = CheckedNumel(tensor.shape);
    if (!numel || (!tensor.borrowed && static_cast<uint64_t>(*numel) != tensor.values.size())) {
      return Status::InvalidArgument("tensor '" + name + "': shape does not match its " +
                                     std::to_string(tensor.values.size()) + " values");
    }
    const uint64_t bytes = static_cast<uint64_t>(*numel) * sizeof(float);
    header[name] = {{"dtype", "F32"}, {"shape", tensor.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("cannot write the header (tensor names must be UTF-8): ") +
                                   e.what());
  }
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + header_text.size() + offset);
  AppendU64(&out, header_text.size());
  out += header_text;
  for (const auto& [name, tensor] : weights) {
    out.append(reinterpret_cast<const char*>(tensor.data()),
               static_cast<size_t>(tensor.numel()) * sizeof(float));
  }
  return out;
}

Status WriteSafetensorsFile(const std::string& path, const WeightMap& weights) {
  StatusOr<std::string> bytes = SerializeSafetensors(weights);
  if (!bytes.ok()) return bytes.status().WithContext(path);
  // Write beside the target and rename, so readers never see a half-written file.
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return Status::IoError(path + ": cannot create " + tmp + ": " + std::strerror(errno));
  const bool written = std::fwrite(bytes->data(), 1, bytes->size(), f) == bytes->size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    std::remove(tmp.c_str());
    return Status::IoError(path + ": write failed (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return Status::IoError(path + ": cannot rename " + tmp + ": " + std::strerror(err));
  }
  return Status::Ok();
}

StatusOr<WeightMap> ReadModelWeights(const std::string& model_dir) {
  const std::filesystem::path dir(model_dir);
  std::error_code ec;
  const std::string safetensors = (dir / "model.safetensors").string();
  if (std::filesystem::exists(safetensors, ec)) return ReadSafetensorsFile(safetensors);
  const std::string torch = (dir / "pytorch_model.bin").string();
  if (std::filesystem::exists(torch, ec)) return ReadTorchCheckpointFile(torch);
  return Status::NotFound(model_dir + ": neither model.safetensors nor pytorch_model.bin exists");
}

}  // namespace dolmetsch::engine
