#include "translator/metrics.h"

#include <gtest/gtest.h>

namespace dolmetsch::translator {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(MetricsTest, RequestsAndCumulativeLatencyBuckets) {
  Metrics m;
  m.ObserveRequest("/translate", 200, 0.003);
  m.ObserveRequest("/translate", 200, 0.2);
  m.ObserveRequest("/translate", 503, 1000);
  std::string text = m.RenderPrometheus();
  EXPECT_TRUE(Has(text, "dolmetsch_http_requests_total{endpoint=\"/translate\",status=\"200\"} 2"));
  EXPECT_TRUE(Has(text, "dolmetsch_http_requests_total{endpoint=\"/translate\",status=\"503\"} 1"));
  EXPECT_TRUE(
      Has(text, "dolmetsch_http_request_duration_seconds_bucket{endpoint=\"/translate\",le=\"0.005\"} 1"));
  EXPECT_TRUE(
      Has(text, "dolmetsch_http_request_duration_seconds_bucket{endpoint=\"/translate\",le=\"0.25\"} 2"));
  EXPECT_TRUE(
      Has(text, "dolmetsch_http_request_duration_seconds_bucket{endpoint=\"/translate\",le=\"300\"} 2"));
  EXPECT_TRUE(
      Has(text, "dolmetsch_http_request_duration_seconds_bucket{endpoint=\"/translate\",le=\"+Inf\"} 3"));
  EXPECT_TRUE(Has(text, "dolmetsch_http_request_duration_seconds_count{endpoint=\"/translate\"} 3"));
  EXPECT_TRUE(Has(text, "# TYPE dolmetsch_http_request_duration_seconds histogram"));
}

TEST(MetricsTest, BatchesQueueModelAndReadiness) {
  Metrics m;
  m.ObserveBatch(4, 40, 30, 0.5);
  m.ObserveBatch(2, 10, 10, 0.5);
  m.SetQueueDepth(7, 3);
  m.SetModelLoadSeconds(1.5);
  m.SetReady(true);
  std::string text = m.RenderPrometheus();
  EXPECT_TRUE(Has(text, "dolmetsch_sentences_translated_total 6"));
  EXPECT_TRUE(Has(text, "dolmetsch_source_tokens_total 50"));
  EXPECT_TRUE(Has(text, "dolmetsch_target_tokens_total 40"));
  EXPECT_TRUE(Has(text, "dolmetsch_batches_total 2"));
  EXPECT_TRUE(Has(text, "dolmetsch_decode_seconds_total 1"));
  EXPECT_TRUE(Has(text, "dolmetsch_target_tokens_per_second 52"));  // 0.8 * 60 + 0.2 * 20
  EXPECT_TRUE(Has(text, "dolmetsch_queue_sentences 7"));
  EXPECT_TRUE(Has(text, "dolmetsch_active_requests 3"));
  EXPECT_TRUE(Has(text, "dolmetsch_model_load_seconds 1.5"));
  EXPECT_TRUE(Has(text, "dolmetsch_ready 1"));
  EXPECT_EQ(m.sentences_translated(), 6);
}

TEST(MetricsTest, UnitsCacheAndModelInfo) {
  Metrics m;
  EXPECT_FALSE(Has(m.RenderPrometheus(), "dolmetsch_model_info{"));  // no model attached yet
  m.ObserveUnits(10, 3, 2);
  m.ObserveUnits(5, 0, 1);
  m.SetCacheEntries(42);
  m.SetModelInfo("opus-mt-\"de\"-en", "int8");
  std::string text = m.RenderPrometheus();
  EXPECT_TRUE(Has(text, "dolmetsch_sentence_units_total 15"));
  EXPECT_TRUE(Has(text, "dolmetsch_sentence_duplicates_total 3"));
  EXPECT_TRUE(Has(text, "dolmetsch_cache_hits_total 3"));
  EXPECT_TRUE(Has(text, "dolmetsch_cache_entries 42"));
  EXPECT_TRUE(Has(text, "dolmetsch_model_info{model=\"opus-mt-\\\"de\\\"-en\",compute_type=\"int8\"} 1"))
      << text;
}

}  // namespace
}  // namespace dolmetsch::translator
