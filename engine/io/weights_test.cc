// Tests of the safetensors reader/writer, the fixture checkpoints and the file entry points.
#include "engine/io/weights.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/io/numeric_formats.h"
#include "engine/io/test_checkpoints.h"

namespace dolmetsch::engine {
namespace {

using testing::FloatBytes;
using ::testing::HasSubstr;
using testing::SafetensorsBytes;

const std::string kFixtureDir = std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en";

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh directory under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("dolmetsch_weights_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// ---- the fixture model ----

TEST(FixtureWeightsTest, SafetensorsAndTorchCheckpointGiveIdenticalTensors) {
  StatusOr<WeightMap> st = ReadSafetensorsFile(kFixtureDir + "/model.safetensors");
  StatusOr<WeightMap> pt = ReadTorchCheckpointFile(kFixtureDir + "/pytorch_model.bin");
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_TRUE(pt.ok()) << pt.status().ToString();
  ASSERT_GT(st->size(), 10u);
  // Every safetensors tensor is in the torch file with the same shape and bit-identical values.
  for (const auto& [name, tensor] : *st) {
    auto it = pt->find(name);
    ASSERT_NE(it, pt->end()) << name << " missing from pytorch_model.bin";
    EXPECT_EQ(it->second.shape, tensor.shape) << name;
    EXPECT_TRUE(SameBits(it->second.values, tensor.values)) << name;
  }
  // The torch file also holds the tied aliases of the shared embedding, which safetensors drops.
  for (const auto& [name, tensor] : *pt) {
    if (st->count(name)) continue;
    EXPECT_THAT(name, ::testing::AnyOf("model.encoder.embed_tokens.weight",
                                       "model.decoder.embed_tokens.weight", "lm_head.weight"));
    EXPECT_EQ(tensor.shape, st->at("model.shared.weight").shape) << name;
    EXPECT_TRUE(SameBits(tensor.values, st->at("model.shared.weight").values)) << name;
  }
}

TEST(FixtureWeightsTest, ShapesFollowConfig) {
  StatusOr<WeightMap> st = ReadModelWeights(kFixtureDir);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  const nlohmann::json config = nlohmann::json::parse(ReadBytes(kFixtureDir + "/config.json"));
  const int64_t d_model = config["d_model"], vocab = config["vocab_size"], ffn = config["encoder_ffn_dim"];
  EXPECT_EQ(st->at("model.shared.weight").shape, (std::vector<int64_t>{vocab, d_model}));
  EXPECT_EQ(st->at("final_logits_bias").shape, (std::vector<int64_t>{1, vocab}));
  EXPECT_EQ(st->at("model.encoder.layers.0.fc1.weight").shape, (std::vector<int64_t>{ffn, d_model}));
  EXPECT_EQ(st->at("model.decoder.layers.1.encoder_attn.q_proj.bias").shape, (std::vector<int64_t>{d_model}));
  for (const auto& [name, tensor] : *st) {
    EXPECT_EQ(static_cast<size_t>(tensor.numel()), tensor.values.size()) << name;
    for (float v : tensor.values) ASSERT_TRUE(std::isfinite(v)) << name;
  }
}

TEST(FixtureWeightsTest, TruncatedFixtureFilesAreRejected) {
  const std::string st = ReadBytes(kFixtureDir + "/model.safetensors");
  const std::string pt = ReadBytes(kFixtureDir + "/pytorch_model.bin");
  ASSERT_FALSE(st.empty());
  ASSERT_FALSE(pt.empty());
  for (size_t i = 0; i < 100; ++i) {
    const size_t cut_st = st.size() * i / 100;
    EXPECT_FALSE(ParseSafetensors(std::string_view(st).substr(0, cut_st)).ok()) << cut_st;
    const size_t cut_pt = pt.size() * i / 100;
    EXPECT_FALSE(ParseTorchCheckpoint(std::string_view(pt).substr(0, cut_pt)).ok()) << cut_pt;
  }
  // The last bytes matter too: the end of the data, the end-of-central-directory record.
  for (size_t k = 1; k <= 64; ++k) {
    EXPECT_FALSE(ParseSafetensors(std::string_view(st).substr(0, st.size() - k)).ok()) << k;
    EXPECT_FALSE(ParseTorchCheckpoint(std::string_view(pt).substr(0, pt.size() - k)).ok()) << k;
  }
}

TEST(FixtureWeightsTest, FlippedBytesNeverCrash) {
  // Not every flip is detectable (a float's bits are all valid), but none may crash or hang.
  const std::string st = ReadBytes(kFixtureDir + "/model.safetensors");
  const std::string pt = ReadBytes(kFixtureDir + "/pytorch_model.bin");
  int pt_rejected = 0;
  for (size_t i = 0; i < 100; ++i) {
    std::string s = st, p = pt;
    s[(i * 7919) % 12000] ^= static_cast<char>(1 + i % 255);
    p[(i * 104729) % p.size()] ^= static_cast<char>(1 + i % 255);
    StatusOr<WeightMap> ws = ParseSafetensors(s);
    if (ws.ok()) {
      EXPECT_EQ(ws->size(), 86u) << i;
    }
    StatusOr<WeightMap> wp = ParseTorchCheckpoint(p);
    if (wp.ok()) {
      EXPECT_EQ(wp->size(), 89u) << i;  // only unchecked fields (times, padding) changed
    }
    pt_rejected += !wp.ok();
  }
  EXPECT_GT(pt_rejected, 75);  // almost every byte is data under a CRC
}

// ---- half precision ----

TEST(NumericFormatsTest, HalfToFloatCoversAllClasses) {
  EXPECT_EQ(HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xc000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x3800), 0.5f);
  EXPECT_EQ(HalfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));            // smallest subnormal
  EXPECT_EQ(HalfToFloat(0x03ff), std::ldexp(1023.0f, -24));         // largest subnormal
  EXPECT_EQ(HalfToFloat(0x0400), std::ldexp(1.0f, -14));            // smallest normal
  EXPECT_EQ(HalfToFloat(0x3555), 0x155 / 1024.0f * 0.25f + 0.25f);  // ~1/3
  EXPECT_TRUE(std::signbit(HalfToFloat(0x8000)));
  EXPECT_EQ(HalfToFloat(0x8000), 0.0f);
  EXPECT_EQ(HalfToFloat(0x7c00), INFINITY);
  EXPECT_EQ(HalfToFloat(0xfc00), -INFINITY);
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7e00)));
  // Every finite half round-trips through float exactly (checked against the definition).
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff;
    if (e == 31) continue;
    const float expected =
        (h & 0x8000 ? -1.0f : 1.0f) * (e == 0 ? std::ldexp(static_cast<float>(m), -24)
                                              : std::ldexp(1.0f + m / 1024.0f, static_cast<int>(e) - 15));
    ASSERT_EQ(HalfToFloat(static_cast<uint16_t>(h)), expected) << h;
  }
}

