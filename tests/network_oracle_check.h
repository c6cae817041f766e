// A built network against the numbers an independent Python model of it printed (the space's
// tools/*_oracle.py): under the same seeds, the same parameter names, weights and logits.
// Shared by the darts and nb201 tests; also the logit comparison their supernet oracles use.
#pragma once

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nas/network.h"
#include "nas/search_space.h"
#include "nas/seed.h"

namespace nas::test {

// Each of `logits` (flattened) within `tolerance` of `expected`, and as many of them.
inline void expect_logits_near(const at::Tensor& logits, const std::vector<double>& expected,
                               double tolerance) {
  ASSERT_EQ(logits.numel(), static_cast<std::int64_t>(expected.size()));
  const at::Tensor flat = logits.flatten();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(flat[static_cast<std::int64_t>(i)].item<double>(), expected[i], tolerance)
        << "logit " << i;
  }
}

// What the oracle printed for `arch` built at the default NetSpec under build_seed, then fed
// a (2, 3, 32, 32) standard normal batch drawn under input_seed.
struct NetworkOracleCase {
  std::string arch;
  std::uint64_t build_seed, input_seed;
  std::int64_t params;
  std::size_t tensors;
  std::uint64_t names_hash;  // nas::hash_string of the names in order, joined by spaces
  double weight_sum, weight_abs_sum;
  std::vector<float> stem_weight, classifier_weight, logits;  // the first 3, 3 and all
};

// `logit_tolerance`: float kernels may sum in another order than PyTorch's.
inline void expect_network_matches_oracle(const nas::SearchSpace& space, const NetworkOracleCase& c,
                                          double logit_tolerance) {
  SCOPED_TRACE(c.arch);
  at::manual_seed(c.build_seed);
  auto net = space.build(space.parse(c.arch), nas::NetSpec{});
  const auto named = net->named_parameters();
  std::string names;
  std::vector<at::Tensor> flat;
  for (const auto& item : named) {
    names += (names.empty() ? "" : " ") + item.key();
    flat.push_back(item.value().detach().flatten());
  }
  EXPECT_EQ(named.size(), c.tensors);
  EXPECT_EQ(nas::hash_string(names), c.names_hash);
  const at::Tensor all = at::cat(flat).to(at::kDouble);
  EXPECT_EQ(all.numel(), c.params);
  EXPECT_NEAR(all.sum().item<double>(), c.weight_sum, 1e-9 * c.weight_abs_sum);
  EXPECT_NEAR(all.abs().sum().item<double>(), c.weight_abs_sum, 1e-9 * c.weight_abs_sum);
  for (std::size_t i = 0; i < 3; ++i) {  // the initial weights are bit-identical
    EXPECT_EQ(named["stem.0.weight"].flatten()[i].item<float>(), c.stem_weight[i]);
    EXPECT_EQ(named["classifier.weight"].flatten()[i].item<float>(), c.classifier_weight[i]);
  }
  at::manual_seed(c.input_seed);
  const at::Tensor input = at::randn({2, 3, 32, 32});
  at::NoGradGuard no_grad;
  expect_logits_near(net->forward(input), std::vector<double>(c.logits.begin(), c.logits.end()),
                     logit_tolerance);
}

}  // namespace nas::test
