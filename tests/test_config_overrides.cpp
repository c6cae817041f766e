// Command-line overrides (`nas run p.yaml section.key=value ...`): the path is split at dots
// into nested mapping keys (missing maps are created, list indices are not supported: a list
// is replaced whole with YAML flow syntax), the text after the first '=' is parsed as YAML
// (so quotes keep text as text), and every refusal names the override. Checked on YAML
// documents directly and through load_pipeline, whose validation then sees the overridden
// values and says they came from the command line.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "config.h"
#include "config_yaml.h"
#include "nas/error.h"
#include "nas/pipeline.h"
#include "test_support.h"

namespace {

using nas::detail::apply_override;

std::string usage_error(YAML::Node& root, const std::string& assignment) {
  try {
    apply_override(root, assignment);
  } catch (const nas::UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ApplyOverride, NestedKeysEditInPlaceAndCreateMissingMaps) {
  YAML::Node root =
      YAML::Load("run: {seed: 1, name: a}\nstrategy: {type: random, params: {k: 1}}\n");
  apply_override(root, "run.seed=5");
  EXPECT_EQ(root["run"]["seed"].as<int>(), 5);
  EXPECT_EQ(root["run"]["name"].as<std::string>(), "a");  // siblings kept
  apply_override(root, "strategy.params.k=2");
  EXPECT_EQ(root["strategy"]["params"]["k"].as<int>(), 2);
  EXPECT_EQ(root["strategy"]["type"].as<std::string>(), "random");
  apply_override(root, "strategy.params.deep.er=x");
  EXPECT_EQ(root["strategy"]["params"]["deep"]["er"].as<std::string>(), "x");
  EXPECT_EQ(root["strategy"]["params"]["k"].as<int>(), 2);
  apply_override(root, "score.count=3");  // a section the file does not have
  ASSERT_TRUE(root["score"].IsMap());
  EXPECT_EQ(root["score"]["count"].as<int>(), 3);
  apply_override(root, "top=7");
  EXPECT_EQ(root["top"].as<int>(), 7);
  // The last override of a key wins.
  apply_override(root, "run.seed=6");
  EXPECT_EQ(root["run"]["seed"].as<int>(), 6);
}

TEST(ApplyOverride, ValueIsYamlAfterTheFirstEqualsSign) {
  YAML::Node root = YAML::Load("run: {name: a}\nproxies: [{type: params}]\n");
  apply_override(root, "run.name=a=b");
  EXPECT_EQ(root["run"]["name"].as<std::string>(), "a=b");
  apply_override(root, "run.name='x y'");
  EXPECT_EQ(root["run"]["name"].as<std::string>(), "x y");
  apply_override(root, "run.name=' padded '");
  EXPECT_EQ(root["run"]["name"].as<std::string>(), " padded ");
  // Quoted, "a: b" is text; unquoted it is a mapping.
  apply_override(root, "run.name=\"a: b\"");
  ASSERT_TRUE(root["run"]["name"].IsScalar());
  EXPECT_EQ(root["run"]["name"].as<std::string>(), "a: b");
  apply_override(root, "run.name=a: b");
  ASSERT_TRUE(root["run"]["name"].IsMap());
  EXPECT_EQ(root["run"]["name"]["a"].as<std::string>(), "b");
  // A list is replaced whole, in flow syntax; so is a mapping.
  apply_override(root, "proxies=[params, flops]");
  ASSERT_TRUE(root["proxies"].IsSequence());
  ASSERT_EQ(root["proxies"].size(), 2u);
  EXPECT_EQ(root["proxies"][1].as<std::string>(), "flops");
  apply_override(root, "strategy={type: random, budget: 5}");
  EXPECT_EQ(root["strategy"]["budget"].as<int>(), 5);
  // Nothing after '=' is YAML's null.
  apply_override(root, "run.name=");
  EXPECT_TRUE(root["run"]["name"].IsNull());
}

TEST(ApplyOverride, MalformedAssignmentsAreRefusedNamingThem) {
  YAML::Node root = YAML::Load("run: {seed: 1}\nproxies: [{type: params}]\n");
  EXPECT_EQ(usage_error(root, "run.seed"), "override 'run.seed' must look like section.key=value");
  EXPECT_EQ(usage_error(root, "=3"), "override '=3' must look like section.key=value");
  EXPECT_EQ(usage_error(root, "run.name=[unclosed")
                .rfind("override 'run.name=[unclosed': value is not valid YAML (", 0),
            0u);
  // List indices are not supported: the list is not a mapping.
  EXPECT_EQ(usage_error(root, "proxies.0.type=flops"),
            "override 'proxies.0.type=flops': 'proxies' is not a mapping");
  EXPECT_EQ(root["proxies"][0]["type"].as<std::string>(), "params");  // left as it was
  EXPECT_EQ(usage_error(root, "run.seed.low=1"),
            "override 'run.seed.low=1': 'seed' is not a mapping");
  EXPECT_EQ(root["run"]["seed"].as<int>(), 1);
}

class PipelineOverrides : public ::testing::Test {
 protected:
  std::string pipeline() {
    return dir_.write("p.yaml", "run: {name: t, out_dir: '" + dir_.file("out") +
                                    "', seed: 3}\n"
                                    "search_space: {type: nb201}\n"
                                    "proxies:\n  - type: params\n"
                                    "score: {archs: sample, count: 20}\n");
  }
  std::string error_of(const std::vector<std::string>& overrides) {
    try {
      nas::load_pipeline(pipeline(), overrides);
    } catch (const nas::UsageError& e) {
      return e.what();
    }
    return "(no error)";
  }
  nas::test::TempDir dir_;
};

TEST_F(PipelineOverrides, ReachTheValidatedConfiguration) {
  auto cfg = nas::load_pipeline(
      pipeline(), {"score.count=7", "run.seed=9", "proxies=[params, flops]", "run.name='my run'"});
  ASSERT_TRUE(cfg->score.has_value());
  EXPECT_EQ(cfg->score->count, 7);
  EXPECT_EQ(cfg->run.seed, 9u);
  EXPECT_EQ(cfg->run.name, "my run");
  ASSERT_EQ(cfg->proxies.size(), 2u);
  EXPECT_EQ(cfg->proxies[0].type, "params");
  EXPECT_EQ(cfg->proxies[1].type, "flops");
}

TEST_F(PipelineOverrides, UnknownSectionsAndKeysNameTheValidChoices) {
  const std::string section = error_of({"serach.count=3"});
  EXPECT_NE(section.find("unknown key 'serach' in `pipeline`; valid keys: run, plugins, data, "
                         "search_space, proxies, vote, votes, score, strategy, ground_truth"),
            std::string::npos)
      << section;
  EXPECT_NE(section.find("(command-line override)"), std::string::npos) << section;
  const std::string key = error_of({"score.cuont=3"});
  EXPECT_NE(key.find("unknown key 'cuont' in `score`; valid keys: archs, count, file"),
            std::string::npos)
      << key;
  // An empty path segment is a key named '' and is refused like any unknown key.
  const std::string empty = error_of({"run..seed=3"});
  EXPECT_NE(empty.find("unknown key '' in `run`"), std::string::npos) << empty;
}

TEST_F(PipelineOverrides, BadValuesSayTheyCameFromTheCommandLine) {
  const std::string workers = error_of({"run.workers=abc"});
  EXPECT_NE(workers.find("(command-line override)"), std::string::npos) << workers;
  EXPECT_NE(workers.find("workers"), std::string::npos) << workers;
  EXPECT_NE(workers.find("'abc'"), std::string::npos) << workers;
  const std::string list = error_of({"proxies.0.type=flops"});
  EXPECT_EQ(list, "override 'proxies.0.type=flops': 'proxies' is not a mapping");
}

}  // namespace
