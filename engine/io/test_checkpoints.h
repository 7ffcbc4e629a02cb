// Test helpers: build safetensors and torch.save() bytes by hand, including deliberately broken ones.
//
// Contract: header-only, for tests and tools; writes exactly the opcodes PyTorch's pickler (protocol 2)
// writes for a state_dict, so tests can vary one thing at a time. Thread-safety: values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/io/numeric_formats.h"
#include "engine/io/zip_archive.h"

namespace dolmetsch::engine::testing {

// Appends pickle opcodes; Finish() closes the top-level dict and writes STOP.
class StateDictPickle {
 public:
  StateDictPickle() { out_ = std::string("\x80\x02}(", 4); }

  // One _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()) entry.
  StateDictPickle& Tensor(const std::string& name, const std::string& storage_type, const std::string& key,
                          int64_t storage_numel, int64_t offset, const std::vector<int64_t>& sizes,
                          const std::vector<int64_t>& strides) {
    Unicode(name);
    Global("torch._utils", "_rebuild_tensor_v2");
    out_ += "((";
    Unicode("storage");
    Global("torch", storage_type);
    Unicode(key);
    Unicode("cpu");
    Int(storage_numel);
    out_ += "tQ";  // TUPLE, BINPERSID
    Int(offset);
    IntTuple(sizes);
    IntTuple(strides);
    out_ += '\x89';  // NEWFALSE
    Global("collections", "OrderedDict");
    out_ += ")Rt";  // EMPTY_TUPLE REDUCE TUPLE
    out_ += 'R';    // REDUCE
    return *this;
  }
  // Raw opcodes inside the top-level SETITEMS mark (for malformed pickles).
  StateDictPickle& Raw(std::string_view bytes) {
    out_ += bytes;
    return *this;
  }
  StateDictPickle& Unicode(const std::string& s) {
    out_ += 'X';
    AppendU32(&out_, static_cast<uint32_t>(s.size()));
    out_ += s;
    return *this;
  }
  StateDictPickle& Global(const std::string& module, const std::string& name) {
    out_ += 'c' + module + '\n' + name + '\n';
    return *this;
  }
  StateDictPickle& Int(int64_t v) {
    if (v >= 0 && v < 256) {
      out_ += 'K';
      out_ += static_cast<char>(v);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out_ += 'J';
      AppendU32(&out_, static_cast<uint32_t>(static_cast<int32_t>(v)));
    } else {
      out_ += "\x8a\x08";  // LONG1 with 8 bytes
      AppendU64(&out_, static_cast<uint64_t>(v));
    }
    return *this;
  }
  StateDictPickle& IntTuple(const std::vector<int64_t>& values) {
    out_ += '(';
    for (int64_t v : values) Int(v);
    out_ += 't';
    return *this;
  }
  std::string Finish() const { return out_ + "u."; }

 private:
  std::string out_;
};

inline std::string FloatBytes(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

// A torch.save()-like archive: <prefix>/data.pkl, <prefix>/data/<key> for each storage, <prefix>/version.
inline std::string TorchArchive(std::string_view pickle, const std::map<std::string, std::string>& storages,
                                ZipWriter::Options options = {}, const std::string& prefix = "archive/") {
  ZipWriter zip(options);
  zip.Add(prefix + "data.pkl", pickle);
  for (const auto& [key, bytes] : storages) zip.Add(prefix + "data/" + key, bytes);
  zip.Add(prefix + "version", "3\n");
  return zip.Finish();
}

// safetensors bytes from a literal JSON header and data (no validation: for broken files too).
inline std::string SafetensorsBytes(const std::string& header_json, std::string_view data) {
  std::string out;
  AppendU64(&out, header_json.size());
  out += header_json;
  out += data;
  return out;
}

}  // namespace dolmetsch::engine::testing
