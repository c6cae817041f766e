// Conformance kit: GoogleTest checks that any proxy plugin keeps the Proxy contract.
//
// In the spirit of Ceres' manifold_test_utils.h: a plugin author writes
//
//   #include "nas/testing/conformance_kit.h"
//   TEST(MyProxy, Conforms) { nas::testing::ExpectProxyConforms("my_proxy"); }
//
// and links GTest::gtest_main and nas::core. The checks, on a handful of architectures of a
// space (NB201 by default) with synthetic data:
// * finite: the score is finite and its status ok for cells whose input reaches the output;
// * deterministic: the same seed gives the same score, and a fresh engine agrees;
// * isolated: the proxy leaves the shared network, its BatchNorm statistics, the batch and
//   the shared pass results untouched (ProbeOptions::check_isolation), and leaves torch's
//   global generator where it was (the next global draw is the one its seed gives);
// * honest about its needs: every access it makes is one it declared (ProbeContext refuses
//   the rest, which shows up as an error status), and a proxy that declares no labels gives
//   the same score when the labels are permuted;
// * independent: its score alone equals its score next to other proxies;
// * re-entrant: one proxy object scoring the architectures on two workers at once gives each
//   the score that one worker gives it (no state kept between calls, no data race).
// CheckProxyConforms returns the verdict as a list of problems, so tests can show that a
// misbehaving proxy is caught; ExpectProxyConforms fails the test with that list.
// This is a torch-level header for test code.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "nas/dataset.h"
#include "nas/params.h"
#include "nas/plugin_loader.h"
#include "nas/probe_engine.h"
#include "nas/proxy.h"
#include "nas/registry.h"
#include "nas/search_space.h"
#include "nas/threads.h"

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
  // Where the proxy, space and dataset are looked up; null: Registry::global(), after
  // load_plugins().
  const Registry* registry = nullptr;
};

