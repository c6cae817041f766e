// Parameter schemas with ranges: the YAML reader refuses a number outside its range with the
// file, the line, the value and the range; the registry refuses one however the Params were
// made; a schema refuses a default outside its own range. Expected texts are written out here.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "config_yaml.h"
#include "nas/error.h"
#include "nas/params.h"
#include "nas/plugin_loader.h"
#include "nas/registry.h"

namespace {

std::string usage_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const nas::UsageError& e) {
    return e.what();
  }
  return "(no UsageError)";
}

nas::ParamSchema schema() {
  nas::ParamSchema s;
  s.add_int("repeats", 3, "re-initialisations", nas::at_least(1));
  s.add_double("fraction", 0.5, "share of the rows", nas::Range{0.0, 1.0, true});
  s.add_double("sigma", 0.1, "noise", nas::at_least(0.0));
  s.add_int("size", 32, "side", nas::between(1, 4096));
  s.add_double_list("weights", {1e-7, 1.0}, "constants", nas::greater_than(0.0));
  s.add_int("free", -5, "no range");
  return s;
}

nas::Params read(const std::string& yaml) {
  const YAML::Node root = YAML::Load(yaml);
  return nas::detail::to_params("p.yaml", root["params"], schema(), "proxy 'demo'");
}

TEST(ParamRange, TextNamesTheBounds) {
  EXPECT_EQ(nas::at_least(1).text(), "at least 1");
  EXPECT_EQ(nas::greater_than(0).text(), "greater than 0");
  EXPECT_EQ(nas::at_most(6).text(), "at most 6");
  EXPECT_EQ(nas::between(1, 4096).text(), "from 1 to 4096");
  EXPECT_EQ((nas::Range{0.0, 1.0, true}).text(), "greater than 0 and at most 1");
  EXPECT_EQ(nas::from_below(0, 1).text(), "at least 0 and less than 1");
  EXPECT_EQ((nas::Range{std::nullopt, 1.0, false, true}).text(), "less than 1");
  EXPECT_EQ(nas::at_least(1e-7).text(), "at least 1e-07");
  EXPECT_EQ(nas::Range().text(), "");
}

TEST(ParamRange, BoundsAreInclusiveUnlessSaidAndNumbersFinite) {
  EXPECT_TRUE(nas::between(1, 4).contains(1));
  EXPECT_TRUE(nas::between(1, 4).contains(4));
  EXPECT_FALSE(nas::between(1, 4).contains(4.5));
  EXPECT_FALSE(nas::greater_than(0).contains(0.0));
  EXPECT_TRUE(nas::greater_than(0).contains(1e-300));
  EXPECT_FALSE(nas::at_least(0).contains(std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(nas::at_least(0).contains(std::nan("")));
  EXPECT_TRUE(nas::Range().contains(std::nan("")));  // unbounded: anything goes
}

TEST(ParamRange, YamlValueOutsideItsRangeNamesFileLineValueAndRange) {
  EXPECT_EQ(usage_error([] { read("type: demo\nparams:\n  repeats: 0\n"); }),
            "p.yaml:3: proxy 'demo' parameter `repeats` is 0; valid range: at least 1");
  EXPECT_EQ(usage_error([] { read("params: {size: 5000}\n"); }),
            "p.yaml:1: proxy 'demo' parameter `size` is 5000; valid range: from 1 to 4096");
  EXPECT_EQ(usage_error([] { read("params:\n  fraction: 0.0\n"); }),
            "p.yaml:2: proxy 'demo' parameter `fraction` is 0.0; valid range: greater than 0 "
            "and at most 1");
  EXPECT_EQ(usage_error([] { read("params:\n  sigma: .nan\n"); }),
            "p.yaml:2: proxy 'demo' parameter `sigma` is .nan; valid range: at least 0");
  EXPECT_EQ(usage_error([] { read("params:\n  weights: [1.0,\n            -2]\n"); }),
            "p.yaml:3: proxy 'demo' parameter `weights` is -2; valid range: greater than 0");
}

TEST(ParamRange, YamlValuesInsideTheirRangeAreKept) {
  const nas::Params p =
      read("params: {repeats: 1, size: 4096, fraction: 1, sigma: 0, free: -100, weights: [2]}");
  EXPECT_EQ(p.get_int("repeats"), 1);
  EXPECT_EQ(p.get_int("size"), 4096);
  EXPECT_EQ(p.get_double("fraction"), 1.0);
  EXPECT_EQ(p.get_double("sigma"), 0.0);
  EXPECT_EQ(p.get_int("free"), -100);
}

TEST(ParamRange, SchemaRefusesADefaultOutsideItsRange) {
  nas::ParamSchema s;
  try {
    s.add_int("repeats", 0, "help", nas::at_least(1));
    FAIL() << "accepted a default outside the range";
  } catch (const nas::Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "parameter 'repeats': default 0 is outside its range (at least 1)");
  }
}

TEST(ParamRange, CheckRefusesValuesHoweverTheParamsWereMade) {
  nas::Params p = nas::Params::defaults(schema(), "demo");
  schema().check(p, "proxy 'demo'");  // the defaults are in range
  p.set("repeats", std::int64_t{-1});
  EXPECT_EQ(usage_error([&] { schema().check(p, "proxy 'demo'"); }),
            "proxy 'demo': parameter `repeats` is -1; valid range: at least 1");
}

TEST(ParamRange, TheRegistryChecksBeforeAPluginSeesTheParams) {
  nas::load_plugins();
  const auto& zen = nas::Registry::global().proxies.get("zen");
  nas::Params p = nas::Params::defaults(zen.schema, "zen");
  p.set("batch", std::int64_t{1});
  EXPECT_EQ(usage_error([&] { zen.create(p); }),
            "proxy 'zen': parameter `batch` is 1; valid range: at least 2");
  p.set("batch", std::int64_t{2});
  EXPECT_NE(zen.create(p), nullptr);
}

}  // namespace
