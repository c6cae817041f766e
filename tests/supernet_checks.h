// A space's supernet (its pruning view, nas/search_space.h) checked against what it stands for:
// the discrete network it reduces to with one survivor per edge, and the alive matrix as the
// TE-NAS-style Python supernets (tests/oracle/*_supernet.py) read it. Shared by the darts and
// nb201 tests.
#pragma once

#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nas/network.h"
#include "nas/search_space.h"
#include "space_plugin.h"

namespace nas::test {

using Alive = std::vector<std::vector<bool>>;

// `alive` as rows of 0 and 1.
inline nlohmann::json alive_json(const Alive& alive) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : alive) {
    nlohmann::json bits = nlohmann::json::array();
    for (bool b : row) bits.push_back(b ? 1 : 0);
    rows.push_back(bits);
  }
  return rows;
}

// The supernet of `alive` (one survivor per edge: `arch`'s ops) is `arch`'s discrete network:
// built under one seed, it has the same parameter count, taps, units and blocks, holds every
// tensor of the discrete network under the name `supernet_name` maps it to, and once those are
// copied in gives bit-identical logits (train mode, as proxies probe). The weights are copied
// rather than compared because a supernet creates every op of an edge, so one seed draws other
// weights for it.
inline void expect_supernet_is_the_discrete_network(
    const nas::SearchSpace& space, const nas::Arch& arch, const Alive& alive,
    const nas::NetSpec& spec, const std::function<std::string(const std::string&)>& supernet_name,
    std::uint64_t build_seed, std::uint64_t input_seed) {
  at::manual_seed(build_seed);
  auto discrete = space.build(arch, spec);
  at::manual_seed(build_seed);
  auto super = space.build_supernet(alive, spec);

  EXPECT_EQ(param_count(*super), space.params(arch, spec));
  EXPECT_EQ(param_count(*super), param_count(*discrete));
  ASSERT_EQ(super->taps().size(), discrete->taps().size());
  for (std::size_t i = 0; i < super->taps().size(); ++i) {
    EXPECT_EQ(super->taps()[i]->block(), discrete->taps()[i]->block()) << "tap " << i;
    EXPECT_EQ(super->taps()[i]->is_head(), discrete->taps()[i]->is_head()) << "tap " << i;
  }
  EXPECT_EQ(super->relu_conv_units().size(), discrete->relu_conv_units().size());
  EXPECT_EQ(super->num_blocks(), discrete->num_blocks());

  at::NoGradGuard no_grad;
  auto super_params = super->named_parameters();
  auto super_buffers = super->named_buffers();
  ASSERT_EQ(super_params.size(), discrete->named_parameters().size());
  ASSERT_EQ(super_buffers.size(), discrete->named_buffers().size());
  for (const auto& item : discrete->named_parameters()) {
    const std::string name = supernet_name(item.key());
    ASSERT_TRUE(super_params.contains(name)) << item.key() << " -> " << name;
    super_params[name].copy_(item.value());
  }
  for (const auto& item : discrete->named_buffers()) {
    const std::string name = supernet_name(item.key());
    ASSERT_TRUE(super_buffers.contains(name)) << item.key() << " -> " << name;
    super_buffers[name].copy_(item.value());
  }
  at::manual_seed(input_seed);
  const at::Tensor input = at::randn({2, spec.in_channels, spec.input_size, spec.input_size});
  EXPECT_TRUE(super->forward(input).equal(discrete->forward(input)));
}

}  // namespace nas::test
