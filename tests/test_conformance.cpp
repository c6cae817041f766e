// Every proxy found in the build tree passes the public conformance kit, and any set of
// proxies scored together gives each one the score it gets alone. The kit's refusals are shown
// to fire: the fault fixture's misbehaving modes are caught by the engine's isolation check,
// by ProbeContext's refusals and by the kit's re-entrancy check, and the kit says no.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "nas/plugin_loader.h"
#include "nas/probe_engine.h"
#include "nas/registry.h"
#include "nas/testing/conformance_kit.h"
#include "test_support.h"

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

// ------------------------------------------------------------------------------------------
// The refusals, fired by the fault fixture.

// A registry with the fault fixture and the space and dataset the kit uses (kept apart from
// the global one, so that the fixture never joins the real proxies above).
const nas::Registry& fixture_registry() {
  static const nas::Registry registry = [] {
    nas::Registry r;
    nas::load_plugins();
    const auto& global = nas::Registry::global();
    for (const std::string& file :
         {global.spaces.get("nb201").plugin_file, global.datasets.get("synthetic").plugin_file}) {
      const auto report = nas::load_plugin(file, r);
      if (!report.loaded) throw std::runtime_error(file + ": " + report.error);
    }
    std::string fault;
    for (const auto& entry :
         std::filesystem::directory_iterator(nas::test::fixture_plugins("fault"))) {
      if (entry.path().extension() == ".so") fault = entry.path().string();
    }
    const auto report = nas::load_plugin(fault, r);
    if (!report.loaded) throw std::runtime_error("fault fixture: " + report.error);
    return r;
  }();
  return registry;
}

nas::testing::ConformanceOptions fault_options(
    const std::map<std::string, nas::ParamValue>& params) {
  nas::testing::ConformanceOptions o;
  o.registry = &fixture_registry();
  o.companions = {};
  o.params["fault_proxy"] = params;
  o.params["fault_proxy"]["marker"] = std::string("");  // misbehave on every architecture
  return o;
}

