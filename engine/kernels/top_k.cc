#include "engine/kernels/top_k.h"

#include <algorithm>
#include <vector>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/top_k_kernels.h"

namespace dolmetsch::engine::kernels {

namespace internal {

#include "engine/kernels/top_k_scan.inc"

void TopKScanScalar(const float* x, int begin, int n, int k, float* values, int* indices) {
  ScanScalar(x, begin, n, k, values, indices);
}

}  // namespace internal

int TopK(const float* x, int n, int k, float* values, int* indices) {
  if (k <= 0 || n <= 0) return 0;
  const int m = std::min(k, n);
  // The first m values all enter. Without NaN among them the list stays totally ordered, and the kernels'
  // block compare against the k-th value is exact; a NaN in there (never seen in practice) takes the
  // reference path, whose upper_bound on a list holding NaN is what has to be reproduced.
  for (int i = 0; i < m; ++i) {
    if (x[i] != x[i]) return ReferenceTopK(x, n, k, values, indices);
  }
  for (int i = 0; i < m; ++i) {
    int j = i;
    for (; j > 0 && values[j - 1] < x[i]; --j) {  // after every value >= x[i]: the lower index wins ties
      values[j] = values[j - 1];
      indices[j] = indices[j - 1];
    }
    values[j] = x[i];
    indices[j] = i;
  }
  if (n > m) {
    static const CpuFeatures& f = GetCpuFeatures();
    if (f.avx512bw) {
      internal::TopKScanAvx512(x, m, n, k, values, indices);
    } else if (f.avx2) {
      internal::TopKScanAvx2(x, m, n, k, values, indices);
    } else {
      internal::TopKScanScalar(x, m, n, k, values, indices);
    }
  }
  return m;
}

int ReferenceTopK(const float* x, int n, int k, float* values, int* indices) {
  // engine/search.cc's TopOfRow before the kernels, unchanged.
  struct Candidate {
    float score;
    int flat;
  };
  auto better = [](const Candidate& a, const Candidate& b) {
    return a.score != b.score ? a.score > b.score : a.flat < b.flat;
  };
  std::vector<Candidate> top;
  if (k <= 0) return 0;
  for (int i = 0; i < n; ++i) {
    if (static_cast<int>(top.size()) == k && !(x[i] > top.back().score)) continue;
    Candidate c{x[i], i};
    auto pos = std::upper_bound(top.begin(), top.end(), c, better);
    if (static_cast<int>(top.size()) == k) top.pop_back();
    top.insert(pos, c);
  }
  for (size_t i = 0; i < top.size(); ++i) {
    values[i] = top[i].score;
    indices[i] = top[i].flat;
  }
  return static_cast<int>(top.size());
}

}  // namespace dolmetsch::engine::kernels
