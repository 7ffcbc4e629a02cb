// `dolmetsch segment`: sentence segmentation on stdin (German rules; other languages with --language).
//   dolmetsch segment            one text on stdin -> one sentence per line (inner whitespace collapsed)
//   dolmetsch segment --json     JSON lines {"text": ...} -> one line {"sentences": [...]} per input line
//   --offsets                    (with --json) also "spans": [[begin, end], ...] as byte offsets
//   --max-bytes N                bound on a sentence's length in bytes (default 1500, 0: none)
//   --language CODE              the text's language (default de; others use ICU,
//   text/multilingual_segmenter.h)
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "text/multilingual_segmenter.h"
#include "text/sentence_segmenter.h"
#include "text/unicode.h"

namespace dolmetsch::cli {
namespace {

int SegmentJsonLines(const std::string& language, const text::SegmenterOptions& options, bool offsets) {
  int exit_code = 0;
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    nlohmann::json out;
    nlohmann::json in = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (in.is_discarded() || !in.is_object() || !in.contains("text") || !in["text"].is_string()) {
      out["sentences"] = nlohmann::json::array();
      out["error"] = "line " + std::to_string(line_number) + ": expected a JSON object {\"text\": \"...\"}";
      exit_code = 1;
    } else {
      const std::string source = in["text"].get<std::string>();
      nlohmann::json sentences = nlohmann::json::array();
      nlohmann::json spans = nlohmann::json::array();
      for (const text::Span& s : text::SegmentSentencesFor(language, source, options)) {
        sentences.push_back(
            text::ToValidUtf8(text::CollapseWhitespace(std::string_view(source).substr(s.begin, s.size()))));
        spans.push_back({s.begin, s.end});
      }
      out["sentences"] = std::move(sentences);
      if (offsets) out["spans"] = std::move(spans);
    }
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    std::cout.flush();
  }
  return exit_code;
}

int SegmentText(const std::string& language, const text::SegmenterOptions& options) {
  const std::string source((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::string out;
  for (const text::Span& s : text::SegmentSentencesFor(language, source, options)) {
    out += text::CollapseWhitespace(std::string_view(source).substr(s.begin, s.size()));
    out += '\n';
  }
  std::cout << out;
  std::cout.flush();
  return std::cout ? 0 : 1;
}

}  // namespace

void AddSegmentCommand(CLI::App& app, int* exit_code) {
  struct Flags {
    bool json = false;
    bool offsets = false;
    std::size_t max_bytes = text::SegmenterOptions().max_segment_bytes;
    std::string language = "de";
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("segment", "Split text on stdin into sentences (one per line)");
  cmd->add_flag("--json", flags->json, "JSON lines: {\"text\": ...} in, {\"sentences\": [...]} out");
  cmd->add_flag("--offsets", flags->offsets, "with --json: add \"spans\" (byte offsets into the text)");
  cmd->add_option("--max-bytes", flags->max_bytes,
                  "longest sentence in bytes before clause splitting (0: none)");
  cmd->add_option("--language", flags->language,
                  "language of the text, ISO 639 code (default: de; other languages use ICU's rules)");
  cmd->callback([flags, exit_code] {
    text::SegmenterOptions options;
    options.max_segment_bytes = flags->max_bytes;
    std::ios::sync_with_stdio(false);
    *exit_code = flags->json ? SegmentJsonLines(flags->language, options, flags->offsets)
                             : SegmentText(flags->language, options);
  });
}

}  // namespace dolmetsch::cli
