// Tests of the torch.save() reader: pickle VM, tensor views, dtypes, and malformed archives.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/io/numeric_formats.h"
#include "engine/io/test_checkpoints.h"
#include "engine/io/weights.h"
#include "engine/io/zip_archive.h"

namespace dolmetsch::engine {
namespace {

using testing::FloatBytes;
using ::testing::HasSubstr;
using testing::StateDictPickle;
using testing::TorchArchive;
using namespace std::string_literals;

std::vector<float> Iota(int n) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

StatusOr<WeightMap> Parse(const std::string& pickle, const std::map<std::string, std::string>& storages,
                          ZipWriter::Options options = {}) {
  return ParseTorchCheckpoint(TorchArchive(pickle, storages, options));
}

// A one-tensor float checkpoint over storage "0" holding 0, 1, 2, ... (numel values).
StatusOr<WeightMap> OneTensor(int64_t numel, int64_t offset, const std::vector<int64_t>& sizes,
                              const std::vector<int64_t>& strides) {
  const std::string pickle =
      StateDictPickle().Tensor("t", "FloatStorage", "0", numel, offset, sizes, strides).Finish();
  return Parse(pickle, {{"0", FloatBytes(Iota(static_cast<int>(numel)))}});
}

TEST(TorchCheckpointTest, ContiguousTensorsAndSharedStorage) {
  const std::string pickle = StateDictPickle()
                                 .Tensor("w", "FloatStorage", "0", 12, 0, {3, 4}, {4, 1})
                                 .Tensor("row", "FloatStorage", "0", 12, 8, {4}, {1})
                                 .Tensor("b", "FloatStorage", "1", 2, 0, {2}, {1})
                                 .Finish();
  StatusOr<WeightMap> w = Parse(pickle, {{"0", FloatBytes(Iota(12))}, {"1", FloatBytes({0.5f, -1})}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->at("w").shape, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(w->at("w").values, Iota(12));
  EXPECT_EQ(w->at("row").values, (std::vector<float>{8, 9, 10, 11}));
  EXPECT_EQ(w->at("b").values, (std::vector<float>{0.5f, -1}));
}

TEST(TorchCheckpointTest, NonContiguousViewsAreMaterialized) {
  // Transpose of a 3x4 matrix: shape [4, 3], strides [1, 4].
  StatusOr<WeightMap> t = OneTensor(12, 0, {4, 3}, {1, 4});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->at("t").values, (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  // A column slice with an offset: rows 0..2 of column 1 of a 3x4 matrix.
  StatusOr<WeightMap> col = OneTensor(12, 1, {3}, {4});
  ASSERT_TRUE(col.ok());
  EXPECT_EQ(col->at("t").values, (std::vector<float>{1, 5, 9}));
  // A 3-d permutation with an offset.
  StatusOr<WeightMap> p = OneTensor(30, 3, {2, 3, 4}, {1, 8, 2});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<float> expected;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) expected.push_back(static_cast<float>(3 + i + 8 * j + 2 * k));
  EXPECT_EQ(p->at("t").values, expected);
  // Size-1 dims with odd strides are still contiguous; a scalar and an empty tensor work too.
  StatusOr<WeightMap> ones = OneTensor(4, 0, {1, 4, 1}, {99, 1, 7});
  ASSERT_TRUE(ones.ok());
  EXPECT_EQ(ones->at("t").values, Iota(4));
  StatusOr<WeightMap> scalar = OneTensor(4, 2, {}, {});
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->at("t").values, std::vector<float>{2});
  StatusOr<WeightMap> empty = OneTensor(4, 0, {0, 3}, {3, 1});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->at("t").values.empty());
  EXPECT_EQ(empty->at("t").shape, (std::vector<int64_t>{0, 3}));
}

TEST(TorchCheckpointTest, HalfBFloat16AndDoubleStoragesAreWidened) {
  const std::vector<uint16_t> half = {0x3c00, 0xc000, 0x0001, 0x7bff};
  const std::vector<uint16_t> bf16 = {0x3f80, 0xc040};
  const std::vector<double> dbl = {0.25, -8.0};
  const std::string pickle = StateDictPickle()
                                 .Tensor("h", "HalfStorage", "0", 4, 0, {2, 2}, {1, 2})
                                 .Tensor("b", "BFloat16Storage", "1", 2, 0, {2}, {1})
                                 .Tensor("d", "DoubleStorage", "2", 2, 1, {1}, {1})
                                 .Finish();
  StatusOr<WeightMap> w = Parse(pickle, {{"0", std::string(reinterpret_cast<const char*>(half.data()), 8)},
                                         {"1", std::string(reinterpret_cast<const char*>(bf16.data()), 4)},
                                         {"2", std::string(reinterpret_cast<const char*>(dbl.data()), 16)}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->at("h").values, (std::vector<float>{1.0f, std::ldexp(1.0f, -24), -2.0f, 65504.0f}));
  EXPECT_EQ(w->at("b").values, (std::vector<float>{1.0f, -3.0f}));
  EXPECT_EQ(w->at("d").values, std::vector<float>{-8.0f});
}

TEST(TorchCheckpointTest, DeflatedZip64AndPrefixlessArchivesWork) {
  const std::string pickle =
      StateDictPickle().Tensor("t", "FloatStorage", "k", 6, 0, {2, 3}, {3, 1}).Finish();
  const std::map<std::string, std::string> storages = {{"k", FloatBytes(Iota(6))}};
  for (ZipWriter::Options options :
       {ZipWriter::Options{true, false}, ZipWriter::Options{false, true}, ZipWriter::Options{true, true}}) {
    StatusOr<WeightMap> w = Parse(pickle, storages, options);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_EQ(w->at("t").values, Iota(6));
  }
  StatusOr<WeightMap> bare = ParseTorchCheckpoint(TorchArchive(pickle, storages, {}, ""));
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_EQ(bare->at("t").values, Iota(6));
}

TEST(TorchCheckpointTest, OrderedDictParametersAndMetadataAreUnderstood) {
  // What torch.save(model.state_dict()) writes: an OrderedDict REDUCE, BUILD with a _metadata
  // attribute, and nn.Parameter wrappers via _rebuild_parameter.
  auto u = [](const std::string& s) {
    return "X"s + std::string(1, static_cast<char>(s.size())) + "\0\0\0"s + s;
  };
  std::string pickle = "\x80\x02"s + "ccollections\nOrderedDict\nq\0)R"s;  // memo 0 = OrderedDict
  pickle += "}"s + u("_metadata") + "}sb"s;                                // BUILD({'_metadata': {}})
  pickle += "("s + u("x") + "ctorch._utils\n_rebuild_parameter\n("s;       // _rebuild_parameter(
  pickle += "ctorch._utils\n_rebuild_tensor_v2\n(("s + u("storage") + "ctorch\nFloatStorage\n"s + u("0") +
            u("cpu") + "K\x02tQK\0(K\x02t(K\x01t\x89h\0)RtR"s;  //   tensor,
  pickle += "\x88h\0)RtR"s;                                     //   True, OrderedDict())
  pickle += "u."s;
  StatusOr<WeightMap> w = Parse(pickle, {{"0", FloatBytes({3, 4})}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->at("x").values, (std::vector<float>{3, 4}));
  EXPECT_EQ(w->at("x").shape, std::vector<int64_t>{2});
}

TEST(TorchCheckpointTest, LaterDuplicateKeysWin) {
  const std::string pickle = StateDictPickle()
                                 .Tensor("t", "FloatStorage", "0", 4, 0, {2}, {1})
                                 .Tensor("t", "FloatStorage", "0", 4, 2, {2}, {1})
                                 .Finish();
  StatusOr<WeightMap> w = Parse(pickle, {{"0", FloatBytes(Iota(4))}});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->at("t").values, (std::vector<float>{2, 3}));
}

// ---- tensors that do not fit their storage ----

TEST(TorchCheckpointTest, BadViewsAreRejectedNamingTheTensor) {
  struct Case {
    const char* what;
    int64_t numel, offset;
    std::vector<int64_t> sizes, strides;
    Status::Code code;
    const char* message_part;
  };
  const std::vector<Case> cases = {
      {"past the end", 12, 1, {3, 4}, {4, 1}, Status::Code::kCorruption, "reads element 12"},
      {"stride past the end", 12, 0, {3, 4}, {5, 1}, Status::Code::kCorruption, "which has only 12"},
      {"negative offset", 12, -1, {2}, {1}, Status::Code::kCorruption, "negative storage offset"},
      {"negative size", 12, 0, {-2}, {1}, Status::Code::kCorruption, "negative size"},
      {"negative stride", 12, 4, {2}, {-1}, Status::Code::kCorruption, "negative size or stride"},
      {"rank mismatch", 12, 0, {3, 4}, {1}, Status::Code::kCorruption, "2 sizes but 1 strides"},
      {"size overflow", 12, 0, {INT64_MAX, 4}, {1, 1}, Status::Code::kCorruption, "too large"},
      {"stride overflow", 12, 0, {3}, {INT64_MAX}, Status::Code::kCorruption, "overflow"},
      {"broadcast view", 4, 0, {1000, 4}, {0, 1}, Status::Code::kUnsupported, "broadcast view"},
  };
  for (const Case& c : cases) {
    const std::string pickle =
        StateDictPickle()
            .Tensor("enc.w", "FloatStorage", "0", c.numel, c.offset, c.sizes, c.strides)
            .Finish();
    StatusOr<WeightMap> w = Parse(pickle, {{"0", FloatBytes(Iota(static_cast<int>(c.numel)))}});
    ASSERT_FALSE(w.ok()) << c.what;
    EXPECT_EQ(w.status().code(), c.code) << c.what << ": " << w.status().ToString();
    EXPECT_THAT(w.status().message(), HasSubstr("tensor 'enc.w'")) << c.what;
    EXPECT_THAT(w.status().message(), HasSubstr(c.message_part)) << c.what << ": " << w.status().ToString();
  }
}

TEST(TorchCheckpointTest, MissingOrWrongSizedStoragesAreCorruption) {
  const std::string pickle = StateDictPickle().Tensor("w", "FloatStorage", "7", 4, 0, {4}, {1}).Finish();
  StatusOr<WeightMap> missing = Parse(pickle, {{"0", FloatBytes(Iota(4))}});
  EXPECT_EQ(missing.status().code(), Status::Code::kCorruption);
  EXPECT_THAT(missing.status().message(), HasSubstr("tensor 'w'"));
  EXPECT_THAT(missing.status().message(), HasSubstr("storage '7' (archive/data/7) is missing"));
  StatusOr<WeightMap> short_storage = Parse(pickle, {{"7", FloatBytes(Iota(3))}});
  EXPECT_EQ(short_storage.status().code(), Status::Code::kCorruption);
  EXPECT_THAT(short_storage.status().message(), HasSubstr("has 12 bytes but should hold 4 elements"));
  StatusOr<WeightMap> odd_bytes = Parse(pickle, {{"7", FloatBytes(Iota(4)) + "x"}});
  EXPECT_EQ(odd_bytes.status().code(), Status::Code::kCorruption);
}

TEST(TorchCheckpointTest, UnsupportedDtypesNameTheTensor) {
  const std::string pickle = StateDictPickle().Tensor("ids", "LongStorage", "0", 2, 0, {2}, {1}).Finish();
  StatusOr<WeightMap> w = Parse(pickle, {{"0", std::string(16, '\0')}});
  EXPECT_EQ(w.status().code(), Status::Code::kUnsupported);
  EXPECT_THAT(w.status().message(), HasSubstr("tensor 'ids' is stored as torch.LongStorage"));
}

// ---- malformed pickles ----

TEST(TorchCheckpointTest, MalformedPicklesGiveClearErrors) {
  struct Case {
    const char* what;
    std::string pickle;
    Status::Code code;
    const char* message_part;
  };
  const std::string tensor = StateDictPickle().Tensor("t", "FloatStorage", "0", 2, 0, {2}, {1}).Finish();
  const std::vector<Case> cases = {
      {"empty", "", Status::Code::kCorruption, "ends without STOP"},
      {"no STOP", "\x80\x02}"s, Status::Code::kCorruption, "ends without STOP"},
      {"old protocol", "\x80\x01}."s, Status::Code::kUnsupported, "protocol 1"},
      {"unknown opcode", "\x80\x02\xff"s, Status::Code::kUnsupported, "opcode 0xff"},
      {"text opcode", "\x80\x02I1\n."s, Status::Code::kUnsupported, "opcode 0x49 ('I')"},
      {"STOP on empty stack", "\x80\x02."s, Status::Code::kCorruption, "empty stack"},
      {"dangerous global", "\x80\x02\x63os\nsystem\n."s, Status::Code::kUnsupported, "os.system"},
      {"unknown torch global", "\x80\x02\x63torch\nload\n."s, Status::Code::kUnsupported, "torch.load"},
      {"truncated global", "\x80\x02\x63os\nsys"s, Status::Code::kCorruption, "truncated GLOBAL"},
      {"GET of unknown memo", "\x80\x02h\x05."s, Status::Code::kCorruption, "memo 5"},
      {"LONG_BINGET of unknown memo", "\x80\x02j\xff\xff\xff\xff."s, Status::Code::kCorruption, "never PUT"},
      {"PUT on empty stack", "\x80\x02q\x00."s, Status::Code::kCorruption, "empty stack"},
      {"string past the end", "\x80\x02X\xff\xff\xff\x7f"s, Status::Code::kCorruption, "runs past the end"},
      {"TUPLE without MARK", "\x80\x02K\x01t."s, Status::Code::kCorruption, "MARK"},
      {"TUPLE2 on short stack", "\x80\x02K\x01\x86."s, Status::Code::kCorruption, "short stack"},
      {"SETITEMS odd", "\x80\x02}(K\x01u."s, Status::Code::kCorruption, "odd"},
      {"SETITEMS without dict", "\x80\x02](K\x01K\x02u."s, Status::Code::kCorruption, "without a dict"},
      {"REDUCE on non-callable", "\x80\x02K\x01)R."s, Status::Code::kCorruption, "REDUCE calls a int"},
      {"REDUCE with non-tuple", "\x80\x02\x63\x63ollections\nOrderedDict\nK\x01R."s,
       Status::Code::kCorruption, "not a tuple"},
      {"storage built directly", "\x80\x02\x63torch\nFloatStorage\n)R."s, Status::Code::kUnsupported,
       "persistent id"},
      {"persistent id not storage",
       "\x80\x02X\x03\x00\x00\x00"
       "abc\x85Q."s,
       Status::Code::kUnsupported, "persistent id of type 'abc'"},
      {"persistent id short", "\x80\x02X\x07\x00\x00\x00storage\x85Q."s, Status::Code::kCorruption,
       "5 fields"},
      {"huge LONG1", "\x80\x02\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09."s, Status::Code::kUnsupported,
       "9 bytes"},
      {"root is a list", "\x80\x02]."s, Status::Code::kUnsupported, "holds a list"},
      {"non-string key", "\x80\x02}K\x01K\x02s."s, Status::Code::kUnsupported, "key of type int"},
      {"non-tensor value",
       "\x80\x02}X\x01\x00\x00\x00"
       "aK\x02s."s,
       Status::Code::kUnsupported, "entry 'a' is a int, not a tensor"},
      {"nested checkpoint", "\x80\x02}X\x05\x00\x00\x00model}s."s, Status::Code::kUnsupported,
       "training checkpoint"},
      {"rebuild with wrong arity", "\x80\x02\x63torch._utils\n_rebuild_tensor_v2\n(K\x01tR."s,
       Status::Code::kCorruption, "called with 1 arguments"},
      {"FRAME longer than pickle", "\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00."s,
       Status::Code::kCorruption, "FRAME"},
      {"BUILD on an int", "\x80\x02K\x01K\x02\x62."s, Status::Code::kUnsupported, "BUILD on a int"},
  };
  for (const Case& c : cases) {
    StatusOr<WeightMap> w = Parse(c.pickle, {{"0", FloatBytes({1, 2})}});
    ASSERT_FALSE(w.ok()) << c.what;
    EXPECT_EQ(w.status().code(), c.code) << c.what << ": " << w.status().ToString();
    EXPECT_THAT(w.status().message(), HasSubstr(c.message_part)) << c.what << ": " << w.status().ToString();
  }
  // Every truncation of a valid pickle is an error, never a crash.
  for (size_t n = 0; n < tensor.size(); ++n) {
    EXPECT_FALSE(Parse(tensor.substr(0, n), {{"0", FloatBytes({1, 2})}}).ok()) << n;
  }
  EXPECT_TRUE(Parse(tensor, {{"0", FloatBytes({1, 2})}}).ok());
}

TEST(TorchCheckpointTest, SelfReferencingPicklesDoNotLeakOrLoop) {
  // d = {}; d['a'] = d  (memo makes a cycle); then d is returned: the value is not a tensor.
  StatusOr<WeightMap> w = Parse(
      "\x80\x02}q\x00X\x01\x00\x00\x00"
      "ah\x00s."s,
      {});
  EXPECT_EQ(w.status().code(), Status::Code::kUnsupported);
}

// ---- malformed archives ----

TEST(TorchCheckpointTest, MalformedArchivesGiveClearErrors) {
  const std::string pickle = StateDictPickle().Tensor("t", "FloatStorage", "0", 2, 0, {2}, {1}).Finish();
  const std::string good = TorchArchive(pickle, {{"0", FloatBytes({1, 2})}});
  ASSERT_TRUE(ParseTorchCheckpoint(good).ok());

  EXPECT_THAT(ParseTorchCheckpoint("").status().message(), HasSubstr("not a zip archive"));
  EXPECT_THAT(ParseTorchCheckpoint(std::string(5000, 'z')).status().message(),
              HasSubstr("not a zip archive"));
  StatusOr<WeightMap> legacy = ParseTorchCheckpoint("\x80\x02\x8a\x0a"s + std::string(40, '\0'));
  EXPECT_EQ(legacy.status().code(), Status::Code::kUnsupported);
  EXPECT_THAT(legacy.status().message(), HasSubstr("legacy torch.save format"));

  for (size_t n = 0; n < good.size(); ++n) {
    StatusOr<WeightMap> w = ParseTorchCheckpoint(std::string_view(good).substr(0, n));
    EXPECT_FALSE(w.ok()) << n;
    EXPECT_FALSE(w.status().message().empty());
  }
  // A flipped bit in stored data breaks its CRC.
  std::string flipped = good;
  flipped[good.find("FloatStorage")] ^= 0x20;
  EXPECT_THAT(ParseTorchCheckpoint(flipped).status().message(), HasSubstr("CRC-32"));

  ZipWriter no_pickle;
  no_pickle.Add("archive/data/0", FloatBytes({1, 2}));
  EXPECT_THAT(ParseTorchCheckpoint(no_pickle.Finish()).status().message(), HasSubstr("no data.pkl"));
  ZipWriter two_pickles;
  two_pickles.Add("a/data.pkl", pickle);
  two_pickles.Add("b/data.pkl", pickle);
  EXPECT_THAT(ParseTorchCheckpoint(two_pickles.Finish()).status().message(),
              HasSubstr("more than one data.pkl"));
  ZipWriter big_endian;
  big_endian.Add("archive/data.pkl", pickle);
  big_endian.Add("archive/byteorder", "big");
  big_endian.Add("archive/data/0", FloatBytes({1, 2}));
  EXPECT_EQ(ParseTorchCheckpoint(big_endian.Finish()).status().code(), Status::Code::kUnsupported);
}

}  // namespace
}  // namespace dolmetsch::engine