TEST(NumericFormatsTest, BFloat16IsTheUpperHalfOfFloat32) {
  EXPECT_EQ(BFloat16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(BFloat16ToFloat(0xc040), -3.0f);
  EXPECT_EQ(BFloat16ToFloat(0x4049), 3.140625f);
  EXPECT_EQ(BFloat16ToFloat(0x0001), std::ldexp(1.0f, -133));  // subnormal
  EXPECT_EQ(BFloat16ToFloat(0xff80), -INFINITY);
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(0x7fc0)));
}

// ---- safetensors: valid files ----

std::string U16Bytes(const std::vector<uint16_t>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 2);
}

TEST(SafetensorsTest, ReadsF16BF16F64AndF32) {
  const std::vector<double> doubles = {0.25, -8.0, 1e-300};
  std::string data = U16Bytes({0x3c00, 0xc000, 0x0001}) + U16Bytes({0x3f80, 0xc040}) +
                     std::string(reinterpret_cast<const char*>(doubles.data()), 24) + FloatBytes({7.5f});
  const std::string header = R"({"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},)"
                             R"("b":{"dtype":"BF16","shape":[2,1],"data_offsets":[6,10]},)"
                             R"("d":{"dtype":"F64","shape":[3],"data_offsets":[10,34]},)"
                             R"("s":{"dtype":"F32","shape":[],"data_offsets":[34,38]},)"
                             R"("__metadata__":{"format":"pt"}})";
  StatusOr<WeightMap> w = ParseSafetensors(SafetensorsBytes(header, data));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_EQ(w->size(), 4u);
  EXPECT_EQ(w->at("h").values, (std::vector<float>{1.0f, -2.0f, std::ldexp(1.0f, -24)}));
  EXPECT_EQ(w->at("b").shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(w->at("b").values, (std::vector<float>{1.0f, -3.0f}));
  EXPECT_EQ(w->at("d").values, (std::vector<float>{0.25f, -8.0f, 0.0f}));
  EXPECT_EQ(w->at("s").shape, std::vector<int64_t>{});
  EXPECT_EQ(w->at("s").numel(), 1);
  EXPECT_EQ(w->at("s").values, std::vector<float>{7.5f});
}

