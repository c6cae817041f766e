// The WRCor kernel, header-only so the tests can check it against a naive recomputation.
// See wrcor.cpp for the formula, the reference and the choices.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace nas_wrcor {

// |corr| between the rows of x viewed as (n, -1), as numpy.corrcoef computes it (rows centred
// over their own entries, clipped to [-1, 1]) and then made absolute: one Gram product Z Zᵀ.
// Returns an undefined tensor when the matrix has a NaN (a zero-variance row: the reference
// skips such a term). `single` runs the centring and the Gram product in float32; the
// normalisation is float64 either way.
inline at::Tensor abs_row_correlation(const at::Tensor& x, std::int64_t n, bool single) {
  at::Tensor z = x.detach().reshape({n, -1}).to(single ? at::kFloat : at::kDouble);
  z = z - z.mean(1, /*keepdim=*/true);  // out of place: never writes into a shared tensor
  at::Tensor gram = at::mm(z, z.t()).to(at::kDouble);
  at::Tensor d = gram.diagonal().sqrt();
  at::Tensor c = gram / d.unsqueeze(1) / d.unsqueeze(0);
  if (c.isnan().any().item<bool>()) return at::Tensor();
  return c.abs().clamp_max_(1.0);
}

struct Term {
  at::Tensor tensor;  // an activation or gradient (N, ...), read only
  double weight;
};

// K = sum over terms of weight * |corr(tensor)| in float64 (N x N). Terms whose tensor is the
// same (data pointer, sizes, strides) share one correlation, computed once; a NaN matrix is
// skipped for every term that reads it. Undefined tensors are skipped.
inline at::Tensor weighted_kernel(const std::vector<Term>& terms, std::int64_t n, bool single) {
  struct Distinct {
    at::Tensor tensor;
    double weight;
  };
  std::vector<Distinct> distinct;
  for (const Term& t : terms) {
    if (!t.tensor.defined()) continue;
    TORCH_CHECK(t.tensor.size(0) == n, "wrcor: a response has ", t.tensor.size(0),
                " samples, expected ", n);
    bool found = false;
    for (Distinct& d : distinct) {
      if (d.tensor.data_ptr() == t.tensor.data_ptr() && d.tensor.sizes() == t.tensor.sizes() &&
          d.tensor.strides() == t.tensor.strides()) {
        d.weight += t.weight;
        found = true;
        break;
      }
    }
    if (!found) distinct.push_back({t.tensor, t.weight});
  }
  at::Tensor k = at::zeros({n, n}, at::kDouble);
  for (const Distinct& d : distinct) {
    at::Tensor c = abs_row_correlation(d.tensor, n, single);
    if (c.defined()) k.add_(c, d.weight);
  }
  return k;
}

}  // namespace nas_wrcor
