// document_bench: end-to-end document translation time and peak memory.
//
//   document_bench --make-random-model DIR [--fixture tests/fixtures/tiny-de-en]
//       writes a random model of opus-mt-de-en's size (d_model 512, 6+6 layers, 8 heads, FFN 2048, 58101
//       vocabulary entries, 512 positions) in Hugging Face layout; the tokenizer files are the fixture's.
//   document_bench --model DIR --text FILE [--beams 1,4] [--forced-new-tokens 8] [--threads N]
//                  [--max-segment-tokens 256] [--batch-tokens 4096] [--limit-bytes N]
//       translates FILE with the document pipeline once per beam size and prints seconds, sentences,
//       units translated, batches, sentences/s and the process's peak RSS. A random model never stops by
//       itself, so every sentence decodes exactly --forced-new-tokens tokens (short, fixed-length outputs).
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/translator.h"
#include "text/document_translator.h"

namespace {

namespace fs = std::filesystem;

double PeakRssMiB() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // ru_maxrss is in KiB on Linux
}

double CpuSeconds() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
         usage.ru_stime.tv_usec / 1e6;
}

double CurrentRssMiB() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096.0 / (1024.0 * 1024.0);
}

struct TensorSpec {
  std::string name;
  std::vector<long> shape;
  enum Init { kRandom, kOnes, kZeros } init = kRandom;
};

int MakeRandomModel(const std::string& dir, const std::string& fixture) {
  const int d = 512, ffn = 2048, layers = 6, vocab = 58101;
  fs::create_directories(dir);
  for (const char* f : {"source.spm", "target.spm", "vocab.json", "tokenizer_config.json",
                        "special_tokens_map.json", "generation_config.json"}) {
    std::error_code ec;
    fs::copy_file(fs::path(fixture) / f, fs::path(dir) / f, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      std::cerr << fixture << "/" << f << ": " << ec.message() << "\n";
      return 1;
    }
  }
  std::ifstream config_in(fs::path(fixture) / "config.json");
  nlohmann::json config = nlohmann::json::parse(config_in, nullptr, false);
  if (config.is_discarded()) {
    std::cerr << fixture << "/config.json: not valid JSON\n";
    return 1;
  }
  config["_name_or_path"] = "random-opus-mt-size";
  config["d_model"] = d;
  config["encoder_layers"] = layers;
  config["decoder_layers"] = layers;
  config["encoder_attention_heads"] = 8;
  config["decoder_attention_heads"] = 8;
  config["encoder_ffn_dim"] = ffn;
  config["decoder_ffn_dim"] = ffn;
  config["vocab_size"] = vocab;
  config["decoder_vocab_size"] = vocab;
  config["max_position_embeddings"] = 512;
  std::ofstream(fs::path(dir) / "config.json") << config.dump(2) << "\n";

  std::vector<TensorSpec> specs = {{"model.shared.weight", {vocab, d}},
                                   {"final_logits_bias", {1, vocab}, TensorSpec::kZeros}};
  auto linear = [&](const std::string& p, long out, long in) {
    specs.push_back({p + ".weight", {out, in}});
    specs.push_back({p + ".bias", {out}, TensorSpec::kZeros});
  };
  auto norm = [&](const std::string& p) {
    specs.push_back({p + ".weight", {d}, TensorSpec::kOnes});
    specs.push_back({p + ".bias", {d}, TensorSpec::kZeros});
  };
  auto attention = [&](const std::string& p) {
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) linear(p + "." + proj, d, d);
  };
  for (const char* side : {"encoder", "decoder"}) {
    for (int i = 0; i < layers; ++i) {
      const std::string p = std::string("model.") + side + ".layers." + std::to_string(i);
      attention(p + ".self_attn");
      norm(p + ".self_attn_layer_norm");
      if (std::strcmp(side, "decoder") == 0) {
        attention(p + ".encoder_attn");
        norm(p + ".encoder_attn_layer_norm");
      }
      linear(p + ".fc1", ffn, d);
      linear(p + ".fc2", d, ffn);
      norm(p + ".final_layer_norm");
    }
  }
  nlohmann::json header;
  header["__metadata__"] = {{"format", "pt"}};
  long offset = 0;
  for (const TensorSpec& s : specs) {
    long n = 1;
    for (long x : s.shape) n *= x;
    header[s.name] = {{"dtype", "F32"}, {"shape", s.shape}, {"data_offsets", {offset, offset + n * 4}}};
    offset += n * 4;
  }
  std::string header_text = header.dump();
  while (header_text.size() % 8 != 0) header_text.push_back(' ');
  std::ofstream out(fs::path(dir) / "model.safetensors", std::ios::binary);
  const unsigned long long header_size = header_text.size();
  out.write(reinterpret_cast<const char*>(&header_size), 8);
  out.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> buffer;
  for (const TensorSpec& s : specs) {
    long n = 1;
    for (long x : s.shape) n *= x;
    buffer.assign(static_cast<std::size_t>(n), s.init == TensorSpec::kOnes ? 1.0f : 0.0f);
    if (s.init == TensorSpec::kRandom) {
      for (float& v : buffer) v = normal(rng);
    }
    out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(n * 4));
  }
  if (!out) {
    std::cerr << dir << "/model.safetensors: write failed\n";
    return 1;
  }
  std::printf("wrote %s: %.1f M parameters\n", dir.c_str(), offset / 4 / 1e6);
  return 0;
}