TEST(SafetensorsTest, EmptyTensorsAndNoTensorsAreFine) {
  StatusOr<WeightMap> w = ParseSafetensors(SafetensorsBytes(
      R"({"e":{"dtype":"F32","shape":[0,5],"data_offsets":[0,0]},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
      FloatBytes({1})));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->at("e").values.size(), 0u);
  EXPECT_EQ(w->at("x").values, std::vector<float>{1});
  StatusOr<WeightMap> none = ParseSafetensors(SafetensorsBytes("{}", ""));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // Trailing spaces pad the header (the reference writer aligns the data to 8 bytes).
  EXPECT_TRUE(ParseSafetensors(SafetensorsBytes("{}      ", "")).ok());
}

// ---- safetensors: malformed files ----

struct BadSafetensors {
  const char* what;
  std::string bytes;
  Status::Code code;
  const char* message_part;
};

std::vector<BadSafetensors> BadSafetensorsCases() {
  const std::string one_float = FloatBytes({1});
  auto t = [](const std::string& desc) { return "{\"t\":" + desc + "}"; };
  return {
      {"empty file", "", Status::Code::kCorruption, "fewer than the 8-byte header length"},
      {"short file", "abc", Status::Code::kCorruption, "fewer than the 8-byte"},
      {"stray byte after an empty header", SafetensorsBytes("{}", std::string(1, '\0')),
       Status::Code::kCorruption, "1 bytes after the last tensor"},
      {"header length past the end", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f{}", 10),
       Status::Code::kCorruption, "exceeds"},
      {"bad JSON", SafetensorsBytes("{\"t\": {", ""), Status::Code::kCorruption, "not valid JSON"},
      {"invalid UTF-8 in JSON", SafetensorsBytes("{\"\xff\":1}", ""), Status::Code::kCorruption,
       "not valid JSON"},
      {"header not an object", SafetensorsBytes("[1, 2]", ""), Status::Code::kCorruption,
       "does not start with '{'"},
      {"metadata not an object", SafetensorsBytes(R"({"__metadata__": 3})", ""), Status::Code::kCorruption,
       "__metadata__"},
      {"metadata value not a string", SafetensorsBytes(R"({"__metadata__": {"a": 1}})", ""),
       Status::Code::kCorruption, "__metadata__"},
      {"entry not an object", SafetensorsBytes(t("5"), ""), Status::Code::kCorruption, "tensor 't'"},
      {"missing dtype", SafetensorsBytes(t(R"({"shape":[1],"data_offsets":[0,4]})"), one_float),
       Status::Code::kCorruption, "dtype"},
      {"unknown dtype", SafetensorsBytes(t(R"({"dtype":"F17","shape":[1],"data_offsets":[0,4]})"), one_float),
       Status::Code::kUnsupported, "unknown dtype 'F17'"},
      {"integer dtype", SafetensorsBytes(t(R"({"dtype":"I32","shape":[1],"data_offsets":[0,4]})"), one_float),
       Status::Code::kUnsupported, "tensor 't' has dtype I32"},
      {"negative dim", SafetensorsBytes(t(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), one_float),
       Status::Code::kCorruption, "shape"},
      {"fractional dim",
       SafetensorsBytes(t(R"({"dtype":"F32","shape":[1.5],"data_offsets":[0,4]})"), one_float),
       Status::Code::kCorruption, "shape"},
      {"shape overflows",
       SafetensorsBytes(t(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]})"),
                        one_float),
       Status::Code::kCorruption, "too large"},
      {"shape and size disagree",
       SafetensorsBytes(t(R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})"), one_float),
       Status::Code::kCorruption, "need 8 bytes but data_offsets span 4"},
      {"dtype and size disagree",
       SafetensorsBytes(t(R"({"dtype":"F16","shape":[1],"data_offsets":[0,4]})"), one_float),
       Status::Code::kCorruption, "need 2 bytes"},
      {"offsets reversed",
       SafetensorsBytes(t(R"({"dtype":"F32","shape":[1],"data_offsets":[4,0]})"), one_float),
       Status::Code::kCorruption, "begin <= end"},
      {"offsets not a pair",
       SafetensorsBytes(t(R"({"dtype":"F32","shape":[1],"data_offsets":[0]})"), one_float),
       Status::Code::kCorruption, "data_offsets"},
      {"offsets past the end",
       SafetensorsBytes(t(R"({"dtype":"F32","shape":[1],"data_offsets":[4,8]})"), one_float),
       Status::Code::kCorruption, "run past the 4 data bytes"},
      {"huge offsets",
       SafetensorsBytes(
           t(R"({"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551615]})"),
           one_float),
       Status::Code::kCorruption, "data_offsets"},
      {"overlapping tensors",
       SafetensorsBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                        FloatBytes({1, 2, 3})),
       Status::Code::kCorruption, "tensor 'b' overlaps tensor 'a'"},
      {"same offsets twice",
       SafetensorsBytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                        R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                        one_float),
       Status::Code::kCorruption, "overlaps"},
      {"gap between tensors",
       SafetensorsBytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                        R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                        FloatBytes({1, 2, 3})),
       Status::Code::kCorruption, "gap"},
      {"bytes after the last tensor",
       SafetensorsBytes(t(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})"), FloatBytes({1, 2})),
       Status::Code::kCorruption, "4 bytes after the last tensor"},
      {"F64 beyond float range",
       SafetensorsBytes(t(R"({"dtype":"F64","shape":[1],"data_offsets":[0,8]})"),
                        std::string("\0\0\0\0\0\0\xf0\x7e", 8)),
       Status::Code::kUnsupported, "does not fit float32"},
  };
}

