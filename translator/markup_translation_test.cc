#include "translator/markup_translation.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "translator/fake_backend_test_util.h"

namespace dolmetsch::translator {
namespace {

class MarkupTranslationTest : public ::testing::Test {
 protected:
  StatusOr<std::unique_ptr<MarkupTranslation>> Start(std::vector<std::string> texts, markup::Format format,
                                                     MarkupOptions options = {}) {
    std::vector<size_t> route_of_text(texts.size(), 0);
    return MarkupTranslation::Start(scheduler_, {{&backend_, "fake", "de-en"}}, route_of_text,
                                    std::move(texts), format, options);
  }
  // Waits (bounded) for the jobs to end, as the service's pump does without a thread.
  void WaitEnded(MarkupTranslation& m) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!m.ended() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE(m.ended());
  }
  std::vector<std::string> Sentences() {
    std::vector<std::string> all;
    for (const auto& batch : backend_.batches()) all.insert(all.end(), batch.begin(), batch.end());
    return all;
  }

  FakeBackend backend_;
  Scheduler scheduler_{&backend_, Scheduler::Options{}};
};

TEST_F(MarkupTranslationTest, DistinctSentencesAreDecodedOnceWithAlignment) {
  // (The fake aligns space-separated words, punctuation included: spans sit on words before the last.)
  auto m = Start({"<p>Hallo <b>Welt</b> da. Hallo <b>Welt</b> da.</p>", "<h1>Hallo <b>Welt</b> da.</h1>"},
                 markup::Format::kHtml);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  WaitEnded(**m);
  EXPECT_EQ(*(*m)->Assemble(0), "<p>0:HALLO <b>WELT</b> DA. 0:HALLO <b>WELT</b> DA.</p>");
  EXPECT_EQ(*(*m)->Assemble(1), "<h1>0:HALLO <b>WELT</b> DA.</h1>");
  EXPECT_EQ(Sentences(), std::vector<std::string>{"Hallo Welt da."});
  EXPECT_EQ((*m)->stats().sentences, 1u);
  EXPECT_EQ((*m)->stats().long_sentences, 0u);
  ASSERT_FALSE(backend_.batch_options().empty());
  EXPECT_TRUE(backend_.batch_options()[0].alignment);
  EXPECT_EQ((*m)->source_tokens(), 4);  // 3 words + </s> in the fake's count
}

// A sentence over the token cap goes through the document pipeline (split, no alignment): all its words
// come back, its span is placed proportionally, and the short sentences keep their alignment.
TEST_F(MarkupTranslationTest, LongSentencesGoThroughTheDocumentPipeline) {
  MarkupOptions options;
  options.document.max_segment_tokens = 5;
  auto m =
      Start({"Kurz *ja* hier.\n\nEins zwei drei vier, fuenf sechs *sieben* acht, neun zehn elf zwoelf.\n"},
            markup::Format::kMarkdown, options);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  WaitEnded(**m);
  auto out = (*m)->Assemble(0);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->substr(0, out->find('\n')), "0:KURZ *JA* HIER.");
  for (const char* word : {"EINS", "VIER,", "FUENF", "SIEBEN", "ACHT,", "ZWOELF."}) {
    EXPECT_NE(out->find(word), std::string::npos) << word << " in " << *out;
  }
  EXPECT_EQ(std::count(out->begin(), out->end(), '*'), 4) << *out;
  EXPECT_EQ((*m)->stats().long_sentences, 1u);
  bool aligned = false, plain = false;
  for (const SentenceOptions& o : backend_.batch_options()) (o.alignment ? aligned : plain) = true;
  EXPECT_TRUE(aligned);
  EXPECT_TRUE(plain);
}

TEST_F(MarkupTranslationTest, MalformedTextsAreNamedAndNothingIsSubmitted) {
  std::string deep;
  for (int i = 0; i < 2000; ++i) deep += "<div>";
  MarkupOptions options;
  options.texts_is_array = true;
  auto m = Start({"<p>gut</p>", deep}, markup::Format::kHtml, options);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(m.status().message().rfind("q[1]: html: ", 0), 0u) << m.status().message();
  EXPECT_TRUE(backend_.batches().empty());
  EXPECT_EQ(scheduler_.active_jobs(), 0);
}

TEST_F(MarkupTranslationTest, ABackendFailureIsTheAnswer) {
  backend_.FailWith(Status::Internal("the decoder broke"));
  auto m = Start({"<p>Hallo.</p>"}, markup::Format::kHtml);
  ASSERT_TRUE(m.ok());
  WaitEnded(**m);
  auto out = (*m)->Assemble(0);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("the decoder broke"), std::string::npos) << out.status().ToString();
}