std::vector<int> ParseList(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::atoi(item.c_str()));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, text_path, make_model, fixture = "tests/fixtures/tiny-de-en";
  std::vector<int> beams = {1, 4};
  int forced = 8, threads = 0;
  std::string compute_type = "float32";
  long limit_bytes = -1;
  dolmetsch::text::DocumentOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--model" && has_value)
      model = argv[++i];
    else if (arg == "--text" && has_value)
      text_path = argv[++i];
    else if (arg == "--make-random-model" && has_value)
      make_model = argv[++i];
    else if (arg == "--fixture" && has_value)
      fixture = argv[++i];
    else if (arg == "--beams" && has_value)
      beams = ParseList(argv[++i]);
    else if (arg == "--forced-new-tokens" && has_value)
      forced = std::atoi(argv[++i]);
    else if (arg == "--threads" && has_value)
      threads = std::atoi(argv[++i]);
    else if (arg == "--compute-type" && has_value)
      compute_type = argv[++i];
    else if (arg == "--max-segment-tokens" && has_value)
      options.max_segment_tokens = std::atoi(argv[++i]);
    else if (arg == "--batch-tokens" && has_value)
      options.batch_token_budget = std::atoi(argv[++i]);
    else if (arg == "--limit-bytes" && has_value)
      limit_bytes = std::atol(argv[++i]);
    else {
      std::cerr << "document_bench: unknown or incomplete argument " << arg << "\n";
      return 2;
    }
  }
  if (!make_model.empty()) return MakeRandomModel(make_model, fixture);
  if (model.empty() || text_path.empty()) {
    std::cerr << "usage: document_bench --model DIR --text FILE [--beams 1,4] [--forced-new-tokens N]"
                 " [--threads T] [--compute-type float32|int8|auto]\n"
                 "       document_bench --make-random-model DIR\n";
    return 2;
  }
  std::ifstream in(text_path, std::ios::binary);
  if (!in) {
    std::cerr << text_path << ": cannot open\n";
    return 2;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (limit_bytes >= 0 && static_cast<std::size_t>(limit_bytes) < text.size()) text.resize(limit_bytes);
  if (threads > 0) dolmetsch::engine::SetNumThreads(threads);

  const auto load_start = std::chrono::steady_clock::now();
  auto parsed_type = dolmetsch::engine::ParseComputeType(compute_type);
  if (!parsed_type.ok()) {
    std::cerr << "document_bench: " << parsed_type.status().ToString() << "\n";
    return 2;
  }
  auto loaded = dolmetsch::engine::Translator::Load(model, {*parsed_type});
  if (!loaded.ok()) {
    std::cerr << loaded.status().ToString() << "\n";
    return 1;
  }
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  std::printf("model %s (%s) loaded in %.2f s, RSS %.0f MiB; text %s: %zu bytes\n", model.c_str(),
              compute_type.c_str(), load_seconds, CurrentRssMiB(), text_path.c_str(), text.size());
  std::fflush(stdout);
  for (int beam : beams) {
    dolmetsch::engine::TranslateOptions search;
    search.beam_size = beam;
    search.forced_new_tokens = forced;
    dolmetsch::text::EngineSentenceTranslator translator(loaded->get(), search, model);
    dolmetsch::text::TranslationCache cache(10000);
    std::size_t output_bytes = 0;
    dolmetsch::text::DocumentCallbacks callbacks;
    callbacks.on_output = [&](std::string_view s) { output_bytes += s.size(); };
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = CpuSeconds();
    auto stats = dolmetsch::text::TranslateDocument(text, translator, options, &cache, callbacks, nullptr);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu_seconds = CpuSeconds() - cpu_start;
    if (!stats.ok()) {
      std::cerr << stats.status().ToString() << "\n";
      return 1;
    }
    std::printf(
        "beam %d, %d forced new tokens: %.1f s wall, %.1f s CPU, %zu segments (%zu copied), %zu units (%zu "
        "split segments, "
        "longest %d tokens), %zu translated, %zu duplicates, %zu cache hits, %zu batches, %.1f segments/s, "
        "output %zu bytes, peak RSS %.0f MiB\n",
        beam, forced, seconds, cpu_seconds, stats->segments, stats->copied_segments, stats->pieces,
        stats->split_segments, stats->max_piece_tokens, stats->translated, stats->duplicates,
        stats->cache_hits, stats->batches, stats->segments / seconds, output_bytes, PeakRssMiB());
    std::fflush(stdout);
  }
  return 0;
}