TEST(SafetensorsTest, MalformedFilesGiveClearErrors) {
  for (const BadSafetensors& c : BadSafetensorsCases()) {
    StatusOr<WeightMap> w = ParseSafetensors(c.bytes);
    ASSERT_FALSE(w.ok()) << c.what;
    EXPECT_EQ(w.status().code(), c.code) << c.what << ": " << w.status().ToString();
    if (c.message_part) {
      EXPECT_THAT(w.status().message(), HasSubstr(c.message_part)) << c.what;
    }
  }
}

TEST(SafetensorsTest, EveryTruncationOfASmallFileIsRejected) {
  WeightMap weights;
  weights["a"] = {{2, 3}, {1, 2, 3, 4, 5, 6}};
  weights["b"] = {{3}, {0.5f, -1, 2}};
  StatusOr<std::string> bytes = SerializeSafetensors(weights);
  ASSERT_TRUE(bytes.ok());
  for (size_t n = 0; n < bytes->size(); ++n) {
    StatusOr<WeightMap> w = ParseSafetensors(std::string_view(*bytes).substr(0, n));
    EXPECT_FALSE(w.ok()) << n;
    EXPECT_FALSE(w.status().message().empty());
  }
  EXPECT_TRUE(ParseSafetensors(*bytes).ok());
}

// ---- writing ----

TEST(SafetensorsTest, WriteThenReadRoundTripsExactly) {
  WeightMap weights;
  weights["model.shared.weight"] = {{3, 2}, {1.5f, -0.0f, NAN, INFINITY, 1e-42f, -3.25f}};
  weights["bias"] = {{2}, {0.125f, 8}};
  weights["scalar"] = {{}, {42}};
  weights["empty"] = {{0, 3}, {}};
  TempDir dir;
  const std::string path = dir.File("model.safetensors");
  ASSERT_TRUE(WriteSafetensorsFile(path, weights).ok());
  StatusOr<WeightMap> back = ReadSafetensorsFile(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), weights.size());
  for (const auto& [name, tensor] : weights) {
    EXPECT_EQ(back->at(name).shape, tensor.shape) << name;
    EXPECT_TRUE(SameBits(back->at(name).values, tensor.values)) << name;
  }
  // The header is padded so the data starts 8-byte aligned, and carries the format metadata.
  const std::string bytes = ReadBytes(path);
  EXPECT_EQ(LoadU64(bytes.data()) % 8, 0u);
  EXPECT_THAT(bytes.substr(8, LoadU64(bytes.data())), HasSubstr(R"("__metadata__":{"format":"pt"})"));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp" + std::to_string(::getpid())));
}

