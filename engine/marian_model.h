// MarianModel: the Marian transformer (post-norm encoder-decoder) with weights in memory, and the two
// computations the search needs: Encode a padded batch, and DecodeStep one token per row with caches.
//
// Weights come from a WeightMap whose names follow transformers' MarianMTModel state_dict
// ("model.encoder.layers.0.self_attn.q_proj.weight", "model.shared.weight", "final_logits_bias", ...).
// Every expected tensor is checked for presence and shape; errors name the tensor and the file.
// Thread-safety: after construction the model is immutable; Encode/DecodeStep may run concurrently on
// different EncoderOutput/DecoderState objects. Each splits its GEMMs and attention rows over the engine's
// ThreadPool (kernels/thread_pool.h), whose results do not depend on the thread count.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/compute_type.h"
#include "engine/io/mapped_file.h"
#include "engine/io/weights.h"
#include "engine/kernels/gemm.h"
#include "engine/kernels/int8_gemm.h"
#include "engine/model_config.h"
#include "util/status.h"

namespace dolmetsch::engine {

// Weights are float32 pointers into the mapped checkpoint (model.safetensors) or into tensors the model
// owns (pytorch_model.bin, converted dtypes); with ComputeType::kInt8 the linear layers hold an int8 copy,
// with kFloat32 a copy laid out for the packed float32 kernels (kernels::PackedFloatMatrix, every CPU), and
// their weights as loaded are dropped from memory.
struct Linear {
  int out = 0, in = 0;
  const float* weight = nullptr;      // [out, in], as nn.Linear stores it; nullptr once quantized or packed
  const float* bias = nullptr;        // [out] or nullptr
  kernels::Int8Matrix int8;           // used when int8.rows > 0
  kernels::PackedFloatMatrix packed;  // used when packed.rows > 0
  void Forward(const float* x, float* y, int rows) const;
};

struct LayerNormWeights {
  const float* gamma = nullptr;
  const float* beta = nullptr;
};

struct AttentionWeights {
  Linear q, k, v, out;
};

struct EncoderLayerWeights {
  AttentionWeights self_attn;
  LayerNormWeights self_attn_norm;
  Linear fc1, fc2;
  LayerNormWeights final_norm;
};

struct DecoderLayerWeights {
  AttentionWeights self_attn;
  LayerNormWeights self_attn_norm;
  AttentionWeights cross_attn;
  LayerNormWeights cross_attn_norm;
  Linear fc1, fc2;
  LayerNormWeights final_norm;
};

// The encoder's result for a padded batch: hidden[b][s][d] for s < max_len; rows at s >= lengths[b] are
// computed but meaningless.
struct EncoderOutput {
  int batch = 0, max_len = 0, d_model = 0;
  std::vector<int> lengths;
  std::vector<float> hidden;
  const float* row(int b, int s) const {
    return hidden.data() + (static_cast<size_t>(b) * max_len + s) * d_model;
  }
};

// Per-search decoder memory. Rows are hypotheses (batch x beams); row_batch maps a row to its input.
// Buffers grow geometrically when the sequence outgrows them, so steps do not allocate in steady state.
// Beam reordering copies no keys or values: the caches have one row per hypothesis the search started with
// (cache rows), step t of hypothesis r writes cache row r at position t, and origin says which cache row
// holds each earlier position of a hypothesis. Reordering permutes origin (rows x steps ints).
struct DecoderState {
  int rows = 0;
  int steps = 0;       // tokens already fed
  int capacity = 0;    // positions the self-attention caches hold
  int cache_rows = 0;  // rows of the self-attention caches: the rows at StartDecoding
  std::vector<int> row_batch;
  std::vector<int> source_lengths;  // per batch item
  int source_max_len = 0;
  // Per decoder layer: self-attention keys/values [cache_rows][heads][capacity][head_dim] and
  // cross-attention keys/values [batch][heads][source_max_len][head_dim], the latter computed once.
  // The self-attention caches are float32, or IEEE half precision for the int8 compute type (half_caches:
  // half the memory and the bandwidth of the step's largest reads, a rounding far finer than int8's).
  // They are left uninitialized: a position is written before it is read, and pages never written are
  // never touched.
  bool half_caches = false;
  std::vector<std::unique_ptr<float[]>> self_k, self_v;
  std::vector<std::unique_ptr<unsigned short[]>> half_k, half_v;
  std::vector<std::vector<float>> cross_k, cross_v;
  std::vector<int> origin;  // [cache_rows][capacity]: cache row of hypothesis r's position j, for j < steps
  // Word alignment (engine/alignment.h), set by the caller after StartDecoding; align_layer -1: off (no
  // probability is kept). When on, each DecodeStep writes align[r][s] (rows x source_max_len, positions at
  // or past the row's source length 0): the cross-attention probabilities of decoder layer align_layer
  // averaged over the heads with align_heads[h] set, for this step's query of row r.
  int align_layer = -1;
  std::vector<char> align_heads;  // one flag per decoder head (empty: all heads)
  std::vector<float> align;
  // Scratch, sized on first use (scores: one attention row per parallel task).
  std::vector<float> x, q, k, v, attn, proj, ffn, scores;
  std::vector<int> origin_scratch;
};

class MarianModel {
 public:
  // `source_name` (the weights file) is used in error messages.
  // `mapping` keeps borrowed tensors (MapSafetensorsFile) alive; nullptr when all tensors own their values.
  static StatusOr<std::unique_ptr<MarianModel>> FromWeights(
      WeightMap weights, const ModelConfig& config, const std::string& source_name,
      ComputeType compute_type = ComputeType::kFloat32, std::shared_ptr<const MappedFile> mapping = nullptr);
  // Reads model.safetensors, or pytorch_model.bin when there is no safetensors file.
  static StatusOr<std::unique_ptr<MarianModel>> Load(const std::string& model_dir, const ModelConfig& config,
                                                     ComputeType compute_type = ComputeType::kFloat32);

