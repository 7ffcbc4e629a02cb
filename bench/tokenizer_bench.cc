// tokenizer_bench: MarianTokenizer encode/decode throughput on a text file, one input per non-empty line.
//
// Usage: tokenizer_bench [MODEL_DIR] [TEXT_FILE] [ROUNDS]
//   defaults: tests/fixtures/tiny-de-en  tests/fixtures/text/faust_500.txt  20   (run from the repo root)
// Prints load time, then for encode (Encode(line)) and decode (Decode(ids of that line)) the best round's
// lines/s, tokens/s (ids including </s>) and input MB/s. Single thread.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "engine/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string model_dir = argc > 1 ? argv[1] : "tests/fixtures/tiny-de-en";
  const std::string text_path = argc > 2 ? argv[2] : "tests/fixtures/text/faust_500.txt";
  const int rounds = argc > 3 ? std::max(1, std::atoi(argv[3])) : 20;

  std::ifstream in(text_path);
  if (!in) {
    std::fprintf(stderr, "tokenizer_bench: cannot open %s\n", text_path.c_str());
    return 1;
  }
  std::vector<std::string> lines;
  size_t input_bytes = 0;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    input_bytes += line.size();
    lines.push_back(std::move(line));
  }

  const auto load_start = Clock::now();
  auto loaded = dolmetsch::engine::MarianTokenizer::Load(model_dir);
  const double load_seconds = SecondsSince(load_start);
  if (!loaded.ok()) {
    std::fprintf(stderr, "tokenizer_bench: %s\n", loaded.status().ToString().c_str());
    return 1;
  }
  const dolmetsch::engine::MarianTokenizer& tokenizer = **loaded;

  std::vector<std::vector<int>> encoded(lines.size());
  size_t tokens = 0;
  double best_encode = 1e30, best_decode = 1e30;
  size_t checksum = 0;  // keeps the work observable
  for (int round = 0; round < rounds; ++round) {
    auto start = Clock::now();
    for (size_t i = 0; i < lines.size(); ++i) encoded[i] = tokenizer.Encode(lines[i]);
    best_encode = std::min(best_encode, SecondsSince(start));

    start = Clock::now();
    for (const auto& ids : encoded) checksum += tokenizer.Decode(ids).size();
    best_decode = std::min(best_decode, SecondsSince(start));
  }
  for (const auto& ids : encoded) tokens += ids.size();

  std::printf("tokenizer_bench: model %s, text %s\n", model_dir.c_str(), text_path.c_str());
  std::printf("  lines %zu, input bytes %zu, tokens %zu (incl. </s>), rounds %d (best round shown)\n",
              lines.size(), input_bytes, tokens, rounds);
  std::printf("  load   %8.1f ms\n", load_seconds * 1e3);
  std::printf("  encode %8.3f ms  %10.0f lines/s  %10.0f tokens/s  %7.2f MB/s\n", best_encode * 1e3,
              lines.size() / best_encode, tokens / best_encode, input_bytes / best_encode / 1e6);
  std::printf("  decode %8.3f ms  %10.0f lines/s  %10.0f tokens/s  (checksum %zu)\n", best_decode * 1e3,
              lines.size() / best_decode, tokens / best_decode, checksum);
  return 0;
}
