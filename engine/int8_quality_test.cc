// Quality guard for ComputeType::kInt8 (the real model cannot be downloaded here, so the fixture model with
// its random weights stands in): how often int8 search results equal float32 ones, and how far int8 moves
// each step's log-probabilities. The tolerances are documented in docs/engine.md ("int8 quality").
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/golden_testing.h"
#include "engine/marian_model.h"
#include "engine/model_config.h"
#include "engine/ops.h"
#include "engine/translator.h"

namespace dolmetsch::engine {
namespace {

struct StepDifference {
  double max_abs = 0.0, sum_abs = 0.0;
  long values = 0;
};

// Teacher-forces `target` (float32's greedy output) through both models and compares each step's
// log-softmax over the vocabulary.
void CompareSteps(const MarianModel& f32, const MarianModel& i8, const std::vector<int>& source,
                  const std::vector<int>& target, StepDifference* diff) {
  const int V = f32.config().decoder_vocab_size;
  EncoderOutput ef, ei;
  f32.Encode({source}, &ef);
  i8.Encode({source}, &ei);
  DecoderState sf, si;
  f32.StartDecoding(ef, {0}, &sf);
  i8.StartDecoding(ei, {0}, &si);
  std::vector<float> lf(V), li(V);
  std::vector<int> token = {f32.config().decoder_start_token_id};
  for (size_t step = 0; step < target.size(); ++step) {
    f32.DecodeStep(token, &sf, lf.data());
    i8.DecodeStep(token, &si, li.data());
    ops::LogSoftmax(lf.data(), V);
    ops::LogSoftmax(li.data(), V);
    for (int v = 0; v < V; ++v) {
      const double d = std::fabs(static_cast<double>(lf[v]) - li[v]);
      diff->max_abs = std::max(diff->max_abs, d);
      diff->sum_abs += d;
      ++diff->values;
    }
    token = {target[step]};
  }
}

TEST(Int8QualityTest, OutputsAndStepLogProbabilitiesStayCloseToFloat32) {
  const std::string dir = testing::FixtureModelDir();
  auto f32 = Translator::Load(dir, {ComputeType::kFloat32});
  auto i8 = Translator::Load(dir, {ComputeType::kInt8});
  ASSERT_TRUE(f32.ok() && i8.ok());
  ASSERT_EQ((*i8)->compute_type(), ComputeType::kInt8);
  auto config = ModelConfig::Load(dir);
  ASSERT_TRUE(config.ok());
  auto mf = MarianModel::Load(dir, *config, ComputeType::kFloat32);
  auto mi = MarianModel::Load(dir, *config, ComputeType::kInt8);
  ASSERT_TRUE(mf.ok() && mi.ok());

  std::vector<std::string> texts;
  for (const auto& c : testing::Golden()["cases"]) texts.push_back(c["text"].get<std::string>());
  int greedy_same = 0, beam_same = 0;
  StepDifference diff;
  for (const std::string& text : texts) {
    TranslateOptions greedy, beam;
    greedy.beam_size = 1;
    beam.beam_size = 4;
    auto gf = (*f32)->Translate({text}, greedy), gi = (*i8)->Translate({text}, greedy);
    auto bf = (*f32)->Translate({text}, beam), bi = (*i8)->Translate({text}, beam);
    ASSERT_TRUE(gf.ok() && gi.ok() && bf.ok() && bi.ok());
    greedy_same += (*gf)[0].hypotheses[0].target_ids == (*gi)[0].hypotheses[0].target_ids;
    beam_same += (*bf)[0].hypotheses[0].target_ids == (*bi)[0].hypotheses[0].target_ids;
    CompareSteps(**mf, **mi, (*gf)[0].source_ids, (*gf)[0].hypotheses[0].target_ids, &diff);
  }
  const int n = static_cast<int>(texts.size());
  const double mean = diff.sum_abs / std::max(1L, diff.values);
  std::printf("int8 vs float32 on %d fixture texts: greedy identical %d/%d, beam-4 identical %d/%d; per-step "
              "|log p difference| max %.4f, mean %.5f over %ld values\n",
              n, greedy_same, n, beam_same, n, diff.max_abs, mean, diff.values);
  // Documented tolerances (docs/engine.md, "int8 quality"), about 1.7x what this fixture measured when they
  // were set (max 0.176, mean 0.0185, greedy 36/45, beam 31/45). The fixture's d_model of 32 makes every dot
  // product short and its random weights make near-ties common, so a trained model fares better; a wrong
  // scale, sign, rounding or padding breaks these bounds by orders of magnitude.
  EXPECT_LE(diff.max_abs, 0.3);
  EXPECT_LE(mean, 0.03);
  EXPECT_GE(greedy_same, n * 2 / 3);
  EXPECT_GE(beam_same, n * 3 / 5);
}

}  // namespace
}  // namespace dolmetsch::engine
