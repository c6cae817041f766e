// The WRCor kernel, header-only so the tests can check it against a naive recomputation.
// See wrcor.cpp for the formula, the reference and the choices.
#pragma once

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "nas/network.h"
#include "nas/proxy_kit.h"

namespace nas_wrcor {

// |corr| from the Gram matrix of centred rows, normalised in float64; undefined when it has a
// NaN (a zero-variance row: the reference skips such a term).
inline at::Tensor abs_correlation_from_gram(const at::Tensor& gram) {
  at::Tensor c = nas::correlation_from_gram(gram);
  if (c.isnan().any().item<bool>()) return at::Tensor();
  return c.abs().clamp_max_(1.0);
}

// |corr| between the rows of x viewed as (n, -1), as numpy.corrcoef computes it (rows centred
// over their own entries, clipped to [-1, 1]) and then made absolute: one symmetric Gram
// product Z Zᵀ (nas::centred_row_grams). Undefined when the matrix has a NaN. `single` runs the
// centring and the Gram product in float32; the normalisation is float64 either way.
inline at::Tensor abs_row_correlation(const at::Tensor& x, std::int64_t n, bool single) {
  return abs_correlation_from_gram(nas::centred_row_grams({x}, n, single, 1)[0]);
}

struct Term {
  at::Tensor tensor;  // an activation or gradient (N, ...), read only
  double weight;
};

// K = sum over terms of weight * |corr(tensor)| in float64 (N x N). Terms whose tensor is the
// same (data pointer, sizes, strides) share one correlation, computed once; a NaN matrix is
// skipped for every term that reads it. Undefined tensors are skipped.
inline at::Tensor weighted_kernel(const std::vector<Term>& terms, std::int64_t n, bool single) {
  std::vector<at::Tensor> all;
  for (const Term& t : terms) all.push_back(t.tensor);
  const std::vector<nas::DistinctResponse> distinct = nas::distinct_tensors(all);
  std::vector<at::Tensor> tensors;
  std::vector<double> weights;
  for (const nas::DistinctResponse& d : distinct) {
    TORCH_CHECK(d.tensor.size(0) == n, "wrcor: a response has ", d.tensor.size(0),
                " samples, expected ", n);
    double weight = 0.0;  // summed in term order
    for (std::size_t i : d.taps) weight += terms[i].weight;
    tensors.push_back(d.tensor);
    weights.push_back(weight);
  }
  // The products are independent: nas::centred_row_grams shares them out over the intra-op
  // threads; they are added here in a fixed order, so K is the same for any thread count.
  const std::vector<at::Tensor> grams =
      nas::centred_row_grams(tensors, n, single, at::get_num_threads());
  at::Tensor k = at::zeros({n, n}, at::kDouble);
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const at::Tensor c = abs_correlation_from_gram(grams[i]);
    if (c.defined()) k.add_(c, weights[i]);
  }
  return k;
}

}  // namespace nas_wrcor
