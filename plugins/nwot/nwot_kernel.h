// The NASWOT (v2) kernel of a set of tap responses, header-only so the tests can check it on
// hand-made inputs. See nwot.cpp for the formula and the reference.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "binary_codes.h"
#include "nas/network.h"

namespace nas_nwot {

// K = sum over responses of c cᵀ + (1 - c)(1 - c)ᵀ with c = 1[response > 0] viewed as
// (N, -1), as an exact int64 N x N matrix. Undefined responses are skipped. Each distinct
// tensor is packed and compared once, then added once per response that reads it.
inline at::Tensor naswot_kernel(const std::vector<at::Tensor>& responses, std::int64_t n) {
  const std::vector<nas::DistinctResponse> distinct = nas::distinct_tensors(responses);
  for (const nas::DistinctResponse& d : distinct) {
    TORCH_CHECK(d.tensor.size(0) == n, "nwot: a tap response has ", d.tensor.size(0),
                " samples, expected ", n);
  }
  at::Tensor k = at::zeros({n, n}, at::kLong);
  for (const nas::DistinctResponse& d : distinct) {
    const nas_codes::PackedRows rows =
        nas_codes::pack_rows(nas_codes::positive_mask(d.tensor.detach(), n));
    nas_codes::add_hamming_kernel(rows, static_cast<std::int64_t>(d.taps.size()),
                                  k.data_ptr<std::int64_t>());
  }
  return k;
}

}  // namespace nas_nwot