TEST_F(MarkupTranslationTest, CancelEndsTheJob) {
  backend_.Close();
  auto m = Start({"<p>Eins.</p><p>Zwei.</p>"}, markup::Format::kHtml);
  ASSERT_TRUE(m.ok());
  backend_.WaitEntered(1);
  (*m)->Cancel();
  backend_.Open();
  WaitEnded(**m);
  EXPECT_FALSE((*m)->Assemble(0).ok());
}

// Per-block progress: blocks come out in document order as soon as their sentences are all translated
// (one sentence per batch here, let through one at a time), as plain text, the same blocks ExtractBlocks
// names.
class MarkupBlocksTest : public MarkupTranslationTest {
 protected:
  void WaitProgress(MarkupTranslation& m, size_t n) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (m.progress() < n && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_GE(m.progress(), n);
  }
  Scheduler one_at_a_time_{&backend_, [] {
                             Scheduler::Options o;
                             o.max_batch_sentences = 1;
                             return o;
                           }()};
};

TEST_F(MarkupBlocksTest, BlocksAreReportedInOrderOnceTheirSentencesAreDone) {
  const std::string html =
      "<h1>Titel hier.</h1><p>Eins <b>zwei</b>. Drei vier.</p><p>42</p><p>Titel hier.</p>";
  MarkupOptions options;
  options.track_blocks = true;
  backend_.Close();
  auto started = MarkupTranslation::Start(one_at_a_time_, {{&backend_, "fake", "de-en"}}, {0}, {html},
                                          markup::Format::kHtml, options);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  MarkupTranslation& m = **started;
  ASSERT_EQ(m.blocks(0), 3u);
  EXPECT_EQ(m.blocks(0), markup::ExtractBlocks(html, markup::Format::kHtml)->size());
  std::vector<BlockOutput> seen;
  size_t next = 0;
  auto report = [&] {
    Status s = m.ReportBlocks(0, &next, [&](const BlockOutput& b) { seen.push_back(b); });
    ASSERT_TRUE(s.ok()) << s.ToString();
  };
  report();
  EXPECT_TRUE(seen.empty());

  backend_.LetOneThrough();  // "Titel hier."
  WaitProgress(m, 1);
  report();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].index, 0u);
  EXPECT_EQ(seen[0].total, 3u);
  EXPECT_EQ(seen[0].text, "0:TITEL HIER.");

  backend_.LetOneThrough();  // "Eins zwei.": the paragraph still waits for its second sentence
  WaitProgress(m, 2);
  report();
  EXPECT_EQ(seen.size(), 1u);

  backend_.LetOneThrough();  // "Drei vier.": the paragraph, and the repeated title with it
  WaitEnded(m);
  report();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].index, 1u);
  EXPECT_EQ(seen[1].text, "0:EINS ZWEI. 0:DREI VIER.");
  EXPECT_EQ(seen[2].index, 2u);
  EXPECT_EQ(seen[2].text, "0:TITEL HIER.");
  EXPECT_EQ(next, 3u);
  report();  // nothing more
  EXPECT_EQ(seen.size(), 3u);
  backend_.Open();
  EXPECT_EQ(*m.Assemble(0),
            "<h1>0:TITEL HIER.</h1><p>0:EINS <b>ZWEI.</b> 0:DREI VIER.</p><p>42</p><p>0:TITEL HIER.</p>");
}

TEST_F(MarkupBlocksTest, ACancelledJobEndsTheReport) {
  MarkupOptions options;
  options.track_blocks = true;
  backend_.Close();
  auto started = MarkupTranslation::Start(one_at_a_time_, {{&backend_, "fake", "de-en"}}, {0},
                                          {"<p>Eins.</p><p>Zwei.</p>"}, markup::Format::kHtml, options);
  ASSERT_TRUE(started.ok());
  MarkupTranslation& m = **started;
  backend_.WaitEntered(1);
  m.Cancel();
  backend_.Open();
  WaitEnded(m);
  size_t next = 0;
  Status s = m.ReportBlocks(0, &next, [](const BlockOutput&) {});
  EXPECT_EQ(s.code(), Status::Code::kCancelled) << s.ToString();
  EXPECT_EQ(next, 0u);
}

}  // namespace
}  // namespace dolmetsch::translator
