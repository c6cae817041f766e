// mix_survivors: what one slot of a supernet (SearchSpace::build_supernet, nas/search_space.h)
// outputs, for the spaces' network code.
//
// Contract:
// * TE-NAS mixes a slot as sum(w_o * op_o(x)) over the ops whose w_o = softmax(alpha)_o
//   exceeds 0.01, alpha 0 for a survivor and -1000 for a pruned op. With k survivors each w is
//   1/k as its float32 softmax gives it; mix_survivors multiplies each survivor's output by
//   that float 1/k and sums the products left to right in the order of `ops`, so a supernet
//   rounds as TE-NAS's does (its Python oracles check this bit for bit).
// * One survivor is that op's output alone (TE-NAS multiplies by exactly 1.0 there), so a
//   supernet with one survivor per slot computes its discrete network exactly.
// * `ops` holds the survivors only (pruned ops are not evaluated) and is not empty; each is
//   a pointer to a module with forward(const at::Tensor&) -> at::Tensor, evaluated once, in
//   order.
// An ATen-level header (no <torch/torch.h>): include it only where networks are built.
#pragma once

#include <cstddef>
#include <vector>

#include <ATen/core/Tensor.h>

namespace nas {

template <typename OpPtr>
at::Tensor mix_survivors(const std::vector<OpPtr>& ops, const at::Tensor& x) {
  if (ops.size() == 1) return ops.front()->forward(x);
  const double weight = static_cast<float>(1.0 / static_cast<double>(ops.size()));
  at::Tensor sum;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    at::Tensor term = ops[i]->forward(x).mul(weight);
    sum = i == 0 ? term : sum.add(term);
  }
  return sum;
}

}  // namespace nas
