// Conformance kit: GoogleTest checks that any proxy plugin keeps the Proxy contract.
//
// In the spirit of Ceres' manifold_test_utils.h: a plugin author writes
//
//   #include "nas/testing/conformance_kit.h"
//   TEST(MyProxy, Conforms) { nas::testing::ExpectProxyConforms("my_proxy"); }
//
// and links GTest::gtest_main and nas::core. The checks, on a handful of architectures of a
// space (NB201 by default) with synthetic data:
// * finite: the score is finite for cells whose input reaches the output;
// * deterministic: the same seed gives the same score, and a fresh engine agrees;
// * isolated: the proxy leaves the shared network, its BatchNorm statistics, the batch and
//   the shared pass results untouched (ProbeOptions::check_isolation);
// * honest about its needs: every access it makes is one it declared (ProbeContext refuses
//   the rest, which shows up as an error status), and a proxy that declares no labels gives
//   the same score when the labels are permuted;
// * independent: its score alone equals its score next to other proxies.
// This is a torch-level header for test code.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "nas/dataset.h"
#include "nas/params.h"
#include "nas/plugin_loader.h"
#include "nas/probe_engine.h"
#include "nas/proxy.h"
#include "nas/registry.h"
#include "nas/search_space.h"

namespace nas::testing {

struct ConformanceOptions {
  std::string space = "nb201";
  std::string dataset = "synthetic";
  std::vector<std::string> archs = {
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_"
      "connect~2|",
      "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
      "|nor_conv_1x1~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|nor_conv_3x3~1|nor_conv_"
      "1x1~2|"};
  std::int64_t batch_size = 16;
  std::uint64_t seed = 7;
  // Proxies to run beside the one under test (must be loadable); empty = none.
  std::vector<std::string> companions = {"params"};
  // Parameter overrides per proxy (e.g. fewer repeats to keep a test suite fast).
  std::map<std::string, std::map<std::string, ParamValue>> params;
};

namespace detail {

// Wraps a dataset and permutes its labels, to show a label-free proxy does not read them.
class PermutedLabels : public Dataset {
 public:
  explicit PermutedLabels(std::shared_ptr<const Dataset> inner) : inner_(std::move(inner)) {}
  DataShape shape() const override { return inner_->shape(); }
  Batch batch(std::int64_t size, std::uint64_t seed, Split split) const override {
    Batch b = inner_->batch(size, seed, split);
    const auto classes = inner_->shape().num_classes;
    b.labels = (b.labels + 1) % classes;
    return b;
  }

 private:
  std::shared_ptr<const Dataset> inner_;
};

inline std::vector<ProxySlot> make_slots(
    const std::vector<std::string>& names,
    const std::map<std::string, std::map<std::string, ParamValue>>& overrides = {}) {
  std::vector<ProxySlot> slots;
  for (const auto& name : names) {
    const auto& c = Registry::global().proxies.get(name);
    ProxySlot s;
    s.name = name;
    Params params = Params::defaults(c.schema, name);
    if (auto it = overrides.find(name); it != overrides.end()) {
      for (const auto& [key, value] : it->second) params.set(key, value);
    }
    s.proxy = c.create(params);
    s.info = s.proxy->info();
    slots.push_back(std::move(s));
  }
  return slots;
}

inline std::vector<ScoreRecord> score_all(const std::vector<std::string>& names,
                                          std::shared_ptr<const SearchSpace> space,
                                          std::shared_ptr<const Dataset> data,
                                          const ConformanceOptions& o, const Arch& arch) {
  ProbeOptions options;
  options.seed = o.seed;
  options.batch_size = o.batch_size;
  const DataShape shape = data->shape();
  options.net.in_channels = shape.channels;
  options.net.input_size = shape.size;
  options.net.num_classes = shape.num_classes;
  options.check_isolation = true;
  ProbeEngine engine(space, data, make_slots(names, o.params), options);
  return engine.evaluate_one(arch).scores;
}

inline bool same_score(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace detail

inline void ExpectProxyConforms(const std::string& proxy,
                                const ConformanceOptions& options = ConformanceOptions()) {
  load_plugins();
  Registry& reg = Registry::global();
  ASSERT_NE(reg.proxies.find(proxy), nullptr) << "proxy '" << proxy << "' is not loaded";
  const auto& sc = reg.spaces.get(options.space);
  std::shared_ptr<const SearchSpace> space = sc.create(Params::defaults(sc.schema, options.space));
  const auto& dc = reg.datasets.get(options.dataset);
  std::shared_ptr<const Dataset> data = dc.create(Params::defaults(dc.schema, options.dataset));
  const ProxyInfo info = detail::make_slots({proxy}, options.params)[0].info;

  for (const auto& text : options.archs) {
    const Arch arch = space->parse(text);
    SCOPED_TRACE(proxy + " on " + text);
    auto alone = detail::score_all({proxy}, space, data, options, arch);
    ASSERT_EQ(alone.size(), 1u);
    const ScoreRecord& r = alone[0];
    EXPECT_EQ(r.status, ScoreStatus::kOk) << to_string(r.status) << ": " << r.message;
    EXPECT_TRUE(std::isfinite(r.score)) << r.score;
    EXPECT_EQ(r.proxy, proxy);
    EXPECT_EQ(r.version, info.version);

    auto again = detail::score_all({proxy}, space, data, options, arch);
    EXPECT_TRUE(detail::same_score(r.score, again[0].score))
        << "not deterministic: " << r.score << " then " << again[0].score;

    if (!options.companions.empty()) {
      std::vector<std::string> together = options.companions;
      bool listed = false;
      for (const auto& c : together) listed = listed || c == proxy;
      if (!listed) {
        together.insert(together.begin(), proxy);
        auto with = detail::score_all(together, space, data, options, arch);
        EXPECT_TRUE(detail::same_score(r.score, with[0].score))
            << "score changes next to other proxies: " << r.score << " vs " << with[0].score;
      }
    }

    if (!info.needs_labels && info.needs_network) {
      auto permuted = detail::score_all(
          {proxy}, space, std::make_shared<detail::PermutedLabels>(data), options, arch);
      EXPECT_TRUE(detail::same_score(r.score, permuted[0].score))
          << "declares no labels but its score depends on them";
    }
  }
}

}  // namespace nas::testing
