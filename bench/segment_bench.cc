// segment_bench: sentence segmentation speed and segment lengths.
//   segment_bench FILE... [--repeat N] [--max-bytes N]
// For each file prints bytes, sentences, MB/s (best of N runs), the longest segment (bytes and characters)
// and its first 80 bytes. Checks on the way that the segments reconstruct the file (exit 1 if not).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "text/sentence_segmenter.h"
#include "text/unicode.h"

namespace {

std::size_t CharCount(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); i += dolmetsch::text::DecodeUtf8(s, i).len) ++n;
  return n;
}

bool Reconstructs(std::string_view text, const std::vector<dolmetsch::text::Span>& spans) {
  std::size_t pos = 0;
  for (const auto& s : spans) {
    if (s.begin < pos || s.end <= s.begin || s.end > text.size()) return false;
    for (std::size_t i = pos; i < s.begin;) {
      const auto c = dolmetsch::text::DecodeUtf8(text, i);
      if (!dolmetsch::text::IsSpace(c.cp)) return false;
      i += c.len;
    }
    pos = s.end;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  int repeat = 5;
  dolmetsch::text::SegmenterOptions options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--max-bytes") == 0 && i + 1 < argc) {
      options.max_segment_bytes = static_cast<std::size_t>(std::atoll(argv[++i]));
    } else {
      files.push_back(argv[i]);
    }
  }
  if (files.empty()) {
    std::cerr << "usage: segment_bench FILE... [--repeat N] [--max-bytes N]\n";
    return 2;
  }
  int status = 0;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << file << ": cannot open\n";
      return 2;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    double best = 1e30;
    std::vector<dolmetsch::text::Span> spans;
    for (int r = 0; r < repeat; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      spans = dolmetsch::text::SegmentSentences(text, options);
      const auto t1 = std::chrono::steady_clock::now();
      best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
    }
    dolmetsch::text::Span longest;
    for (const auto& s : spans) {
      if (s.size() > longest.size()) longest = s;
    }
    const bool ok = Reconstructs(text, spans);
    if (!ok) status = 1;
    const std::string head = dolmetsch::text::CollapseWhitespace(
        std::string_view(text).substr(longest.begin, std::min<std::size_t>(longest.size(), 80)));
    std::printf(
        "%s: %zu bytes, %zu sentences, %.1f MB/s (best of %d), longest segment %zu bytes / %zu chars%s\n"
        "  longest starts: %s\n",
        file.c_str(), text.size(), spans.size(), text.size() / best / 1e6, repeat, longest.size(),
        CharCount(std::string_view(text).substr(longest.begin, longest.size())),
        ok ? "" : " (SPANS DO NOT RECONSTRUCT THE TEXT)", head.c_str());
  }
  return status;
}
