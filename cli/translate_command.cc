// `dolmetsch translate`: stdin -> stdout with the engine.
//
// File mode (--file IN [--out OUT] [--format F]): a whole HTML, Markdown, SubRip or WebVTT file, or an
// office package (.docx .pptx .odt .odp .epub), translated with its markup kept (markup/formats.h), the
// format taken from --format, else the extension, else the content; plain text goes through the document
// pipeline. A PDF is read (markup/pdf.h) and written as Markdown when --out ends in .md or .markdown, else
// as plain text. Exit status 1 for a file that cannot be read or
// parsed (the message names what is wrong), 2 when the model cannot be loaded.
//
// Line mode (default): one output line per input line; empty input lines stay empty.
// --jsonl: each input line is {"text": ...}; each output line {"translation", "source_ids", "target_ids",
// "score"} (plus "hypotheses" with --n-best K; with --alignment "alignment": the source position of each
// target id, and "aligned_bytes": [target begin, end, source begin, end] byte ranges, engine/alignment.h),
// or {"error": ...} for a malformed line, so output lines always pair with input lines. Exit status 1 when
// any line failed, 2 when the model cannot be loaded.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/model_path.h"
#include "engine/translator.h"
#include "markup/formats.h"
#include "markup/pdf.h"
#include "text/document_runner.h"
#include "text/document_translator.h"
#include "util/utf8.h"

namespace dolmetsch::cli {
namespace {

struct TranslateFlags {
  std::string model;
  int beam_size = 0;
  int batch_size = 16;
  int threads = 0;
  std::string compute_type;
  int max_length = 0;
  int n_best = 1;
  bool jsonl = false;
  bool alignment = false;  // --jsonl: add the word alignment of the best hypothesis
  // Document mode (text/document_runner.h).
  bool document = false;
  std::string input_file;
  int max_segment_tokens = 256;
  double max_output_factor = 2.0;
  size_t cache_size = 10000;
  bool progress = false;
  // File mode.
  std::string file;
  std::string out_file;
  std::string format;
  bool no_alignment = false;  // place inline spans proportionally instead of by the engine's alignment
};

// One pending input line: either text to translate or an error to report in its place.
struct Line {
  std::string text;
  std::string error;
};

nlohmann::json HypothesisJson(const engine::Hypothesis& h) {
  return {{"translation", h.text}, {"target_ids", h.target_ids}, {"score", h.score}};
}

class LineTranslator {
 public:
  LineTranslator(const engine::Translator& translator, const TranslateFlags& flags)
      : translator_(translator), flags_(flags) {
    options_.beam_size = flags.beam_size;
    options_.max_length = flags.max_length;
    options_.num_hypotheses = flags.n_best;
    options_.alignment.enabled = flags.alignment;
  }

  void Add(Line line) {
    pending_.push_back(std::move(line));
    if (static_cast<int>(pending_.size()) >= flags_.batch_size) Flush();
  }

  // Translates what is pending and writes one output line per input line, in order.
  void Flush() {
    std::vector<std::string> texts;
    std::vector<size_t> index;
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (!pending_[i].error.empty() || (!flags_.jsonl && pending_[i].text.empty())) continue;
      texts.push_back(pending_[i].text);
      index.push_back(i);
    }
    std::vector<engine::TranslationResult> results(pending_.size());
    if (!texts.empty()) {
      auto translated = translator_.Translate(texts, options_);
      if (!translated.ok()) {
        for (size_t i : index) pending_[i].error = translated.status().message();
      } else {
        for (size_t k = 0; k < index.size(); ++k) results[index[k]] = std::move((*translated)[k]);
      }
    }
    for (size_t i = 0; i < pending_.size(); ++i) Write(pending_[i], results[i]);
    std::cout.flush();
    pending_.clear();
  }

  bool had_errors() const { return had_errors_; }

