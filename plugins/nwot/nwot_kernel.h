// The NASWOT (v2) kernel of a set of tap responses, header-only so the tests can check it on
// hand-made inputs. See nwot.cpp for the formula and the reference.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "binary_codes.h"

namespace nas_nwot {

// Same tensor seen by several taps: identical data pointer, sizes and strides. All the
// responses are alive together, so two different tensors can never compare equal.
inline bool same_tensor(const at::Tensor& a, const at::Tensor& b) {
  return a.data_ptr() == b.data_ptr() && a.sizes() == b.sizes() && a.strides() == b.strides();
}

// K = sum over responses of c cᵀ + (1 - c)(1 - c)ᵀ with c = 1[response > 0] viewed as
// (N, -1), as an exact int64 N x N matrix. Undefined responses are skipped. Each distinct
// tensor is packed and compared once, then added once per response that reads it.
inline at::Tensor naswot_kernel(const std::vector<at::Tensor>& responses, std::int64_t n) {
  std::vector<at::Tensor> distinct;
  std::vector<std::int64_t> multiplicity;
  for (const at::Tensor& r : responses) {
    if (!r.defined()) continue;
    TORCH_CHECK(r.size(0) == n, "nwot: a tap response has ", r.size(0), " samples, expected ", n);
    bool found = false;
    for (std::size_t i = 0; i < distinct.size() && !found; ++i) {
      if (same_tensor(distinct[i], r)) {
        ++multiplicity[i];
        found = true;
      }
    }
    if (!found) {
      distinct.push_back(r);
      multiplicity.push_back(1);
    }
  }
  at::Tensor k = at::zeros({n, n}, at::kLong);
  for (std::size_t i = 0; i < distinct.size(); ++i) {
    const nas_codes::PackedRows rows =
        nas_codes::pack_rows(nas_codes::positive_mask(distinct[i].detach(), n));
    nas_codes::add_hamming_kernel(rows, multiplicity[i], k.data_ptr<std::int64_t>());
  }
  return k;
}

}  // namespace nas_nwot