// What the kit found: one line per broken promise, naming the check and the architecture.
struct ConformanceVerdict {
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
  std::string text() const {
    std::string out;
    for (const auto& p : problems) out += p + "\n";
    return out;
  }
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

inline const Registry& registry_of(const ConformanceOptions& o) {
  if (o.registry) return *o.registry;
  load_plugins();
  return Registry::global();
}

inline std::vector<ProxySlot> make_slots(
    const std::vector<std::string>& names,
    const std::map<std::string, std::map<std::string, ParamValue>>& overrides = {},
    const Registry& registry = Registry::global()) {
  std::vector<ProxySlot> slots;
  for (const auto& name : names) {
    const auto& c = registry.proxies.get(name);
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

inline ProbeOptions probe_options(const ConformanceOptions& o, const Dataset& data) {
  ProbeOptions options;
  options.seed = o.seed;
  options.batch_size = o.batch_size;
  options.net = net_spec_for(data.shape());
  options.check_isolation = true;
  return options;
}

inline std::vector<ScoreRecord> score_all(const std::vector<std::string>& names,
                                          std::shared_ptr<const SearchSpace> space,
                                          std::shared_ptr<const Dataset> data,
                                          const ConformanceOptions& o, const Arch& arch) {
  ProbeEngine engine(space, data, make_slots(names, o.params, registry_of(o)),
                     probe_options(o, *data));
  return engine.evaluate_one(arch).scores;
}

inline bool same_score(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

inline std::string show(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

}  // namespace detail

inline ConformanceVerdict CheckProxyConforms(
    const std::string& proxy, const ConformanceOptions& options = ConformanceOptions()) {
  ConformanceVerdict verdict;
  auto problem = [&](const std::string& text) { verdict.problems.push_back(text); };
  const Registry& reg = detail::registry_of(options);
  if (reg.proxies.find(proxy) == nullptr) {
    problem("proxy '" + proxy + "' is not loaded");
    return verdict;
  }
  // One thread setting for every run below, so that the scores compared were computed alike.
  set_compute_threads(at::get_num_threads());
  const int torch_threads = at::get_num_threads();
  const auto& sc = reg.spaces.get(options.space);
  std::shared_ptr<const SearchSpace> space = sc.create(Params::defaults(sc.schema, options.space));
  const auto& dc = reg.datasets.get(options.dataset);
  std::shared_ptr<const Dataset> data = dc.create(Params::defaults(dc.schema, options.dataset));
  const ProxyInfo info = detail::make_slots({proxy}, options.params, reg)[0].info;

  std::vector<Arch> archs;
  std::vector<double> alone_scores;
  for (const auto& text : options.archs) {
    const Arch arch = space->parse(text);
    const std::string on = " (" + proxy + " on " + text + ")";
    auto alone = detail::score_all({proxy}, space, data, options, arch);
    if (alone.size() != 1) {
      problem("the engine returned " + std::to_string(alone.size()) + " records, not 1" + on);
      continue;
    }
    const ScoreRecord& r = alone[0];
    archs.push_back(arch);
    alone_scores.push_back(r.score);
    if (r.status != ScoreStatus::kOk)
      problem(std::string("status ") + to_string(r.status) + ": " + r.message + on);
    else if (!std::isfinite(r.score))
      problem("score " + detail::show(r.score) + " is not finite" + on);
    if (r.proxy != proxy) problem("the record names proxy '" + r.proxy + "'" + on);
    if (r.version != info.version) problem("the record has version '" + r.version + "'" + on);

    // Again, on a fresh engine, with torch's global generator seeded just before the proxy
    // runs: the next global draw must be the one that seed gives.
    {
      ProbeEngine engine(space, data, detail::make_slots({proxy}, options.params, reg),
                         detail::probe_options(options, *data));
      auto prepared = engine.prepare(arch);  // seeds the global generator for the network
      at::manual_seed(20240611);
      const Evaluation again = engine.run(*prepared);
      const double draw = at::randn({1}).item<double>();
      at::manual_seed(20240611);
      if (draw != at::randn({1}).item<double>())
        problem("the proxy drew from torch's global generator (use ProbeContext::generator())" +
                on);
      if (!detail::same_score(r.score, again.scores[0].score))
        problem("not deterministic: " + detail::show(r.score) + " then " +
                detail::show(again.scores[0].score) + on);
    }

    if (!options.companions.empty()) {
      std::vector<std::string> together = options.companions;
      bool listed = false;
      for (const auto& c : together) listed = listed || c == proxy;
      if (!listed) {
        together.insert(together.begin(), proxy);
        auto with = detail::score_all(together, space, data, options, arch);
        if (!detail::same_score(r.score, with[0].score))
          problem("the score changes next to other proxies: " + detail::show(r.score) + " vs " +
                  detail::show(with[0].score) + on);
      }
    }

    if (!info.needs_labels && info.needs_network) {
      auto permuted = detail::score_all(
          {proxy}, space, std::make_shared<detail::PermutedLabels>(data), options, arch);
      if (!detail::same_score(r.score, permuted[0].score))
        problem("declares no labels but its score depends on them" + on);
    }
  }

  // Re-entrancy: one proxy object, all the architectures, two workers at once.
  if (!archs.empty()) {
    auto engine =
        std::make_shared<ProbeEngine>(space, data, detail::make_slots({proxy}, options.params, reg),
                                      detail::probe_options(options, *data));
    LocalEvaluator two(engine, /*workers=*/2, torch_threads);
    const std::vector<Evaluation> pooled = two.evaluate(archs);
    for (std::size_t i = 0; i < archs.size(); ++i) {
      const double s = pooled[i].scores[0].score;
      if (!detail::same_score(alone_scores[i], s))
        problem("one proxy object on two workers scores " + detail::show(s) +
                " where one worker scores " + detail::show(alone_scores[i]) +
                " (state kept between score() calls, or a data race) (" + proxy + " on " +
                archs[i].str() + ")");
    }
  }
  return verdict;
}

inline void ExpectProxyConforms(const std::string& proxy,
                                const ConformanceOptions& options = ConformanceOptions()) {
  const ConformanceVerdict verdict = CheckProxyConforms(proxy, options);
  EXPECT_TRUE(verdict.ok()) << "proxy '" << proxy << "' breaks the Proxy contract:\n"
                            << verdict.text();
}

}  // namespace nas::testing