 private:
  void Write(const Line& line, const engine::TranslationResult& result) {
    const bool translated = line.error.empty() && !result.hypotheses.empty();
    if (!line.error.empty()) {
      had_errors_ = true;
      std::cerr << "dolmetsch translate: line " << ++line_number_ << ": " << line.error << "\n";
    } else {
      ++line_number_;
    }
    if (flags_.jsonl) {
      nlohmann::json out;
      if (!line.error.empty()) {
        out = {{"error", line.error}};
      } else if (translated) {
        const engine::Hypothesis& best = result.hypotheses[0];
        out = HypothesisJson(best);
        out["source_ids"] = result.source_ids;
        if (flags_.alignment) {
          out["alignment"] = best.alignment;
          out["aligned_bytes"] = nlohmann::json::array();
          for (const engine::AlignedBytes& a :
               engine::AlignedByteRanges(best.alignment, best.target_bytes, result.source_bytes)) {
            out["aligned_bytes"].push_back({a.target.begin, a.target.end, a.source.begin, a.source.end});
          }
        }
        if (flags_.n_best > 1) {
          out["hypotheses"] = nlohmann::json::array();
          for (const auto& h : result.hypotheses) out["hypotheses"].push_back(HypothesisJson(h));
        }
      }
      std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else {
      std::string text = translated ? result.hypotheses[0].text : "";
      for (char& c : text)
        if (c == '\n' || c == '\r') c = ' ';  // keep the one-line-per-line promise
      std::cout << text << '\n';
    }
  }

  const engine::Translator& translator_;
  const TranslateFlags& flags_;
  engine::TranslateOptions options_;
  std::vector<Line> pending_;
  bool had_errors_ = false;
  long line_number_ = 0;
};

Line ParseInputLine(std::string raw, bool jsonl) {
  if (!raw.empty() && raw.back() == '\r') raw.pop_back();
  size_t bad = 0;
  if (!IsValidUtf8(raw, &bad)) return {"", "invalid UTF-8 at byte " + std::to_string(bad)};
  if (!jsonl) return {raw, ""};
  nlohmann::json j = nlohmann::json::parse(raw, nullptr, false);
  if (j.is_discarded()) return {"", "not valid JSON (expected {\"text\": \"...\"})"};
  if (!j.is_object() || !j.contains("text")) return {"", "expected a JSON object with a \"text\" field"};
  if (!j["text"].is_string()) return {"", "\"text\" must be a string"};
  return {j["text"].get<std::string>(), ""};
}

// The whole input as one document: sentences, structure kept, no length limit.
int RunDocument(const TranslateFlags& flags) {
  if (flags.jsonl) {
    std::cerr << "dolmetsch translate: --document and --jsonl do not go together\n";
    return 2;
  }
  engine::SetNumThreads(flags.threads);
  StatusOr<engine::LoadOptions> load = LoadOptionsFor(flags.compute_type);
  if (!load.ok()) {
    std::cerr << "dolmetsch translate: " << load.status().message() << "\n";
    return 2;
  }
  auto translator = LoadTranslatorOrExplain(flags.model, "dolmetsch translate", *load);
  if (!translator) return 2;
  text::DocumentRunOptions run;
  run.model_dir = ResolveModelDir(flags.model);
  run.input_path = flags.input_file;
  run.search.beam_size = flags.beam_size;
  run.search.max_length = flags.max_length;
  run.document.max_segment_tokens = flags.max_segment_tokens;
  run.document.max_output_factor = flags.max_output_factor;
  run.cache_entries = flags.cache_size;
  run.progress = flags.progress;
  run.threads = flags.threads;
  auto stats = text::RunDocumentTranslation(*translator, run, std::cin, std::cout, std::cerr);
  if (!stats.ok()) {
    std::cerr << "dolmetsch translate: " << stats.status().ToString() << "\n";
    return stats.status().code() == Status::Code::kNotFound ? 2 : 1;
  }
  return 0;
}

// The engine as markup's translate callback: sentences in batches sorted by length, each batch's output
// bounded like the document pipeline's; a sentence over --max-segment-tokens goes through the document
// pipeline alone, which splits it at clause boundaries (and gets no alignment: its spans are placed
// proportionally). Each other sentence comes with the engine's word alignment (engine/alignment.h) as byte
// ranges of the sentence and its translation, which markup projects the inline spans with.
markup::TranslateFn EngineCallback(text::EngineSentenceTranslator& engine, const TranslateFlags& flags) {
  return [&engine, &flags](const std::vector<std::string>& sentences)
             -> StatusOr<std::vector<markup::SentenceTranslation>> {
    std::vector<markup::SentenceTranslation> out(sentences.size());
    const int cap = std::min(flags.max_segment_tokens, engine.max_source_tokens());
    std::vector<int> tokens(sentences.size());
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < sentences.size(); ++i) {
      tokens[i] = engine.CountTokens(sentences[i]);
      if (tokens[i] > cap) {
        text::DocumentOptions doc;
        doc.max_segment_tokens = flags.max_segment_tokens;
        doc.max_output_factor = flags.max_output_factor;
        std::string translated;
        DOLMETSCH_ASSIGN_OR_RETURN(
            auto stats, text::TranslateDocument(sentences[i], engine, doc, nullptr, {}, &translated));
        (void)stats;
        out[i].text = std::move(translated);
      } else {
        order.push_back(i);
      }
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return tokens[a] < tokens[b]; });
    for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(flags.batch_size)) {
      const std::size_t stop = std::min(order.size(), start + static_cast<std::size_t>(flags.batch_size));
      std::vector<std::string> batch;
      for (std::size_t k = start; k < stop; ++k) batch.push_back(sentences[order[k]]);
      // Each sentence's own output bound (2 x its source tokens + 8), whatever else is in the batch.
      text::BatchOptions options;
      options.output_factor = flags.max_output_factor;
      options.output_slack = 8;
      DOLMETSCH_ASSIGN_OR_RETURN(auto translated,
                                 engine.TranslateBatchResults(batch, options, !flags.no_alignment));
      for (std::size_t k = start; k < stop; ++k) {
        engine::TranslationResult& result = translated[k - start];
        if (result.hypotheses.empty()) continue;
        engine::Hypothesis& best = result.hypotheses[0];
        markup::SentenceTranslation& sentence = out[order[k]];
        for (const engine::AlignedBytes& a :
             engine::AlignedByteRanges(best.alignment, best.target_bytes, result.source_bytes)) {
          sentence.alignment.push_back({a.target.begin, a.target.end, a.source.begin, a.source.end});
        }
        sentence.text = std::move(best.text);
      }
    }
    return out;
  };
}