TEST(SafetensorsTest, WriteRejectsInconsistentTensors) {
  TempDir dir;
  WeightMap bad_shape;
  bad_shape["x"] = {{2, 2}, {1, 2, 3}};
  Status s = WriteSafetensorsFile(dir.File("a.safetensors"), bad_shape);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("tensor 'x'"));
  EXPECT_THAT(s.message(), HasSubstr("a.safetensors"));
  EXPECT_FALSE(std::filesystem::exists(dir.File("a.safetensors")));
  WeightMap reserved;
  reserved["__metadata__"] = {{1}, {1}};
  EXPECT_EQ(SerializeSafetensors(reserved).status().code(), Status::Code::kInvalidArgument);
  WeightMap empty_name;  // legal in the format, so what we read we can write (found by the fuzzer)
  empty_name[""] = {{1}, {2}};
  StatusOr<std::string> empty_name_bytes = SerializeSafetensors(empty_name);
  ASSERT_TRUE(empty_name_bytes.ok());
  StatusOr<WeightMap> empty_name_back = ParseSafetensors(*empty_name_bytes);
  ASSERT_TRUE(empty_name_back.ok());
  EXPECT_EQ(empty_name_back->at("").values, std::vector<float>{2});
  WeightMap bad_name;
  bad_name["\xff"] = {{1}, {1}};
  EXPECT_EQ(SerializeSafetensors(bad_name).status().code(), Status::Code::kInvalidArgument);
  WeightMap fine;
  fine["x"] = {{1}, {1}};
  EXPECT_EQ(WriteSafetensorsFile(dir.File("no/such/dir/x.safetensors"), fine).code(), Status::Code::kIoError);
}

// ---- files ----

TEST(WeightFilesTest, ErrorsNameTheFile) {
  TempDir dir;
  StatusOr<WeightMap> missing = ReadSafetensorsFile(dir.File("nope.safetensors"));
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.safetensors"));
  EXPECT_EQ(ReadTorchCheckpointFile(dir.File("nope.bin")).status().code(), Status::Code::kNotFound);

  const std::string bad = dir.File("bad.safetensors");
  std::ofstream(bad) << "garbage!garbage!";
  StatusOr<WeightMap> w = ReadSafetensorsFile(bad);
  EXPECT_EQ(w.status().code(), Status::Code::kCorruption);
  EXPECT_THAT(w.status().message(), HasSubstr(bad + ": header length"));
  StatusOr<WeightMap> t = ReadTorchCheckpointFile(bad);
  EXPECT_EQ(t.status().code(), Status::Code::kCorruption);
  EXPECT_THAT(t.status().message(), HasSubstr(bad + ": not a zip archive"));

  const std::string empty = dir.File("empty.bin");
  std::ofstream{empty};
  EXPECT_EQ(ReadTorchCheckpointFile(empty).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(ReadSafetensorsFile(empty).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(ReadSafetensorsFile(dir.File("")).status().code(),
            Status::Code::kInvalidArgument);  // a directory
}

TEST(WeightFilesTest, ModelFolderPrefersSafetensorsThenTorch) {
  TempDir dir;
  StatusOr<WeightMap> none = ReadModelWeights(dir.File(""));
  EXPECT_EQ(none.status().code(), Status::Code::kNotFound);
  EXPECT_THAT(none.status().message(), HasSubstr("model.safetensors"));
  EXPECT_THAT(none.status().message(), HasSubstr("pytorch_model.bin"));

  std::filesystem::copy_file(kFixtureDir + "/pytorch_model.bin", dir.File("pytorch_model.bin"));
  StatusOr<WeightMap> torch = ReadModelWeights(dir.File(""));
  ASSERT_TRUE(torch.ok()) << torch.status().ToString();
  EXPECT_TRUE(torch->count("lm_head.weight"));  // only the torch file has the tied alias

  WeightMap one;
  one["only"] = {{1}, {3}};
  ASSERT_TRUE(WriteSafetensorsFile(dir.File("model.safetensors"), one).ok());
  StatusOr<WeightMap> st = ReadModelWeights(dir.File(""));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->size(), 1u);
  EXPECT_TRUE(st->count("only"));
}

}  // namespace
}  // namespace dolmetsch::engine