  const ModelConfig& config() const { return config_; }
  ComputeType compute_type() const { return compute_type_; }

  // ids: one token id sequence per input (each non-empty, ids < vocab_size, length <= max positions).
  // `stop` (may be empty) is polled before every layer; when it returns true, Encode returns false at once
  // and *out is incomplete (cancellation, engine/cancellation.h).
  bool Encode(const std::vector<std::vector<int>>& ids, EncoderOutput* out,
              const std::function<bool()>& stop = nullptr) const;

  // Prepares `state` for decoding `row_batch.size()` rows over `encoded` (computes cross-attention K/V).
  // `max_steps` (0: unknown) bounds the tokens the search will feed, so caches are not made larger.
  void StartDecoding(const EncoderOutput& encoded, const std::vector<int>& row_batch, DecoderState* state,
                     int max_steps = 0) const;
  // Feeds one token per row at position state->steps; writes raw logits [rows][decoder_vocab_size]
  // (lm_head + final_logits_bias), and state->align when state->align_layer >= 0.
  void DecodeStep(const std::vector<int>& tokens, DecoderState* state, float* logits) const;
  // Row r of the new state is row source_rows[r] of the old one (beam reordering); rows may shrink.
  void ReorderRows(const std::vector<int>& source_rows, DecoderState* state) const;

 private:
  MarianModel() = default;
  void EnsureCapacity(DecoderState* state, int positions) const;
  // Quantizes (int8) or packs (float32) every linear layer and the output projection, and drops
  // their weights as loaded.
  void ConvertLinears();
  // After ConvertLinears with a mapped file: copies the small tensors still borrowed from the mapping
  // (biases, norms, positions) into owned memory and drops all of the mapping's pages, so that translating
  // never touches the mapping again: embedding rows are then read with MappedFile::CopyOut.
  void DetachFromMapping();
  // Row `id` of an embedding table (encoder_embed_ or decoder_embed_): a pointer into the table, or after
  // DetachFromMapping a copy in `scratch` (d_ floats).
  const float* EmbeddingRow(const float* table, int id, float* scratch) const;

  ModelConfig config_;
  ComputeType compute_type_ = ComputeType::kFloat32;
  int d_ = 0;
  std::shared_ptr<const MappedFile> mapping_;         // borrowed tensors live here
  bool detached_ = false;                             // DetachFromMapping ran
  std::map<const float*, std::vector<float>> owned_;  // the others, keyed by their data
  const float* encoder_embed_ = nullptr;              // [vocab_size, d]
  const float* decoder_embed_ = nullptr;              // [decoder_vocab_size, d] (may equal encoder_embed_)
  Linear output_projection_;      // lm_head or the tied decoder embeddings, with final_logits_bias
  std::vector<float> zero_bias_;  // final_logits_bias when the checkpoint has none
  const float* encoder_positions_ = nullptr;  // [max_positions, d]
  const float* decoder_positions_ = nullptr;
  std::vector<EncoderLayerWeights> encoder_layers_;
  std::vector<DecoderLayerWeights> decoder_layers_;
};

}  // namespace dolmetsch::engine