int RunFile(TranslateFlags flags) {
  const char* who = "dolmetsch translate";
  std::ifstream in(flags.file, std::ios::binary);
  if (!in) {
    std::cerr << who << ": cannot read " << flags.file << "\n";
    return 1;
  }
  markup::DocumentTranslationOptions options;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0);
  if (size < 0 || static_cast<std::size_t>(size) > options.limits.max_input_bytes) {
    std::cerr << who << ": " << flags.file << ": larger than " << options.limits.max_input_bytes
              << " bytes\n";
    return 1;
  }
  std::string content(static_cast<std::size_t>(size), '\0');
  in.read(content.data(), size);
  StatusOr<markup::Format> format = flags.format.empty() ? markup::DetectFormat(flags.file, content)
                                                         : markup::ParseFormatName(flags.format);
  if (!format.ok()) {
    std::cerr << who << ": " << flags.file << ": " << format.status().message() << "\n";
    return 1;
  }
  if (*format == markup::Format::kText) {
    flags.input_file = flags.file;
    flags.document = true;
    if (flags.out_file.empty()) return RunDocument(flags);
    std::ofstream out(flags.out_file, std::ios::binary);
    std::streambuf* old = std::cout.rdbuf(out.rdbuf());
    const int rc = RunDocument(flags);
    std::cout.rdbuf(old);
    return rc;
  }
  if (*format == markup::Format::kPdf) {
    const std::size_t dot = flags.out_file.rfind('.');
    const std::string ext = dot == std::string::npos ? "" : flags.out_file.substr(dot + 1);
    if (ext == "md" || ext == "markdown" || ext == "MD") options.pdf_output = markup::PdfOutput::kMarkdown;
    // Read the PDF before loading the model, so an encrypted or damaged file is reported at once.
    auto blocks = markup::ExtractPdfBlocks(content, options.limits);
    if (!blocks.ok()) {
      std::cerr << who << ": " << flags.file << ": " << blocks.status().ToString() << "\n";
      return 1;
    }
  }
  engine::SetNumThreads(flags.threads);
  StatusOr<engine::LoadOptions> load = LoadOptionsFor(flags.compute_type);
  if (!load.ok()) {
    std::cerr << who << ": " << load.status().message() << "\n";
    return 2;
  }
  auto translator = LoadTranslatorOrExplain(flags.model, who, *load);
  if (!translator) return 2;
  engine::TranslateOptions search;
  search.beam_size = flags.beam_size;
  search.max_length = flags.max_length;
  text::EngineSentenceTranslator engine(translator.get(), search, ResolveModelDir(flags.model));
  markup::TranslateBlocksStats stats;
  auto translated =
      markup::TranslateFormatted(content, *format, EngineCallback(engine, flags), options, &stats);
  if (!translated.ok()) {
    std::cerr << who << ": " << flags.file << ": " << translated.status().ToString() << "\n";
    return 1;
  }
  if (flags.progress) {
    std::cerr << who << ": " << markup::FormatName(*format) << ", " << stats.blocks << " blocks, "
              << stats.translated_sentences << " sentences translated, " << stats.copied_sentences
              << " copied\n";
  }
  if (flags.out_file.empty()) {
    std::cout << *translated;
    std::cout.flush();
    return std::cout ? 0 : 1;
  }
  std::ofstream out(flags.out_file, std::ios::binary | std::ios::trunc);
  out << *translated;
  out.close();
  if (!out) {
    std::cerr << who << ": cannot write " << flags.out_file << "\n";
    return 1;
  }
  return 0;
}

