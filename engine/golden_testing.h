// Test-only helpers: the tiny fixture model and its golden.json (computed by Hugging Face transformers).
// See tests/fixtures/tiny-de-en/schema.md for every field.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dolmetsch::engine::testing {

inline std::string FixtureModelDir() {
  return std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en";
}

inline const nlohmann::json& Golden() {
  static const nlohmann::json golden = [] {
    std::ifstream in(FixtureModelDir() + "/golden.json");
    return nlohmann::json::parse(in);
  }();
  return golden;
}

// A copy of the fixture model without model.safetensors, so loading falls back to pytorch_model.bin.
// Removed when the test process exits: ctest runs every test in its own process, so one copy is made per
// test that asks for it.
inline std::string TorchOnlyModelDir() {
  namespace fs = std::filesystem;
  struct Copy {
    fs::path dir;
    Copy() : dir(fs::temp_directory_path() / ("dolmetsch-torch-only-" + std::to_string(::getpid()))) {
      fs::create_directories(dir);
      for (const auto& entry : fs::directory_iterator(FixtureModelDir())) {
        const std::string name = entry.path().filename().string();
        if (name == "model.safetensors" || name == "golden.json") continue;
        fs::copy_file(entry.path(), dir / name, fs::copy_options::overwrite_existing);
      }
    }
    ~Copy() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  };
  static const Copy copy;
  return copy.dir.string();
}

// The two ways the fixture's weights are stored; tests run against both.
inline std::vector<std::string> BothWeightFormats() { return {"safetensors", "pytorch_model.bin"}; }
inline std::string ModelDirFor(const std::string& format) {
  return format == "safetensors" ? FixtureModelDir() : TorchOnlyModelDir();
}

inline std::vector<int> Ids(const nlohmann::json& j) { return j.get<std::vector<int>>(); }

// Golden float vectors use null for -inf.
inline std::vector<float> Floats(const nlohmann::json& j) {
  std::vector<float> v;
  v.reserve(j.size());
  for (const auto& x : j) v.push_back(x.is_null() ? -std::numeric_limits<float>::infinity() : x.get<float>());
  return v;
}

// Generated ids from a padded output row: start token dropped, padding after EOS removed.
inline std::vector<int> TrimOutputRow(const std::vector<int>& row, int eos, int pad) {
  std::vector<int> ids;
  for (size_t i = 1; i < row.size(); ++i) {
    ids.push_back(row[i]);
    if (row[i] == eos) break;
  }
  while (!ids.empty() && ids.back() == pad) ids.pop_back();
  return ids;
}

}  // namespace dolmetsch::engine::testing
