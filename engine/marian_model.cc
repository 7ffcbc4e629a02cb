#include "engine/marian_model.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "engine/kernels/gemm.h"
#include "engine/kernels/thread_pool.h"
#include "engine/kernels/vector_math.h"
#include "engine/ops.h"

namespace dolmetsch::engine {
namespace {

// fn(row, scratch) for every row in [0, rows), the rows split over the engine's threads; each task gets its
// own scratch_floats floats of *scratch (grown here when needed, so steady-state steps do not allocate).
template <typename Fn>
void ForEachRowInParallel(int rows, int scratch_floats, std::vector<float>* scratch, const Fn& fn) {
  kernels::ThreadPool& pool = kernels::ThreadPool::Global();
  const size_t need = static_cast<size_t>(pool.RowTasks(rows)) * scratch_floats;
  if (scratch->size() < need) scratch->resize(need);
  float* base = scratch->data();
  pool.ParallelForRows(rows, [&](int task, int begin, int end) {
    for (int r = begin; r < end; ++r) fn(r, base + static_cast<size_t>(task) * scratch_floats);
  });
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Moves tensors out of a WeightMap, checking names and shapes, so every error names the tensor.
class WeightTaker {
 public:
  WeightTaker(WeightMap* weights, std::string source, std::map<const float*, std::vector<float>>* owned)
      : weights_(weights), source_(std::move(source)), owned_(owned) {
    // Checkpoints saved from the bare MarianModel lack the "model." prefix; accept both.
    if (!weights_->count("model.shared.weight") && !weights_->count("model.encoder.embed_tokens.weight")) {
      WeightMap renamed;
      for (auto& [name, t] : *weights_) {
        renamed[name.rfind("final_logits_bias", 0) == 0 || name.rfind("lm_head.", 0) == 0 ? name
                                                                                          : "model." + name] =
            std::move(t);
      }
      *weights_ = std::move(renamed);
    }
  }

  bool Has(const std::string& name) const { return weights_->count(name) > 0; }

  // Points *out at the tensor's values: borrowed from the mapped file, or moved into the model's storage.
  Status Take(const std::string& name, std::vector<int64_t> shape, const float** out) {
    auto it = weights_->find(name);
    if (it == weights_->end())
      return Status::InvalidArgument(source_ + ": tensor \"" + name + "\" is missing");
    std::vector<int64_t> got = it->second.shape;
    // final_logits_bias is stored as [1, V]; accept [V] too.
    if (got != shape && !(got.size() == 2 && got[0] == 1 && shape.size() == 1 && got[1] == shape[0])) {
      return Status::InvalidArgument(source_ + ": tensor \"" + name + "\" has shape " + ShapeString(got) +
                                     ", the config needs " + ShapeString(shape));
    }
    if (it->second.borrowed) {
      *out = it->second.borrowed;
    } else {
      std::vector<float> values = std::move(it->second.values);
      *out = values.data();
      (*owned_)[values.data()] = std::move(values);
    }
    weights_->erase(it);
    return Status::Ok();
  }

  Status TakeLinear(const std::string& prefix, int out, int in, Linear* linear) {
    linear->out = out;
    linear->in = in;
    DOLMETSCH_RETURN_IF_ERROR(Take(prefix + ".weight", {out, in}, &linear->weight));
    return Take(prefix + ".bias", {out}, &linear->bias);
  }

  Status TakeNorm(const std::string& prefix, int d, LayerNormWeights* norm) {
    DOLMETSCH_RETURN_IF_ERROR(Take(prefix + ".weight", {d}, &norm->gamma));
    return Take(prefix + ".bias", {d}, &norm->beta);
  }

  Status TakeAttention(const std::string& prefix, int d, AttentionWeights* a) {
    DOLMETSCH_RETURN_IF_ERROR(TakeLinear(prefix + ".q_proj", d, d, &a->q));
    DOLMETSCH_RETURN_IF_ERROR(TakeLinear(prefix + ".k_proj", d, d, &a->k));
    DOLMETSCH_RETURN_IF_ERROR(TakeLinear(prefix + ".v_proj", d, d, &a->v));
    return TakeLinear(prefix + ".out_proj", d, d, &a->out);
  }

 private:
  WeightMap* weights_;
  std::string source_;
  std::map<const float*, std::vector<float>>* owned_;
};

// Before anything is allocated for the layers (or the position tables): the file must hold every layer the
// config names, each tensor with the config's shape, and no layer beyond them. So the memory the model
// takes is bounded by the file's own size, whatever config.json says.
Status CheckLayersAgainstFile(const WeightMap& weights, const ModelConfig& c, const std::string& source) {
  const int64_t d = c.d_model;
  auto check = [&](const std::string& name, const std::vector<int64_t>& shape) -> Status {
    auto it = weights.find(name);
    if (it == weights.end()) return Status::InvalidArgument(source + ": tensor \"" + name + "\" is missing");
    if (it->second.shape != shape) {
      return Status::InvalidArgument(source + ": tensor \"" + name + "\" has shape " +
                                     ShapeString(it->second.shape) + ", config.json needs " +
                                     ShapeString(shape));
    }
    return Status::Ok();
  };
  auto linear = [&](const std::string& p, int64_t out, int64_t in) -> Status {
    DOLMETSCH_RETURN_IF_ERROR(check(p + ".weight", {out, in}));
    return check(p + ".bias", {out});
  };
  auto norm = [&](const std::string& p) -> Status {
    DOLMETSCH_RETURN_IF_ERROR(check(p + ".weight", {d}));
    return check(p + ".bias", {d});
  };
  auto attention = [&](const std::string& p) -> Status {
    for (const char* proj : {".q_proj", ".k_proj", ".v_proj", ".out_proj"})
      DOLMETSCH_RETURN_IF_ERROR(linear(p + proj, d, d));
    return Status::Ok();
  };
  for (const bool encoder : {true, false}) {
    const std::string prefix = encoder ? "model.encoder.layers." : "model.decoder.layers.";
    const int layers = encoder ? c.encoder_layers : c.decoder_layers;
    const int64_t ffn = encoder ? c.encoder_ffn_dim : c.decoder_ffn_dim;
    // Layers present: one past the highest index in a tensor name.
    int64_t present = 0;
    for (const auto& entry : weights) {
      const std::string& name = entry.first;
      if (name.compare(0, prefix.size(), prefix) != 0) continue;
      int64_t index = 0;
      size_t i = prefix.size();
      for (; i < name.size() && name[i] >= '0' && name[i] <= '9' && index < (1 << 20); ++i)
        index = index * 10 + (name[i] - '0');
      if (i > prefix.size()) present = std::max(present, index + 1);
    }
    if (present != layers) {
      return Status::InvalidArgument(
          source + " has " + std::to_string(present) + (encoder ? " encoder" : " decoder") +
          " layers, but config.json says \"" + (encoder ? "encoder_layers" : "decoder_layers") +
          "\": " + std::to_string(layers));
    }
    for (int l = 0; l < layers; ++l) {
      const std::string p = prefix + std::to_string(l);
      DOLMETSCH_RETURN_IF_ERROR(attention(p + ".self_attn"));
      DOLMETSCH_RETURN_IF_ERROR(norm(p + ".self_attn_layer_norm"));
      if (!encoder) {
        DOLMETSCH_RETURN_IF_ERROR(attention(p + ".encoder_attn"));
        DOLMETSCH_RETURN_IF_ERROR(norm(p + ".encoder_attn_layer_norm"));
      }
      DOLMETSCH_RETURN_IF_ERROR(linear(p + ".fc1", ffn, d));
      DOLMETSCH_RETURN_IF_ERROR(linear(p + ".fc2", d, ffn));
      DOLMETSCH_RETURN_IF_ERROR(norm(p + ".final_layer_norm"));
    }
  }
  return Status::Ok();
}

}  // namespace

void Linear::Forward(const float* x, float* y, int rows) const {
  if (int8.rows > 0) {
    kernels::Int8Linear(x, rows, int8, bias, y);
  } else if (packed.rows > 0) {
    kernels::PackedLinear(x, rows, packed, bias, y);
  } else {
    kernels::LinearForward(x, weight, bias, y, rows, out, in);
  }
}

StatusOr<std::unique_ptr<MarianModel>> MarianModel::Load(const std::string& model_dir,
                                                         const ModelConfig& config,
                                                         ComputeType compute_type) {
  const std::string safetensors = model_dir + "/model.safetensors";
  const std::string torch_bin = model_dir + "/pytorch_model.bin";
  StatusOr<WeightMap> weights = Status::NotFound("");
  std::string source;
  if (FileExists(safetensors)) {
    StatusOr<MappedWeights> mapped = MapSafetensorsFile(safetensors);
    if (!mapped.ok()) return mapped.status();
    return FromWeights(std::move(mapped->weights), config, safetensors, compute_type,
                       std::move(mapped->file));
  } else if (FileExists(torch_bin)) {
    source = torch_bin;
    weights = ReadTorchCheckpointFile(torch_bin);
  } else {
    return Status::NotFound(model_dir + ": no model.safetensors or pytorch_model.bin");
  }
  if (!weights.ok()) return weights.status();
  return FromWeights(std::move(weights).value(), config, source, compute_type);
}

StatusOr<std::unique_ptr<MarianModel>> MarianModel::FromWeights(WeightMap weights, const ModelConfig& config,
                                                                const std::string& source_name,
                                                                ComputeType compute_type,
                                                                std::shared_ptr<const MappedFile> mapping) {
  std::unique_ptr<MarianModel> m(new MarianModel());
  m->config_ = config;
  m->compute_type_ = ResolveComputeType(compute_type);
  m->mapping_ = std::move(mapping);
  const int d = m->d_ = config.d_model;
  const int V = config.vocab_size, Vt = config.decoder_vocab_size;
  WeightTaker w(&weights, source_name, &m->owned_);
  DOLMETSCH_RETURN_IF_ERROR(CheckLayersAgainstFile(weights, config, source_name));

  if (config.share_encoder_decoder_embeddings) {
    // transformers ties encoder and decoder embed_tokens to model.shared; a file may hold any of the three.
    const char* name = w.Has("model.shared.weight")                 ? "model.shared.weight"
                       : w.Has("model.encoder.embed_tokens.weight") ? "model.encoder.embed_tokens.weight"
                                                                    : "model.decoder.embed_tokens.weight";
    DOLMETSCH_RETURN_IF_ERROR(w.Take(name, {V, d}, &m->encoder_embed_));
    m->decoder_embed_ = m->encoder_embed_;
  } else {
    DOLMETSCH_RETURN_IF_ERROR(w.Take("model.encoder.embed_tokens.weight", {V, d}, &m->encoder_embed_));
    DOLMETSCH_RETURN_IF_ERROR(w.Take("model.decoder.embed_tokens.weight", {Vt, d}, &m->decoder_embed_));
  }
  Linear& lm = m->output_projection_;
  lm.out = Vt;
  lm.in = d;
  if (config.tie_word_embeddings) {
    lm.weight = m->decoder_embed_;
  } else {
    DOLMETSCH_RETURN_IF_ERROR(w.Take("lm_head.weight", {Vt, d}, &lm.weight));
  }
  if (w.Has("final_logits_bias")) {
    DOLMETSCH_RETURN_IF_ERROR(w.Take("final_logits_bias", {Vt}, &lm.bias));
  } else {
    m->zero_bias_.assign(Vt, 0.0f);  // a registered buffer that starts at zero in transformers
    lm.bias = m->zero_bias_.data();
  }

  const int P = config.max_position_embeddings;
  // Positions are not saved by transformers, but a checkpoint that has them is used as transformers would.
  for (auto [name, table] : {std::pair{"model.encoder.embed_positions.weight", &m->encoder_positions_},
                             std::pair{"model.decoder.embed_positions.weight", &m->decoder_positions_}}) {
    if (w.Has(name)) {
      DOLMETSCH_RETURN_IF_ERROR(w.Take(name, {P, d}, table));
    } else {
      std::vector<float> computed = ops::SinusoidalPositions(P, d);
      *table = computed.data();
      m->owned_[computed.data()] = std::move(computed);
    }
  }

  m->encoder_layers_.resize(config.encoder_layers);
  for (int i = 0; i < config.encoder_layers; ++i) {
    const std::string p = "model.encoder.layers." + std::to_string(i);
    EncoderLayerWeights& L = m->encoder_layers_[i];
    DOLMETSCH_RETURN_IF_ERROR(w.TakeAttention(p + ".self_attn", d, &L.self_attn));
    DOLMETSCH_RETURN_IF_ERROR(w.TakeNorm(p + ".self_attn_layer_norm", d, &L.self_attn_norm));
    DOLMETSCH_RETURN_IF_ERROR(w.TakeLinear(p + ".fc1", config.encoder_ffn_dim, d, &L.fc1));
    DOLMETSCH_RETURN_IF_ERROR(w.TakeLinear(p + ".fc2", d, config.encoder_ffn_dim, &L.fc2));
    DOLMETSCH_RETURN_IF_ERROR(w.TakeNorm(p + ".final_layer_norm", d, &L.final_norm));
  }
  m->decoder_layers_.resize(config.decoder_layers);
  for (int i = 0; i < config.decoder_layers; ++i) {
    const std::string p = "model.decoder.layers." + std::to_string(i);
    DecoderLayerWeights& L = m->decoder_layers_[i];
    DOLMETSCH_RETURN_IF_ERROR(w.TakeAttention(p + ".self_attn", d, &L.self_attn));
    DOLMETSCH_RETURN_IF_ERROR(w.TakeNorm(p + ".self_attn_layer_norm", d, &L.self_attn_norm));
    DOLMETSCH_RETURN_IF_ERROR(w.TakeAttention(p + ".encoder_attn", d, &L.cross_attn));
    DOLMETSCH_RETURN_IF_ERROR(w.TakeNorm(p + ".encoder_attn_layer_norm", d, &L.cross_attn_norm));
    DOLMETSCH_RETURN_IF_ERROR(w.TakeLinear(p + ".fc1", config.decoder_ffn_dim, d, &L.fc1));
    DOLMETSCH_RETURN_IF_ERROR(w.TakeLinear(p + ".fc2", d, config.decoder_ffn_dim, &L.fc2));
    DOLMETSCH_RETURN_IF_ERROR(w.TakeNorm(p + ".final_layer_norm", d, &L.final_norm));
  }
  // Anything left over (lm_head.weight when tied, duplicate tied embeddings) is ignored, as transformers
  // does.
  // Every CPU runs the packed float32 kernels (kernels/gemm.h): one FMA chain per output, so a sentence's
  // results do not depend on what it is batched with.
  m->ConvertLinears();
  return m;
}

bool MarianModel::Encode(const std::vector<std::vector<int>>& ids, EncoderOutput* out,
                         const std::function<bool()>& stop) const {
  const int B = static_cast<int>(ids.size());
  int S = 0;
  for (const auto& seq : ids) S = std::max(S, static_cast<int>(seq.size()));
  const int d = d_, H = config_.encoder_attention_heads, hd = d / H;
  const long N = static_cast<long>(B) * S;
  const float scale = config_.scale_embedding ? std::sqrt(static_cast<float>(d)) : 1.0f;
  const float scaling = std::pow(static_cast<float>(hd), -0.5f);

  out->batch = B;
  out->max_len = S;
  out->d_model = d;
  out->lengths.resize(B);
  std::vector<float>& x = out->hidden;
  x.assign(N * d, 0.0f);
  std::vector<float> embedding_scratch(d);
  for (int b = 0; b < B; ++b) {
    out->lengths[b] = static_cast<int>(ids[b].size());
    for (int s = 0; s < S; ++s) {
      const int id = s < out->lengths[b] ? ids[b][s] : config_.pad_token_id;
      const float* e = EmbeddingRow(encoder_embed_, id, embedding_scratch.data());
      const float* p = encoder_positions_ + static_cast<size_t>(s) * d;
      float* row = x.data() + (static_cast<size_t>(b) * S + s) * d;
      for (int i = 0; i < d; ++i) row[i] = e[i] * scale + p[i];
    }
  }

  int ffn_max = 0;
  for (const auto& L : encoder_layers_) ffn_max = std::max(ffn_max, L.fc1.out);
  std::vector<float> q(N * d), k(N * d), v(N * d), attn(N * d), proj(N * d), ffn(N * ffn_max), scores;
  for (const EncoderLayerWeights& L : encoder_layers_) {
    if (stop && stop()) return false;
    L.self_attn.q.Forward(x.data(), q.data(), N);
    for (float& f : q) f *= scaling;  // transformers scales after the bias
    L.self_attn.k.Forward(x.data(), k.data(), N);
    L.self_attn.v.Forward(x.data(), v.data(), N);
    // One task per (input, head) pair, spread over the engine's threads.
    ForEachRowInParallel(B * H, S * S, &scores, [&](int bh, float* sc) {
      const int b = bh / H, h = bh % H, len = out->lengths[b];
      const size_t base = static_cast<size_t>(b) * S * d;
      // scores[S, len] = Q_bh K_bh^T; padded keys are left out (transformers adds finfo.min: same result).
      kernels::MatMulTransB(q.data() + base + h * hd, d, k.data() + base + h * hd, d, sc, len, S, len, hd);
      for (int s = 0; s < S; ++s) ops::Softmax(sc + static_cast<size_t>(s) * len, len);
      kernels::MatMul(sc, len, v.data() + base + h * hd, d, attn.data() + base + h * hd, d, S, hd, len);
    });
    L.self_attn.out.Forward(attn.data(), proj.data(), N);
    ops::AddInPlace(x.data(), proj.data(), N * d);
    ops::LayerNorm(x.data(), N, d, L.self_attn_norm.gamma, L.self_attn_norm.beta);
    L.fc1.Forward(x.data(), ffn.data(), N);
    ops::Activate(config_.activation, ffn.data(), N * L.fc1.out);
    L.fc2.Forward(ffn.data(), proj.data(), N);
    ops::AddInPlace(x.data(), proj.data(), N * d);
    ops::LayerNorm(x.data(), N, d, L.final_norm.gamma, L.final_norm.beta);
  }
  return true;
}

void MarianModel::StartDecoding(const EncoderOutput& enc, const std::vector<int>& row_batch, DecoderState* st,
                                int max_steps) const {
  const int d = d_, H = config_.decoder_attention_heads, hd = d / H;
  const int B = enc.batch, S = enc.max_len, R = static_cast<int>(row_batch.size());
  st->rows = R;
  st->steps = 0;
  st->capacity = 0;
  st->cache_rows = R;
  st->row_batch = row_batch;
  st->source_lengths = enc.lengths;
  st->source_max_len = S;
  const size_t layers = decoder_layers_.size();
  st->half_caches = compute_type_ == ComputeType::kInt8;
  st->self_k.clear();
  st->self_v.clear();
  st->half_k.clear();
  st->half_v.clear();
  st->self_k.resize(st->half_caches ? 0 : layers);
  st->self_v.resize(st->half_caches ? 0 : layers);
  st->half_k.resize(st->half_caches ? layers : 0);
  st->half_v.resize(st->half_caches ? layers : 0);
  st->cross_k.assign(layers, std::vector<float>(static_cast<size_t>(B) * S * d));
  st->cross_v.assign(layers, std::vector<float>(static_cast<size_t>(B) * S * d));
  std::vector<float> tmp(static_cast<size_t>(B) * S * d);
  for (size_t l = 0; l < layers; ++l) {
    // [b][s][h*hd] -> [b][h][s][hd] so that one head's keys are contiguous.
    for (int which = 0; which < 2; ++which) {
      const Linear& proj = which == 0 ? decoder_layers_[l].cross_attn.k : decoder_layers_[l].cross_attn.v;
      std::vector<float>& dst = which == 0 ? st->cross_k[l] : st->cross_v[l];
      proj.Forward(enc.hidden.data(), tmp.data(), B * S);
      for (int b = 0; b < B; ++b)
        for (int s = 0; s < S; ++s)
          for (int h = 0; h < H; ++h)
            std::memcpy(&dst[((static_cast<size_t>(b) * H + h) * S + s) * hd],
                        &tmp[(static_cast<size_t>(b) * S + s) * d + h * hd], sizeof(float) * hd);
    }
  }
  int ffn_max = 0;
  for (const auto& L : decoder_layers_) ffn_max = std::max(ffn_max, L.fc1.out);
  const size_t rd = static_cast<size_t>(R) * d;
  st->x.assign(rd, 0.0f);
  st->q.assign(rd, 0.0f);
  st->k.assign(rd, 0.0f);
  st->v.assign(rd, 0.0f);
  st->attn.assign(rd, 0.0f);
  st->proj.assign(rd, 0.0f);
  st->ffn.assign(static_cast<size_t>(R) * ffn_max, 0.0f);
  st->origin.clear();
  // A first guess that fits most outputs (about the source length); caches grow geometrically beyond it.
  int capacity = std::min(config_.max_position_embeddings, std::max(16, 2 * S + 8));
  if (max_steps > 0) capacity = std::min(capacity, max_steps);
  EnsureCapacity(st, capacity);
}

void MarianModel::EnsureCapacity(DecoderState* st, int positions) const {
  if (positions <= st->capacity) return;
  const int H = config_.decoder_attention_heads, hd = d_ / H;
  const int new_cap = std::min(std::max(positions, 2 * st->capacity), config_.max_position_embeddings);
  const int cache_rows = st->cache_rows;
  const size_t size = static_cast<size_t>(cache_rows) * H * new_cap * hd;
  // Every cache row is kept: a hypothesis may read positions of rows beyond st->rows (origin).
  auto grow = [&](auto& cache) {
    using T = std::remove_reference_t<decltype(cache[0])>;
    std::unique_ptr<T[]> grown(new T[size]);  // uninitialized on purpose (see DecoderState)
    if (st->steps > 0)
      for (int r = 0; r < cache_rows; ++r)
        for (int h = 0; h < H; ++h)
          std::memcpy(&grown[((static_cast<size_t>(r) * H + h) * new_cap) * hd],
                      &cache[((static_cast<size_t>(r) * H + h) * st->capacity) * hd],
                      sizeof(T) * st->steps * hd);
    cache = std::move(grown);
  };
  for (auto& cache : st->self_k) grow(cache);
  for (auto& cache : st->self_v) grow(cache);
  for (auto& cache : st->half_k) grow(cache);
  for (auto& cache : st->half_v) grow(cache);
  std::vector<int> origin(static_cast<size_t>(cache_rows) * new_cap, 0);
  for (int r = 0; r < st->rows && st->steps > 0; ++r)
    std::memcpy(&origin[static_cast<size_t>(r) * new_cap], &st->origin[static_cast<size_t>(r) * st->capacity],
                sizeof(int) * st->steps);
  st->origin.swap(origin);
  st->origin_scratch.assign(st->origin.size(), 0);
  st->capacity = new_cap;
}

void MarianModel::DecodeStep(const std::vector<int>& tokens, DecoderState* st, float* logits) const {
  const int d = d_, H = config_.decoder_attention_heads, hd = d / H, R = st->rows, t = st->steps;
  const float scale = config_.scale_embedding ? std::sqrt(static_cast<float>(d)) : 1.0f;
  const float scaling = std::pow(static_cast<float>(hd), -0.5f);
  EnsureCapacity(st, t + 1);
  const int cap = st->capacity, S = st->source_max_len;
  const long rd = static_cast<long>(R) * d;

  const float* pos = decoder_positions_ + static_cast<size_t>(t) * d;
  std::vector<float> embedding_scratch(detached_ ? d : 0);
  for (int r = 0; r < R; ++r) {
    const float* e = EmbeddingRow(decoder_embed_, tokens[r], embedding_scratch.data());
    float* row = st->x.data() + static_cast<size_t>(r) * d;
    for (int i = 0; i < d; ++i) row[i] = e[i] * scale + pos[i];
  }

  for (int r = 0; r < R; ++r) st->origin[static_cast<size_t>(r) * cap + t] = r;  // this step: own row

  for (size_t l = 0; l < decoder_layers_.size(); ++l) {
    const DecoderLayerWeights& L = decoder_layers_[l];
    // Causal self-attention over the cache plus this step's key/value.
    L.self_attn.q.Forward(st->x.data(), st->q.data(), R);
    for (long i = 0; i < rd; ++i) st->q[i] *= scaling;
    L.self_attn.k.Forward(st->x.data(), st->k.data(), R);
    L.self_attn.v.Forward(st->x.data(), st->v.data(), R);
    const bool half = st->half_caches;
    float* ck = half ? nullptr : st->self_k[l].get();
    float* cv = half ? nullptr : st->self_v[l].get();
    unsigned short* hk = half ? st->half_k[l].get() : nullptr;
    unsigned short* hv = half ? st->half_v[l].get() : nullptr;
    const long cache_row_size = static_cast<long>(H) * cap * hd;
    ForEachRowInParallel(R, cap, &st->scores, [&](int r, float* scores) {
      const int* origin = &st->origin[static_cast<size_t>(r) * cap];
      for (int h = 0; h < H; ++h) {
        const size_t head = static_cast<size_t>(h) * cap * hd;
        const size_t own = static_cast<size_t>(r) * cache_row_size + head + static_cast<size_t>(t) * hd;
        kernels::KeyValueView kv{nullptr, nullptr, hd, origin, cache_row_size};
        if (half) {
          kernels::FloatToHalf(&st->k[r * d + h * hd], hd, hk + own);
          kernels::FloatToHalf(&st->v[r * d + h * hd], hd, hv + own);
          kv.half_keys = hk + head;
          kv.half_values = hv + head;
        } else {
          std::memcpy(ck + own, &st->k[r * d + h * hd], sizeof(float) * hd);
          std::memcpy(cv + own, &st->v[r * d + h * hd], sizeof(float) * hd);
          kv.keys = ck + head;
          kv.values = cv + head;
        }
        kernels::AttendOne(&st->q[r * d + h * hd], kv, t + 1, hd, scores, &st->attn[r * d + h * hd]);
      }
    });
    L.self_attn.out.Forward(st->attn.data(), st->proj.data(), R);
    ops::AddInPlace(st->x.data(), st->proj.data(), rd);
    ops::LayerNorm(st->x.data(), R, d, L.self_attn_norm.gamma, L.self_attn_norm.beta);

    // Cross-attention over the encoder output of the row's input.
    L.cross_attn.q.Forward(st->x.data(), st->q.data(), R);
    for (long i = 0; i < rd; ++i) st->q[i] *= scaling;
    // The alignment's layer also keeps its probabilities: AttendOne leaves exp(score - max) in `scores`.
    const bool keep = static_cast<int>(l) == st->align_layer;
    if (keep) st->align.assign(static_cast<size_t>(R) * S, 0.0f);
    ForEachRowInParallel(R, S, &st->scores, [&](int r, float* scores) {
      const int b = st->row_batch[r], len = st->source_lengths[b];
      float* align = keep ? &st->align[static_cast<size_t>(r) * S] : nullptr;
      int kept_heads = 0;
      for (int h = 0; h < H; ++h) {
        const size_t head = (static_cast<size_t>(b) * H + h) * S * hd;
        const kernels::KeyValueView kv{st->cross_k[l].data() + head, st->cross_v[l].data() + head, hd};
        kernels::AttendOne(&st->q[r * d + h * hd], kv, len, hd, scores, &st->attn[r * d + h * hd]);
        const int flags = static_cast<int>(st->align_heads.size());
        if (align && (flags == 0 || (h < flags && st->align_heads[h]))) {
          float sum = 0.0f;
          for (int j = 0; j < len; ++j) sum += scores[j];
          const float inv = 1.0f / sum;
          for (int j = 0; j < len; ++j) align[j] += scores[j] * inv;
          ++kept_heads;
        }
      }
      if (align && kept_heads > 1) {
        const float inv = 1.0f / static_cast<float>(kept_heads);
        for (int j = 0; j < len; ++j) align[j] *= inv;
      }
    });
    L.cross_attn.out.Forward(st->attn.data(), st->proj.data(), R);
    ops::AddInPlace(st->x.data(), st->proj.data(), rd);
    ops::LayerNorm(st->x.data(), R, d, L.cross_attn_norm.gamma, L.cross_attn_norm.beta);

    L.fc1.Forward(st->x.data(), st->ffn.data(), R);
    ops::Activate(config_.activation, st->ffn.data(), static_cast<long>(R) * L.fc1.out);
    L.fc2.Forward(st->ffn.data(), st->proj.data(), R);
    ops::AddInPlace(st->x.data(), st->proj.data(), rd);
    ops::LayerNorm(st->x.data(), R, d, L.final_norm.gamma, L.final_norm.beta);
  }
  output_projection_.Forward(st->x.data(), logits, R);
  st->steps = t + 1;
}

void MarianModel::ReorderRows(const std::vector<int>& source_rows, DecoderState* st) const {
  const int new_rows = static_cast<int>(source_rows.size()), cap = st->capacity;
  for (int r = 0; r < new_rows; ++r)
    std::memcpy(&st->origin_scratch[static_cast<size_t>(r) * cap],
                &st->origin[static_cast<size_t>(source_rows[r]) * cap], sizeof(int) * st->steps);
  st->origin.swap(st->origin_scratch);
  std::vector<int> batch(new_rows);
  for (int r = 0; r < new_rows; ++r) batch[r] = st->row_batch[source_rows[r]];
  st->row_batch = std::move(batch);
  st->rows = new_rows;
}

void MarianModel::ConvertLinears() {
  const bool int8 = compute_type_ == ComputeType::kInt8;
  // In pieces of about 4 MB of float32, each released as soon as it is converted: peak memory is the
  // converted model plus one piece, not plus the largest tensor (the 119 MB output projection of
  // opus-mt-de-en).
  auto quantize = [&](Linear& l, bool float_still_needed) {
    if (int8) {
      l.int8 = kernels::AllocateInt8Matrix(l.out, l.in);
    } else {
      l.packed = kernels::AllocatePackedMatrix(l.out, l.in);
    }
    const int rows_per_piece = std::max(1, (4 << 20) / (l.in * static_cast<int>(sizeof(float))));
    for (int begin = 0; begin < l.out; begin += rows_per_piece) {
      const int end = std::min(l.out, begin + rows_per_piece);
      if (int8) {
        kernels::QuantizeRowRange(l.weight, begin, end, &l.int8);
      } else {
        kernels::PackRowRange(l.weight, begin, end, &l.packed);
      }
      if (!float_still_needed && mapping_) {
        mapping_->DropPages(l.weight + static_cast<size_t>(begin) * l.in,
                            static_cast<size_t>(end - begin) * l.in * sizeof(float));
      }
    }
    if (!float_still_needed) owned_.erase(l.weight);  // a tensor not borrowed from the mapping
    l.weight = nullptr;
  };
  for (EncoderLayerWeights& L : encoder_layers_) {
    for (Linear* l : {&L.self_attn.q, &L.self_attn.k, &L.self_attn.v, &L.self_attn.out, &L.fc1, &L.fc2}) {
      quantize(*l, false);
    }
  }
  for (DecoderLayerWeights& L : decoder_layers_) {
    for (Linear* l : {&L.self_attn.q, &L.self_attn.k, &L.self_attn.v, &L.self_attn.out, &L.cross_attn.q,
                      &L.cross_attn.k, &L.cross_attn.v, &L.cross_attn.out, &L.fc1, &L.fc2}) {
      quantize(*l, false);
    }
  }
  // Tied to the embeddings: their float rows are still looked up, but a mapped file pages them back in on
  // demand, so only an owned copy must stay.
  const bool tied =
      output_projection_.weight == decoder_embed_ || output_projection_.weight == encoder_embed_;
  quantize(output_projection_, tied && !mapping_);
  if (mapping_) DetachFromMapping();
}

void MarianModel::DetachFromMapping() {
  auto own = [&](const float*& p, size_t n) {
    if (p == nullptr || !mapping_->Contains(p)) return;
    std::vector<float> copy(n);
    mapping_->CopyOut(p, sizeof(float) * n, copy.data());  // not through the mapping: see CopyOut
    p = copy.data();
    owned_[copy.data()] = std::move(copy);
  };
  auto own_linear = [&](Linear& l) { own(l.bias, l.out); };
  auto own_norm = [&](LayerNormWeights& n) {
    own(n.gamma, d_);
    own(n.beta, d_);
  };
  for (EncoderLayerWeights& L : encoder_layers_) {
    for (Linear* l : {&L.self_attn.q, &L.self_attn.k, &L.self_attn.v, &L.self_attn.out, &L.fc1, &L.fc2}) {
      own_linear(*l);
    }
    own_norm(L.self_attn_norm);
    own_norm(L.final_norm);
  }
  for (DecoderLayerWeights& L : decoder_layers_) {
    for (Linear* l : {&L.self_attn.q, &L.self_attn.k, &L.self_attn.v, &L.self_attn.out, &L.cross_attn.q,
                      &L.cross_attn.k, &L.cross_attn.v, &L.cross_attn.out, &L.fc1, &L.fc2}) {
      own_linear(*l);
    }
    own_norm(L.self_attn_norm);
    own_norm(L.cross_attn_norm);
    own_norm(L.final_norm);
  }
  own_linear(output_projection_);
  const size_t positions = static_cast<size_t>(config_.max_position_embeddings) * d_;
  own(encoder_positions_, positions);
  own(decoder_positions_, positions);
  mapping_->DropAllPages();
  detached_ = true;
}

const float* MarianModel::EmbeddingRow(const float* table, int id, float* scratch) const {
  const float* row = table + static_cast<size_t>(id) * d_;
  if (!detached_ || !mapping_->Contains(row)) return row;
  mapping_->CopyOut(row, sizeof(float) * d_, scratch);
  return scratch;
}

}  // namespace dolmetsch::engine