int RunTranslate(const TranslateFlags& flags) {
  if (!flags.file.empty()) return RunFile(flags);
  if (!flags.out_file.empty() || !flags.format.empty()) {
    std::cerr << "dolmetsch translate: --out and --format go with --file\n";
    return 2;
  }
  if (flags.document) return RunDocument(flags);
  if (flags.alignment && !flags.jsonl) {
    std::cerr << "dolmetsch translate: --alignment goes with --jsonl\n";
    return 2;
  }
  if (flags.batch_size < 1) {
    std::cerr << "dolmetsch translate: --batch-size must be at least 1\n";
    return 2;
  }
  engine::SetNumThreads(flags.threads);
  StatusOr<engine::LoadOptions> load = LoadOptionsFor(flags.compute_type);
  if (!load.ok()) {
    std::cerr << "dolmetsch translate: " << load.status().message() << "\n";
    return 2;
  }
  auto translator = LoadTranslatorOrExplain(flags.model, "dolmetsch translate", *load);
  if (!translator) return 2;
  LineTranslator lines(*translator, flags);
  for (std::string raw; std::getline(std::cin, raw);) lines.Add(ParseInputLine(std::move(raw), flags.jsonl));
  lines.Flush();
  return lines.had_errors() ? 1 : 0;
}

}  // namespace

void AddTranslateCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<TranslateFlags>();
  CLI::App* cmd = app.add_subcommand("translate", "Translate German text from stdin to English on stdout");
  cmd->add_option("--model", flags->model, "model folder (default: " + DefaultModelDir() + ")");
  cmd->add_option("--beam-size", flags->beam_size, "beam size (default: the model's num_beams)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--batch-size", flags->batch_size, "lines translated together")->check(CLI::Range(1, 4096));
  cmd->add_option("--threads", flags->threads, "compute threads (default: all cores)")
      ->check(CLI::Range(0, 256));
  AddComputeTypeOption(cmd, &flags->compute_type);
  cmd->add_option("--max-length", flags->max_length, "maximum output length in tokens, start token included")
      ->check(CLI::Range(2, 100000));
  cmd->add_option("--n-best", flags->n_best, "with --jsonl: also list the K best hypotheses")
      ->check(CLI::Range(1, 64));
  cmd->add_flag("--jsonl", flags->jsonl, "JSON lines in ({\"text\"}) and out");
  cmd->add_flag("--alignment", flags->alignment,
                "with --jsonl: add the word alignment (source token of each target token, and byte ranges)");
  cmd->add_flag("--document", flags->document,
                "translate the input as one document: sentences, paragraphs and lists kept, no length limit");
  cmd->add_option("file", flags->input_file, "with --document: a text file to translate (default: stdin)");
  cmd->add_option("--max-segment-tokens", flags->max_segment_tokens,
                  "with --document: longer sentences are split at clause boundaries")
      ->check(CLI::Range(2, 100000));
  cmd->add_option("--max-output-factor", flags->max_output_factor,
                  "with --document: output tokens per sentence at most this times its source tokens")
      ->check(CLI::Range(0.1, 100.0));
  cmd->add_option("--cache-size", flags->cache_size,
                  "with --document: sentences kept in the translation cache");
  cmd->add_flag("--progress", flags->progress, "with --document: report sentences done on stderr");
  cmd->add_option("--file", flags->file,
                  "translate a file with its markup kept (HTML, Markdown, SubRip .srt, WebVTT .vtt, text, "
                  ".docx, .pptx, .odt, .odp, .epub; .pdf in, text or Markdown out)");
  cmd->add_option(
      "--out", flags->out_file,
      "with --file: write the translation here (default: stdout); a PDF's translation is Markdown "
      "when this ends in .md, else text");
  cmd->add_flag("--no-alignment", flags->no_alignment,
                "with --file: place inline markup proportionally by words instead of by the engine's word "
                "alignment");
  cmd->add_option(
      "--format", flags->format,
      "with --file: html|markdown|srt|vtt|text|docx|pptx|odt|odp|epub|pdf (default: from the extension, "
      "else the content)");
  cmd->callback([flags, exit_code] { *exit_code = RunTranslate(*flags); });
}

}  // namespace dolmetsch::cli