// The fault proxy's record for the kit's first architecture, scored alone with the isolation
// check on.
nas::ScoreRecord fault_record(const std::map<std::string, nas::ParamValue>& params) {
  const nas::testing::ConformanceOptions o = fault_options(params);
  const nas::Registry& reg = *o.registry;
  std::shared_ptr<const nas::SearchSpace> space = reg.spaces.get("nb201").create(
      nas::Params::defaults(reg.spaces.get("nb201").schema, "nb201"));
  std::shared_ptr<const nas::Dataset> data =
      reg.datasets.get("synthetic")
          .create(nas::Params::defaults(reg.datasets.get("synthetic").schema, "synthetic"));
  auto records =
      nas::testing::detail::score_all({"fault_proxy"}, space, data, o, space->parse(o.archs[0]));
  EXPECT_EQ(records.size(), 1u);
  return records.at(0);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(IsolationCheck, CatchesAProxyThatChangesTheSharedWeights) {
  const auto r =
      fault_record({{"mode", std::string("touch_shared")}, {"touch", std::string("weights")}});
  EXPECT_EQ(r.status, nas::ScoreStatus::kError);
  EXPECT_TRUE(std::isnan(r.score)) << r.score;
  EXPECT_TRUE(contains(r.message,
                       "isolation violated: the proxy changed the shared network's "
                       "weights, statistics, batch or pass results"))
      << r.message;
}

TEST(IsolationCheck, CatchesAProxyThatMovesTheBatchNormStatistics) {
  const auto r =
      fault_record({{"mode", std::string("touch_shared")}, {"touch", std::string("bn_stats")}});
  EXPECT_EQ(r.status, nas::ScoreStatus::kError);
  EXPECT_TRUE(contains(r.message, "isolation violated")) << r.message;
}

TEST(IsolationCheck, CatchesAProxyThatChangesTheBatch) {
  const auto r =
      fault_record({{"mode", std::string("touch_shared")}, {"touch", std::string("batch")}});
  EXPECT_EQ(r.status, nas::ScoreStatus::kError);
  EXPECT_TRUE(contains(r.message, "isolation violated")) << r.message;
}

TEST(ProbeContextRefusals, AnUndeclaredPass) {
  const auto r =
      fault_record({{"mode", std::string("undeclared_pass")}, {"ask", std::string("pass")}});
  EXPECT_EQ(r.status, nas::ScoreStatus::kError);
  EXPECT_EQ(r.message,
            "proxy 'fault_proxy' asked for the tap gradients without declaring the pass that "
            "produces it");
}

TEST(ProbeContextRefusals, AnUndeclaredBatch) {
  const auto r =
      fault_record({{"mode", std::string("undeclared_pass")}, {"ask", std::string("batch")}});
  EXPECT_EQ(r.status, nas::ScoreStatus::kError);
  EXPECT_EQ(r.message, "proxy 'fault_proxy' asked for batch 1 but declared 1 batch(es)");
}

TEST(ProbeContextRefusals, AnUndeclaredFreshNetwork) {
  const auto r = fault_record(
      {{"mode", std::string("undeclared_pass")}, {"ask", std::string("fresh_network")}});
  EXPECT_EQ(r.status, nas::ScoreStatus::kError);
  EXPECT_EQ(r.message,
            "proxy 'fault_proxy' asked for a fresh network without declaring modifies_network");
}

TEST(ProbeContextRefusals, TheNetworkWhenNoneWasDeclared) {
  const auto r =
      fault_record({{"mode", std::string("undeclared_pass")}, {"ask", std::string("network")}});
  EXPECT_EQ(r.status, nas::ScoreStatus::kError);
  EXPECT_EQ(r.message,
            "proxy 'fault_proxy' asked for the shared network but declared that it needs no "
            "network");
}

TEST(ProbeContextRefusals, TheBatchWhenNoDataWasDeclared) {
  const auto r =
      fault_record({{"mode", std::string("undeclared_pass")}, {"ask", std::string("data")}});
  EXPECT_EQ(r.status, nas::ScoreStatus::kError);
  EXPECT_EQ(r.message,
            "proxy 'fault_proxy' asked for the input batch but declared needs_data = false");
}

TEST(PluginBoundary, ANonStandardExceptionBecomesAnErrorStatus) {
  const auto r = fault_record({{"mode", std::string("throw_other")}});
  EXPECT_EQ(r.status, nas::ScoreStatus::kError);
  EXPECT_TRUE(std::isnan(r.score)) << r.score;
  EXPECT_EQ(r.message, "non-standard exception");
}

// The kit's verdict says no for each misbehaviour, naming it.
TEST(ConformanceVerdict, SaysNoToAProxyThatChangesWhatItShares) {
  const auto v = nas::testing::CheckProxyConforms(
      "fault_proxy",
      fault_options({{"mode", std::string("touch_shared")}, {"touch", std::string("bn_stats")}}));
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(contains(v.text(), "status error: isolation violated")) << v.text();
}

TEST(ConformanceVerdict, SaysNoToAProxyThatAsksForWhatItDidNotDeclare) {
  const auto v = nas::testing::CheckProxyConforms(
      "fault_proxy",
      fault_options({{"mode", std::string("undeclared_pass")}, {"ask", std::string("pass")}}));
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(contains(v.text(), "without declaring the pass that produces it")) << v.text();
}

TEST(ConformanceVerdict, SaysNoToAProxyThatKeepsStateBetweenCalls) {
  // Scored alone, every architecture gets a fresh object and the score 0: only one object
  // scoring all of them, on two workers, shows the state.
  const auto v = nas::testing::CheckProxyConforms(
      "fault_proxy", fault_options({{"mode", std::string("stateful")}}));
  EXPECT_FALSE(v.ok());
  EXPECT_TRUE(contains(v.text(), "one proxy object on two workers scores")) << v.text();
}

TEST(ConformanceVerdict, SaysYesToAWellBehavedProxy) {
  // Off its marker the fault proxy is a plain analytic score: the kit accepts it.
  auto o = fault_options({{"mode", std::string("throw")}});
  o.params["fault_proxy"]["marker"] = std::string("no architecture has this");
  const auto v = nas::testing::CheckProxyConforms("fault_proxy", o);
  EXPECT_TRUE(v.ok()) << v.text();
}

}  // namespace
