// Every proxy found in the build tree passes the public conformance kit, and any set of
// proxies scored together gives each one the score it gets alone.
#include <gtest/gtest.h>

#include <cmath>

#include "nas/plugin_loader.h"
#include "nas/registry.h"
#include "nas/testing/conformance_kit.h"

namespace {

std::vector<std::string> all_proxies() {
  nas::load_plugins();
  return nas::Registry::global().proxies.names();
}

// The expensive proxies run with fewer repeats here: the contract does not depend on them.
nas::testing::ConformanceOptions fast_options() {
  nas::testing::ConformanceOptions o;
  o.params["swap"] = {{"repeats", std::int64_t{2}}};
  o.params["reg_swap"] = {{"repeats", std::int64_t{2}}};
  o.params["ntk_cond"] = {{"inputs", std::string("gaussian")}, {"batch", std::int64_t{8}}};
  o.params["linear_regions"] = {{"repeats", std::int64_t{1}}};
  return o;
}

class EveryProxy : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryProxy, Conforms) { nas::testing::ExpectProxyConforms(GetParam(), fast_options()); }

INSTANTIATE_TEST_SUITE_P(Conformance, EveryProxy, ::testing::ValuesIn(all_proxies()),
                         [](const ::testing::TestParamInfo<std::string>& proxy) {
                           return proxy.param;
                         });

// All proxies together in one engine: each score equals the score the proxy gets alone.
TEST(ProxyIsolation, AllTogetherEqualsEachAlone) {
  const std::vector<std::string> names = all_proxies();
  ASSERT_FALSE(names.empty());
  nas::testing::ConformanceOptions o = fast_options();
  auto& reg = nas::Registry::global();
  std::shared_ptr<const nas::SearchSpace> space = reg.spaces.get("nb201").create(
      nas::Params::defaults(reg.spaces.get("nb201").schema, "nb201"));
  std::shared_ptr<const nas::Dataset> data =
      reg.datasets.get("synthetic")
          .create(nas::Params::defaults(reg.datasets.get("synthetic").schema, "synthetic"));
  const nas::Arch arch = space->parse(o.archs[0]);
  auto together = nas::testing::detail::score_all(names, space, data, o, arch);
  ASSERT_EQ(together.size(), names.size());
  // Reverse order too: the union of passes must not depend on it.
  std::vector<std::string> reversed(names.rbegin(), names.rend());
  auto backwards = nas::testing::detail::score_all(reversed, space, data, o, arch);
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto alone = nas::testing::detail::score_all({names[i]}, space, data, o, arch);
    EXPECT_TRUE(nas::testing::detail::same_score(alone[0].score, together[i].score))
        << names[i] << ": alone " << alone[0].score << ", together " << together[i].score;
    EXPECT_TRUE(
        nas::testing::detail::same_score(alone[0].score, backwards[names.size() - 1 - i].score))
        << names[i] << ": alone " << alone[0].score << ", reversed "
        << backwards[names.size() - 1 - i].score;
  }
}

}  // namespace
