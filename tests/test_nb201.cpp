// Tests of the NAS-Bench-201 space plugin against independent facts: the benchmark's own
// tables (arch strings, index order, parameter counts), counts worked out by hand, and the
// reference network's layout.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "nas/csv.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/params.h"
#include "nas/plugin_loader.h"
#include "nas/registry.h"
#include "nas/search_space.h"
#include "nas/seed.h"
#include "network_oracle_check.h"
#include "space_plugin.h"
#include "supernet_checks.h"
#include "test_support.h"

namespace {

const std::string kIndex0 =
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
    "skip_connect~2|";
const std::string kResNet =
    "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|";
const std::string kAllConv3x3 =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    "nor_conv_3x3~2|";
const std::string kAllNone = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
const std::vector<std::string> kOps = {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3",
                                       "avg_pool_3x3"};

// The tables the plugin ships, read from the source tree (NAS_SOURCE_DIR is set by ctest).
std::string data_file(const std::string& name) { return nas::test::space_data_file("nb201", name); }

const nas::Component<nas::SearchSpace>& space_component() {
  return nas::test::space_component("nb201");
}

std::shared_ptr<nas::SearchSpace> make_space(const std::string& index_file = "") {
  const auto& component = space_component();
  nas::Params params = nas::Params::defaults(component.schema, "nb201");
  if (!index_file.empty()) params.set("index_file", index_file);
  return component.create(params);
}

class Nb201 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { space_ = make_space(); }
  static void TearDownTestSuite() { space_.reset(); }
  static nas::SearchSpace& space() { return *space_; }
  static std::shared_ptr<nas::SearchSpace> space_;
};
std::shared_ptr<nas::SearchSpace> Nb201::space_;

// The arch strings of a benchmark table, checked to be in index order.
std::vector<std::string> table_archs(const nas::CsvTable& table) {
  std::vector<std::string> archs;
  const std::size_t index = table.column("index"), arch = table.column("arch");
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    EXPECT_EQ(table.rows[i][index], std::to_string(i));
    archs.push_back(table.rows[i][arch]);
  }
  return archs;
}

int count_differences(const std::vector<int>& a, const std::vector<int>& b) {
  int differences = 0;
  for (std::size_t i = 0; i < a.size(); ++i) differences += a[i] != b[i];
  return differences;
}

std::string error_of(const nas::SearchSpace& space, const std::string& text) {
  try {
    space.parse(text);
  } catch (const nas::Error& error) {
    return error.what();
  }
  return "(no error)";
}

TEST_F(Nb201, ParseFormatRoundTripsEveryBenchmarkString) {
  const std::vector<std::string> archs = table_archs(nas::read_csv(data_file("accuracies.csv.gz")));
  ASSERT_EQ(archs.size(), 15625u);
  for (const std::string& text : archs) {
    const nas::Arch arch = space().parse(text);
    ASSERT_EQ(arch.str(), text);
    ASSERT_EQ(arch.space(), "nb201");
  }
  // Surrounding whitespace is not part of the architecture.
  EXPECT_EQ(space().parse("  " + kResNet + "\n").str(), kResNet);
}

TEST_F(Nb201, BadStringsNameTheWrongPart) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"", {"empty"}},
      {"|none~0|+|none~0|none~1|", {"expected 3 node groups separated by '+', got 2"}},
      {kAllNone + "+|none~0|", {"expected 3 node groups separated by '+', got 4"}},
      {"|none~0|+|none~0|conv9~1|+|none~0|none~1|none~2|",
       {"node 2, edge 1: unknown op 'conv9'",
        "valid: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3"}},
      {"|none~0|+|none~0|none~1|+|none~0|none~2|none~2|",
       {"node 3: the edge from node 1 must be written '~1'", "'none~2'"}},
      {"|none~0|+|none~0|+|none~0|none~1|none~2|", {"node 2: expected 2 edges", "got 1"}},
      {"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|none~3|",
       {"node 3: expected 3 edges", "got 4"}},
      {"none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
       {"node 1: group 'none~0|' must start and end with '|'"}},
      {"|none0|+|none~0|none~1|+|none~0|none~1|none~2|", {"node 1, edge 0: expected 'op~0'"}},
      {"|~0|+|none~0|none~1|+|none~0|none~1|none~2|", {"node 1, edge 0: unknown op ''"}},
  };
  for (const auto& [text, expected] : cases) {
    const std::string message = error_of(space(), text);
    EXPECT_NE(message.find("'" + text + "'"), std::string::npos) << message;
    for (const std::string& part : expected) {
      EXPECT_NE(message.find(part), std::string::npos)
          << "input: " << text << "\nmessage: " << message << "\nmissing: " << part;
    }
  }
  // Another space's architecture is refused.
  EXPECT_THROW(space().encode(nas::Arch("darts", kResNet)), nas::Error);
}

TEST_F(Nb201, EnumerateYieldsEveryCellInOfficialIndexOrder) {
  const std::vector<nas::Arch> all = space().enumerate();
  ASSERT_TRUE(space().can_enumerate());
  ASSERT_EQ(all.size(), 15625u);
  // Facts from the benchmark (data README): index 0 and the ResNet-like cell's index.
  EXPECT_EQ(all[0].str(), kIndex0);
  EXPECT_EQ(all[11472].str(), kResNet);
  std::unordered_set<nas::Arch> distinct(all.begin(), all.end());
  EXPECT_EQ(distinct.size(), 15625u);
  // Every one of the 5^6 decision vectors is listed.
  std::vector<int> choices(6, 0);
  for (int code = 0; code < 15625; ++code) {
    for (int e = 0, rest = code; e < 6; ++e, rest /= 5) choices[e] = rest % 5;
    ASSERT_EQ(distinct.count(space().decode(choices)), 1u) << code;
  }
  // The v1.0 table lists the same order, and index_file accepts a shipped table by name.
  const auto v1_0 = make_space("accuracies_v1_0.csv.gz")->enumerate();
  EXPECT_EQ(v1_0, all);
  EXPECT_THROW(make_space("no_such_table.csv"), nas::Error);
}

TEST_F(Nb201, AnalyticParamsMatchTheBenchmark) {
  const nas::CsvTable averaged = nas::read_csv(data_file("params_v1_0_seed_averaged.csv"));
  std::set<std::string> skip;
  for (const auto& row : averaged.rows) skip.insert(row[averaged.column("index")]);
  ASSERT_EQ(skip.size(), 204u);

  const nas::CsvTable table = nas::read_csv(data_file("accuracies_v1_0.csv.gz"));
  const std::size_t index = table.column("index"), arch = table.column("arch"),
                    params = table.column("params_M");
  const nas::NetSpec cifar10{10, 3, 32};
  int checked = 0;
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const auto& row = table.rows[i];
    if (skip.count(row[index])) continue;
    const double millions = nas::parse_double(row[params], "params_M");
    ASSERT_EQ(space().params(space().parse(row[arch]), cifar10), std::llround(millions * 1e6))
        << "index " << row[index] << " " << row[arch];
    ++checked;
  }
  EXPECT_EQ(checked, 15421);
  // A seed-averaged row: the table holds (1,045,466 + 802,426) / 2; the cell has 1,045,466.
  ASSERT_TRUE(skip.count("11964"));
  EXPECT_EQ(space().params(space().enumerate()[11964], cifar10), 1045466);
}

TEST_F(Nb201, BuiltNetworksHaveTheAnalyticParameterCountAndOutputShape) {
  at::NoGradGuard no_grad;
  nas::Rng rng(nas::derive_seed(7, "test_nb201"));
  std::vector<nas::Arch> archs = {space().parse(kAllNone), space().parse(kAllConv3x3)};
  while (archs.size() < 25) archs.push_back(space().sample(rng));
  const nas::NetSpec cifar10{10, 3, 32};
  for (std::size_t k = 0; k < archs.size(); ++k) {
    at::manual_seed(k);
    auto net = space().build(archs[k], cifar10);
    std::int64_t count = 0;
    for (const auto& p : net->parameters()) count += p.numel();
    EXPECT_EQ(count, space().params(archs[k], cifar10)) << archs[k].str();
    const at::Tensor out = net->forward(at::randn({2, 3, 32, 32}));
    EXPECT_EQ(out.sizes().vec(), (std::vector<std::int64_t>{2, 10})) << archs[k].str();
    EXPECT_TRUE(out.isfinite().all().item<bool>()) << archs[k].str();
  }
  // Another head, input and size.
  const nas::NetSpec other{100, 1, 16};
  auto net = space().build(space().parse(kResNet), other);
  std::int64_t count = 0;
  for (const auto& p : net->parameters()) count += p.numel();
  EXPECT_EQ(count, space().params(space().parse(kResNet), other));
  EXPECT_EQ(net->forward(at::randn({2, 1, 16, 16})).sizes().vec(),
            (std::vector<std::int64_t>{2, 100}));
  EXPECT_THROW(space().build(space().parse(kResNet), nas::NetSpec{10, 3, 30}), nas::Error);
}

using nas::test::thin_spec;

TEST_F(Nb201, ThinNetworksHaveTheAnalyticParameterCountAndOutputShape) {
  at::NoGradGuard no_grad;
  const nas::NetSpec thin = thin_spec();
  EXPECT_FALSE(thin.default_shape());
  nas::Rng rng(nas::derive_seed(7, "test_nb201_thin"));
  std::vector<nas::Arch> archs = {space().parse(kAllNone), space().parse(kAllConv3x3),
                                  space().parse(kIndex0), space().parse(kResNet)};
  while (archs.size() < 12) archs.push_back(space().sample(rng));
  for (const nas::Arch& arch : archs) {
    SCOPED_TRACE(arch.str());
    auto net = space().build(arch, thin);
    EXPECT_EQ(nas::test::param_count(*net), space().params(arch, thin));
    const at::Tensor out = net->forward(at::randn({5, 1, 3, 3}));
    EXPECT_EQ(out.sizes().vec(), (std::vector<std::int64_t>{5, 10}));
    EXPECT_TRUE(out.isfinite().all().item<bool>());
    EXPECT_EQ(net->num_blocks(), 2);
    EXPECT_TRUE(net->taps().back()->is_head());
    EXPECT_EQ(net->taps().back()->block(), 1);
    EXPECT_FALSE(net->named_parameters().contains("stem.0.weight"));
  }
  // By hand. Six 3x3 conv edges of 1 -> 1 channel: 6 x (9 + 2 BN) = 66; lastact BN 2;
  // classifier 1 x 10 + 10 = 20. Multiply-accumulates on 3x3 inputs: 6 x 9 x 9 = 486, plus
  // the classifier's 10. All none: the head only. Index 0 (two 1x1 edges): 2 x 9 + 10.
  EXPECT_EQ(space().params(space().parse(kAllConv3x3), thin), 66 + 2 + 20);
  EXPECT_EQ(space().flops(space().parse(kAllConv3x3), thin), 486 + 10);
  EXPECT_EQ(space().params(space().parse(kAllNone), thin), 2 + 20);
  EXPECT_EQ(space().flops(space().parse(kAllNone), thin), 10);
  EXPECT_EQ(space().flops(space().parse(kIndex0), thin), 2 * 9 + 10);
  auto net = space().build(space().parse(kAllConv3x3), thin);
  EXPECT_EQ(net->taps().size(), 7u);  // six conv edges and the head
  EXPECT_EQ(net->named_parameters().keys().front(), "cells.0.layers.0.op.1.weight");

  // Other variants, each field alone and together: width 4, two cells per stage, a stem, and
  // the first four cells (normal, normal, ResNet block, normal) on 3 input channels.
  nas::NetSpec narrow{10, 3, 32};
  narrow.width = 4;
  nas::NetSpec shallow{10, 3, 32};
  shallow.depth = 2;
  nas::NetSpec cut{7, 3, 6};
  cut.width = 4;
  cut.depth = 2;
  cut.max_cells = 4;
  nas::NetSpec stemless{10, 16, 8};
  stemless.stem = false;
  const std::vector<std::pair<nas::NetSpec, std::int64_t>> variants = {
      {narrow, 10}, {shallow, 10}, {cut, 7}, {stemless, 10}};
  for (const auto& [spec, classes] : variants) {
    for (const nas::Arch& arch : archs) {
      SCOPED_TRACE(arch.str());
      auto built = space().build(arch, spec);
      EXPECT_EQ(nas::test::param_count(*built), space().params(arch, spec));
      const at::Tensor out =
          built->forward(at::randn({2, spec.in_channels, spec.input_size, spec.input_size}));
      EXPECT_EQ(out.sizes().vec(), (std::vector<std::int64_t>{2, classes}));
    }
  }
  auto cut_net = space().build(space().parse(kAllConv3x3), cut);
  EXPECT_EQ(cut_net->num_blocks(), 5);
  EXPECT_TRUE(cut_net->named_parameters().contains("cells.2.conv_a.op.1.weight"));
  EXPECT_TRUE(cut_net->named_parameters().contains("cells.3.layers.5.op.1.weight"));
  EXPECT_EQ(cut_net->named_parameters()["classifier.weight"].size(1), 8);  // 2C after one block
}

TEST_F(Nb201, DefaultShapeFieldsSpelledOutBuildTheSameNetwork) {
  // width 16, depth 5, all 17 cells and the stem are the defaults: the same modules in the
  // same order, hence the same weights under one seed, and the same counts.
  nas::NetSpec spelled{10, 3, 32};
  spelled.width = 16;
  spelled.depth = 5;
  spelled.max_cells = 17;
  spelled.stem = true;
  EXPECT_TRUE(nas::NetSpec{}.default_shape());
  EXPECT_FALSE(spelled.default_shape());
  const nas::Arch arch = space().parse(kResNet);
  at::manual_seed(3);
  auto a = space().build(arch, nas::NetSpec{});
  at::manual_seed(3);
  auto b = space().build(arch, spelled);
  const auto pa = a->named_parameters(), pb = b->named_parameters();
  ASSERT_EQ(pa.keys(), pb.keys());
  for (const auto& item : pa) EXPECT_TRUE(item.value().equal(pb[item.key()])) << item.key();
  EXPECT_EQ(space().params(arch, spelled), space().params(arch, nas::NetSpec{}));
  EXPECT_EQ(space().flops(arch, spelled), space().flops(arch, nas::NetSpec{}));
}

TEST_F(Nb201, RefusesShapesItCannotBuild) {
  const nas::Arch arch = space().parse(kIndex0);
  auto message = [&](const nas::NetSpec& spec) -> std::string {
    try {
      space().build(arch, spec);
    } catch (const nas::Error& error) {
      // The analytic counts refuse the same specs.
      EXPECT_THROW(space().params(arch, spec), nas::Error);
      EXPECT_THROW(space().flops(arch, spec), nas::Error);
      return error.what();
    }
    return "(no error)";
  };
  nas::NetSpec stemless = thin_spec();
  stemless.in_channels = 3;  // the cell takes one channel
  const std::string why = message(stemless);
  EXPECT_NE(why.find("without a stem"), std::string::npos) << why;
  EXPECT_NE(why.find("in_channels (3) must equal the width (1)"), std::string::npos) << why;
  nas::NetSpec too_many{};
  too_many.max_cells = 18;
  EXPECT_NE(message(too_many).find("max_cells 18 exceeds the 17 cells"), std::string::npos);
  nas::NetSpec odd = thin_spec();
  odd.max_cells = 2;  // a ResNet block halves the 3x3 input
  EXPECT_NE(message(odd).find("multiple of 2"), std::string::npos) << message(odd);
  nas::NetSpec negative{};
  negative.width = -1;
  EXPECT_NE(message(negative).find("width"), std::string::npos);
  // The general helper for spaces that build only their published network.
  EXPECT_NO_THROW(nas::require_default_shape(nas::NetSpec{}, "x"));
  try {
    nas::require_default_shape(thin_spec(), "x");
    ADD_FAILURE() << "a thin spec was accepted";
  } catch (const nas::Error& error) {
    EXPECT_NE(std::string(error.what()).find("'width'"), std::string::npos) << error.what();
  }
}

TEST_F(Nb201, ParameterNamesFollowTheReferenceModel) {
  auto net = space().build(space().parse(kIndex0), nas::NetSpec{});
  const auto named = net->named_parameters();
  for (const char* name :
       {"stem.0.weight", "stem.1.weight", "stem.1.bias", "cells.0.layers.1.op.1.weight",
        "cells.0.layers.1.op.2.bias", "cells.5.conv_a.op.1.weight", "cells.5.conv_b.op.2.weight",
        "cells.5.downsample.1.weight", "cells.16.layers.3.op.1.weight", "lastact.0.weight",
        "classifier.weight", "classifier.bias"}) {
    EXPECT_TRUE(named.contains(name)) << name;
  }
  // avg_pool_3x3 and skip_connect edges own no parameters.
  EXPECT_FALSE(named.contains("cells.0.layers.0.op.1.weight"));
  EXPECT_EQ(named.keys().front(), "stem.0.weight");
  EXPECT_EQ(named.keys().back(), "classifier.bias");
  const auto buffers = net->named_buffers();
  EXPECT_TRUE(buffers.contains("cells.0.layers.1.op.2.running_mean"));
  EXPECT_TRUE(buffers.contains("lastact.0.running_var"));
}

// Numbers printed by the independent Python model spaces/nb201/tools/nb201_oracle.py
// (python3-torch 1.13), which creates its modules in the reference order: same seed, same
// weights, same logits.
TEST_F(Nb201, WeightsAndLogitsMatchThePythonOracle) {
  const std::vector<nas::test::NetworkOracleCase> cases = {
      {"|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_3x3~2|",
       0,
       1,
       587386,
       156,
       11535810124156163570ull,
       1961.0987680387011,
       17300.115316023264,
       {-0.00144083926f, 0.10323862f, -0.158395112f},
       {-0.0152300447f, 0.0901575387f, -0.0105990022f},
       {0.275468707f,  -0.129252985f,  0.312907577f,  -0.177879363f,  -0.287264109f,
        -0.272241294f, 0.0269803181f,  -0.520789266f, -0.0473720282f, -0.197743967f,
        0.324319899f,  0.060275957f,   0.348552525f,  -0.117046714f,  -0.194981903f,
        -0.33443886f,  -0.0203887783f, -0.454558432f, -0.152824298f,  0.00897924602f}},
      {kResNet,
       5,
       6,
       559386,
       111,
       15598450104490740992ull,
       1378.6059539597022,
       14850.025281974655,
       {0.127114013f, -0.143909976f, 0.156835154f},
       {0.0665088743f, 0.114096761f, 0.0113818944f},
       {-0.00299945474f, 0.00195418298f, 0.232326925f,  0.156905562f,  0.398387313f,
        -0.0800740272f,  -0.104165874f,  -0.190921277f, -0.262032956f, -0.167038262f,
        0.149885684f,    -0.0100643262f, 0.213934034f,  0.220729917f,  0.493780732f,
        -0.151845425f,   0.0177839696f,  -0.162866414f, -0.382590473f, -0.132160425f}},
  };
  // Float kernels may sum in another order on another thread count: allow a few ulps.
  for (const auto& c : cases) nas::test::expect_network_matches_oracle(space(), c, 1e-6);
}

TEST_F(Nb201, FlopsMatchAHandCount) {
  // Multiply-accumulates at batch 1, 3x32x32 input, 10 classes. Fixed part (any cell):
  //   stem 3x3 conv 3->16 at 32x32:          16*32*32*3*9   =   442,368
  //   block 16->32: conv_a 3x3 at 16x16:     32*16*16*16*9  = 1,179,648
  //                 conv_b 3x3 at 16x16:     32*16*16*32*9  = 2,359,296
  //                 downsample 1x1 at 16x16: 32*16*16*16    =   131,072
  //   block 32->64: conv_a 3x3 at 8x8:       64*8*8*32*9    = 1,179,648
  //                 conv_b 3x3 at 8x8:       64*8*8*64*9    = 2,359,296
  //                 downsample 1x1 at 8x8:   64*8*8*32      =   131,072
  //   classifier 64->10:                                          640
  //   total                                                 = 7,783,040
  // One nor_conv_3x3 edge costs C*C*9*H*W per cell: 16*16*9*32*32 = 32*32*9*16*16 =
  // 64*64*9*8*8 = 2,359,296 in every stage, times 5 cells and 3 stages = 35,389,440.
  // A nor_conv_1x1 edge costs a ninth of that: 3,932,160.
  const nas::NetSpec cifar10{10, 3, 32};
  EXPECT_EQ(space().flops(space().parse(kAllNone), cifar10), 7783040);
  EXPECT_EQ(space().flops(space().parse(kResNet), cifar10), 7783040 + 2 * 35389440);
  EXPECT_EQ(space().flops(space().parse(kAllConv3x3), cifar10), 7783040 + 6 * 35389440);
  // Index 0: two nor_conv_1x1 edges.
  EXPECT_EQ(space().flops(space().parse(kIndex0), cifar10), 7783040 + 2 * 3932160);
}

TEST_F(Nb201, TapsSitInTheirBlocksInForwardOrder) {
  auto net = space().build(space().parse(kAllConv3x3), nas::NetSpec{});
  ASSERT_EQ(net->num_blocks(), 18);
  const auto& taps = net->taps();
  // 6 conv edges per normal cell x 15 + 2 per ResNet block x 2 + the head ReLU.
  ASSERT_EQ(taps.size(), 95u);
  std::vector<int> expected;
  for (int block = 0; block < 17; ++block) {
    const int count = (block == 5 || block == 11) ? 2 : 6;
    for (int i = 0; i < count; ++i) expected.push_back(block);
  }
  expected.push_back(17);
  for (std::size_t i = 0; i < taps.size(); ++i) {
    EXPECT_EQ(taps[i]->block(), expected[i]) << "tap " << i;
    EXPECT_EQ(taps[i]->is_head(), i + 1 == taps.size()) << "tap " << i;
  }

  // The ResNet-like cell has 2 conv edges: 2*15 + 4 + 1 taps; they record pre-activations.
  auto resnet = space().build(space().parse(kResNet), nas::NetSpec{});
  ASSERT_EQ(resnet->taps().size(), 35u);
  resnet->set_recording(true);
  resnet->forward(at::randn({2, 3, 32, 32}));
  const auto& recorded = resnet->taps();
  for (const auto& tap : recorded) EXPECT_TRUE(tap->has_response());
  EXPECT_EQ(recorded.front()->response().sizes().vec(), (std::vector<std::int64_t>{2, 16, 32, 32}));
  EXPECT_EQ(recorded[10]->block(), 5);  // conv_a of the first ResNet block sees 16 channels
  EXPECT_EQ(recorded[10]->response().sizes().vec(), (std::vector<std::int64_t>{2, 16, 32, 32}));
  EXPECT_EQ(recorded[11]->response().sizes().vec(), (std::vector<std::int64_t>{2, 32, 16, 16}));
  EXPECT_EQ(recorded.back()->response().sizes().vec(), (std::vector<std::int64_t>{2, 64, 8, 8}));
}

TEST_F(Nb201, MutateChangesExactlyOneEdgeUniformly) {
  nas::Rng rng(nas::derive_seed(11, "test_nb201_mutate"));
  for (int i = 0; i < 300; ++i) {
    const nas::Arch parent = space().sample(rng);
    const nas::Arch child = space().mutate(parent, rng);
    EXPECT_EQ(count_differences(space().encode(parent), space().encode(child)), 1);
  }
  // From one parent, all 6 edges x 4 other ops appear about equally often.
  const nas::Arch parent = space().parse(kResNet);
  const std::vector<int> before = space().encode(parent);
  std::map<std::pair<int, int>, int> seen;
  const int draws = 4800;
  for (int i = 0; i < draws; ++i) {
    const std::vector<int> after = space().encode(space().mutate(parent, rng));
    for (int e = 0; e < 6; ++e) {
      if (after[e] != before[e]) ++seen[{e, after[e]}];
    }
  }
  EXPECT_EQ(seen.size(), 24u);
  for (const auto& [move, count] : seen) {
    EXPECT_GT(count, 120) << "edge " << move.first << " op " << move.second;  // expected 200
    EXPECT_LT(count, 280) << "edge " << move.first << " op " << move.second;
  }
}

TEST_F(Nb201, SampleIsSeededAndUniformPerEdge) {
  nas::Rng a(42), b(42);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(space().sample(a), space().sample(b));
  std::vector<std::vector<int>> counts(6, std::vector<int>(5, 0));
  const int draws = 5000;
  for (int i = 0; i < draws; ++i) {
    const std::vector<int> choice = space().encode(space().sample(a));
    for (int e = 0; e < 6; ++e) ++counts[e][choice[e]];
  }
  for (int e = 0; e < 6; ++e) {
    for (int op = 0; op < 5; ++op) {
      EXPECT_GT(counts[e][op], 850) << "edge " << e << " op " << op;  // expected 1000
      EXPECT_LT(counts[e][op], 1150) << "edge " << e << " op " << op;
    }
  }
}

TEST_F(Nb201, DecisionViewAndEncodeDecode) {
  const std::vector<nas::Decision> slots = space().decisions();
  const std::vector<std::string> names = {"edge_1<-0", "edge_2<-0", "edge_2<-1",
                                          "edge_3<-0", "edge_3<-1", "edge_3<-2"};
  ASSERT_EQ(slots.size(), names.size());
  for (std::size_t i = 0; i < slots.size(); ++i) {
    EXPECT_EQ(slots[i].name, names[i]);
    EXPECT_EQ(slots[i].choices, kOps);
  }
  // Index 0: avg_pool_3x3, nor_conv_1x1, skip_connect, nor_conv_1x1, skip_connect, skip_connect.
  EXPECT_EQ(space().encode(space().parse(kIndex0)), (std::vector<int>{4, 2, 1, 2, 1, 1}));
  EXPECT_EQ(space().decode({3, 0, 3, 1, 0, 1}).str(), kResNet);
  nas::Rng rng(5);
  for (int i = 0; i < 200; ++i) {
    const nas::Arch arch = space().sample(rng);
    EXPECT_EQ(space().decode(space().encode(arch)), arch);
  }
  EXPECT_THROW(space().decode({0, 0, 0, 0, 0}), nas::Error);
  EXPECT_THROW(space().decode({0, 0, 0, 0, 0, 5}), nas::Error);
  EXPECT_THROW(space().decode({-1, 0, 0, 0, 0, 0}), nas::Error);
}

// ---------------------------------------------------------------------------------------
// Supernet (TE-NAS's pruning view)
// ---------------------------------------------------------------------------------------

using nas::test::Alive;

// The message of the nas::Error that `f` throws, or "(no error)".
template <typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const nas::Error& error) {
    return error.what();
  }
  return "(no error)";
}

// Every op alive on every edge, or every op but `none` (TE-NAS's starting point).
Alive all_alive(bool with_none = true) {
  return Alive(6, std::vector<bool>{with_none, true, true, true, true});
}

// One survivor per edge: the decision view of `arch`.
Alive one_survivor(const nas::SearchSpace& space, const nas::Arch& arch) {
  Alive alive(6, std::vector<bool>(5, false));
  const std::vector<int> choices = space.encode(arch);
  for (int e = 0; e < 6; ++e) alive[e][choices[e]] = true;
  return alive;
}

// The supernet's name for a parameter or buffer of the discrete network of `choices`:
// cells.K.layers.E.X -> cells.K.layers.E.<op of edge E>.X (nb201_network.cpp).
std::string supernet_name(const std::string& name, const std::vector<int>& choices) {
  const std::string key = ".layers.";
  const auto at = name.find(key);
  if (at == std::string::npos) return name;
  const auto edge_end = name.find('.', at + key.size());
  const int edge = std::stoi(name.substr(at + key.size(), edge_end - at - key.size()));
  return name.substr(0, edge_end) + "." + std::to_string(choices.at(edge)) + name.substr(edge_end);
}

TEST_F(Nb201, SupernetWithOneSurvivorPerEdgeIsTheDiscreteNetworkGivenItsWeights) {
  // By design the supernet creates every op of every edge (so that an op's weights do not
  // depend on what else survives), so under one seed its weights are not build()'s: the two
  // compute the same function, which shows once build()'s weights are copied in.
  nas::Rng rng(nas::derive_seed(3, "test_nb201_supernet"));
  std::vector<nas::Arch> archs = {space().parse(kAllConv3x3), space().parse(kResNet),
                                  space().parse(kIndex0), space().parse(kAllNone)};
  while (archs.size() < 6) archs.push_back(space().sample(rng));
  const std::vector<nas::NetSpec> specs = {nas::NetSpec{10, 3, 32}, thin_spec()};
  for (const nas::NetSpec& spec : specs) {
    for (const nas::Arch& arch : archs) {
      SCOPED_TRACE(arch.str() + (spec.default_shape() ? " (full)" : " (thin)"));
      const std::vector<int> choices = space().encode(arch);
      nas::test::expect_supernet_is_the_discrete_network(
          space(), arch, one_survivor(space(), arch), spec,
          [&](const std::string& name) { return supernet_name(name, choices); }, 21, 22);
    }
  }
  // Where the two draw different weights: the first 3x3 conv of the supernet comes after a
  // 1x1 conv on the same edge.
  at::manual_seed(4);
  auto discrete = space().build(space().parse(kAllConv3x3), nas::NetSpec{});
  at::manual_seed(4);
  auto super =
      space().build_supernet(one_survivor(space(), space().parse(kAllConv3x3)), nas::NetSpec{});
  EXPECT_TRUE(super->named_parameters()["stem.0.weight"].equal(
      discrete->named_parameters()["stem.0.weight"]));
  EXPECT_FALSE(super->named_parameters()["cells.0.layers.0.3.op.1.weight"].equal(
      discrete->named_parameters()["cells.0.layers.0.op.1.weight"]));
}

TEST_F(Nb201, SupernetWeightsDoNotDependOnWhatSurvives) {
  // TE-NAS scores an op by comparing the supernet with the same supernet minus that op: built
  // from one seed, the two share the weights of everything they both hold.
  Alive pruned = all_alive(false);
  pruned[2] = {false, false, true, false, false};  // edge 2 <- 1 down to nor_conv_1x1
  pruned[4][3] = false;                            // edge 3 <- 1 loses nor_conv_3x3
  at::manual_seed(9);
  auto full = space().build_supernet(all_alive(), nas::NetSpec{});
  at::manual_seed(9);
  auto less = space().build_supernet(pruned, nas::NetSpec{});
  const auto all_params = full->named_parameters();
  for (const auto& item : less->named_parameters()) {
    ASSERT_TRUE(all_params.contains(item.key())) << item.key();
    EXPECT_TRUE(item.value().equal(all_params[item.key()])) << item.key();
  }
  // Per normal cell: edge 2 loses its 3x3 conv, edge 4 its 3x3 conv (the none ops own nothing).
  std::int64_t removed = 0;
  for (std::int64_t c : {16, 32, 64}) removed += 5 * 2 * (c * c * 9 + 2 * c);
  EXPECT_EQ(nas::test::param_count(*full) - nas::test::param_count(*less), removed);
  EXPECT_FALSE(less->named_parameters().contains("cells.0.layers.4.3.op.1.weight"));
  EXPECT_TRUE(less->named_parameters().contains("cells.0.layers.4.2.op.1.weight"));
  // Taps: survivors only, in forward order; pruned ops have none.
  // Conv survivors per normal cell: 2 + 2 + 1 + 2 + 1 + 2 = 10; 15 cells, 4 ResNet taps, head.
  EXPECT_EQ(less->taps().size(), 15u * 10 + 4 + 1);
  EXPECT_EQ(less->relu_conv_units().size(), 15u * 10 + 4);
}

TEST_F(Nb201, AllAliveSupernetParameterCountByHand) {
  // NB201 C = 16, N = 5, CIFAR-10 head, every op on every edge. An edge holds a 1x1 conv
  // (c*c weights + 2c BN) and a 3x3 conv (9c*c + 2c): 10c^2 + 4c, so a cell holds
  // 6 x (10c^2 + 4c) = 60c^2 + 24c:
  //   c = 16: 15,360 + 384 = 15,744, x 5 cells =    78,720
  //   c = 32: 61,440 + 768 = 62,208, x 5 cells =   311,040
  //   c = 64: 245,760 + 1,536 = 247,296, x 5   = 1,236,480
  // The rest is the discrete network's:
  //   stem 3*16*9 + 32                          =       464
  //   ResNet 16->32: 4,608+64 + 9,216+64 + 512  =    14,464
  //   ResNet 32->64: 18,432+128 + 36,864+128 + 2,048 = 57,600
  //   lastact BN 128, classifier 64*10 + 10     =       778
  //   total                                     = 1,699,546
  at::manual_seed(0);
  auto net = space().build_supernet(all_alive(), nas::NetSpec{10, 3, 32});
  EXPECT_EQ(nas::test::param_count(*net), 1699546);
  // The all-3x3 network (the benchmark's 1,531,546) plus six 1x1 convs per cell.
  EXPECT_EQ(space().params(space().parse(kAllConv3x3), nas::NetSpec{}), 1531546);
  EXPECT_EQ(1531546 + 5 * 6 * ((16 * 16 + 32) + (32 * 32 + 64) + (64 * 64 + 128)), 1699546);
  // Two conv ops on each of 6 edges in 15 cells, 2 per ResNet block, the head.
  EXPECT_EQ(net->taps().size(), 15u * 12 + 4 + 1);
  // TE-NAS's NB201 NTK supernet: C = 3, N = 1, `none` pruned (it owns nothing anyway).
  //   cells: 6 x (10c^2 + 4c) at c = 3, 6, 12: 612 + 2,304 + 8,928 = 11,844
  //   stem 3*3*9 + 6 = 87; ResNet 3->6: 162+12 + 324+12 + 18 = 528;
  //   ResNet 6->12: 648+24 + 1,296+24 + 72 = 2,064; lastact 24; classifier 12*10 + 10 = 130
  //   total 14,677
  nas::NetSpec tenas{10, 3, 32};
  tenas.width = 3;
  tenas.depth = 1;
  EXPECT_EQ(nas::test::param_count(*space().build_supernet(all_alive(false), tenas)), 14677);
  // TE-NAS's thin network (one cell on one channel): 6 x (1 + 2 + 9 + 2) + 2 + 20 = 106.
  EXPECT_EQ(nas::test::param_count(*space().build_supernet(all_alive(), thin_spec())), 106);
}

TEST_F(Nb201, SupernetEdgeIsTheMeanOfItsSurvivors) {
  // Parameter-free ops make the mix checkable by hand. With {none, skip_connect} on every edge
  // each edge gives (0 + x) / 2, so node 1 = x/2, node 2 = x/2 + x/4 = 3x/4, node 3 =
  // x/2 + x/4 + 3x/8 = 9x/8; the all-skip_connect cell gives node 3 = x + x + 2x = 4x. In eval
  // mode (BatchNorm with its initial statistics: a fixed scale) the head is positively
  // homogeneous up to the classifier's bias, so on the one-cell thin network the supernet's
  // logits at x are the discrete all-skip network's at 9x/32, given the same head weights.
  const std::string all_skip =
      "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|"
      "skip_connect~2|";
  const Alive none_or_skip(6, std::vector<bool>{true, true, false, false, false});
  at::manual_seed(5);
  auto super = space().build_supernet(none_or_skip, thin_spec());
  auto discrete = space().build(space().parse(all_skip), thin_spec());
  EXPECT_EQ(super->named_parameters().keys(), discrete->named_parameters().keys());
  at::NoGradGuard no_grad;
  for (const auto& item : discrete->named_parameters()) {
    item.value().copy_(super->named_parameters()[item.key()]);
  }
  super->eval();
  discrete->eval();
  at::manual_seed(6);
  const at::Tensor x = at::randn({4, 1, 3, 3});
  const at::Tensor got = super->forward(x), want = discrete->forward(x * (9.0 / 32.0));
  EXPECT_TRUE(at::allclose(got, want, 1e-6, 1e-7)) << got << want;
  // And not merely any scale: the all-skip network at x differs.
  EXPECT_FALSE(at::allclose(super->forward(x), discrete->forward(x), 1e-3, 1e-4));
}

TEST_F(Nb201, SupernetRefusesBadAliveMatrices) {
  auto message = [&](const Alive& alive) {
    return message_of([&] { space().build_supernet(alive, nas::NetSpec{}); });
  };
  EXPECT_TRUE(space().has_supernet());
  Alive five(5, std::vector<bool>(5, true));
  std::string why = message(five);
  EXPECT_NE(why.find("alive has 5 rows, expected 6"), std::string::npos) << why;
  EXPECT_NE(why.find("edge_1<-0, edge_2<-0, edge_2<-1, edge_3<-0, edge_3<-1, edge_3<-2"),
            std::string::npos)
      << why;
  Alive short_row = all_alive();
  short_row[3].pop_back();
  why = message(short_row);
  EXPECT_NE(why.find("alive[3] (slot edge_3<-0) has 4 entries, expected 5"), std::string::npos)
      << why;
  EXPECT_NE(why.find("none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3"),
            std::string::npos)
      << why;
  Alive empty_row = all_alive();
  empty_row[5] = std::vector<bool>(5, false);
  why = message(empty_row);
  EXPECT_NE(why.find("alive[5] (slot edge_3<-2) keeps no choice"), std::string::npos) << why;
  // The NetSpec is checked as build() checks it.
  nas::NetSpec odd{10, 3, 30};
  EXPECT_NE(message_of([&] { space().build_supernet(all_alive(), odd); }).find("multiple of 4"),
            std::string::npos);
}

TEST_F(Nb201, SupernetAgreesWithTheTeNasStylePythonSupernet) {
  // tests/oracle/nb201_supernet.py builds TE-NAS's supernet (all ops on every edge, alpha 0
  // or -1000, sum of softmax-weighted ops above 0.01) from the Python NB201 model in the
  // documented construction order; same seeds, so the same weights and inputs.
  ASSERT_EQ(nas::test::run_command("/usr/bin/python3 -c 'import torch'").status, 0)
      << "/usr/bin/python3 cannot import torch; the set-up script installs python3-torch";
  struct Case {
    std::string name;
    Alive alive;
    nas::NetSpec spec;
    std::uint64_t build_seed, input_seed;
  };
  Alive mid = all_alive();  // one to five survivors per edge, none among them on some
  mid[0] = {false, false, false, true, false};
  mid[1] = {true, false, true, false, true};
  mid[2] = {false, true, true, true, false};
  mid[3] = {true, true, true, true, false};
  mid[4] = {false, true, false, false, true};
  nas::NetSpec tenas{10, 3, 32};  // TE-NAS's NB201 NTK supernet: C = 3, N = 1
  tenas.width = 3;
  tenas.depth = 1;
  nas::NetSpec cut{7, 3, 8};  // two cells per stage, the first four cells, 8 channels
  cut.width = 8;
  cut.depth = 2;
  cut.max_cells = 4;
  const std::vector<Case> cases = {
      {"full_without_none", all_alive(false), nas::NetSpec{10, 3, 32}, 0, 1},
      {"full_mid_pruning", mid, nas::NetSpec{10, 3, 32}, 17, 18},
      {"tenas_ntk_net", all_alive(false), tenas, 3, 4},
      {"thin_all", all_alive(), thin_spec(), 5, 6},
      {"cut_mid", mid, cut, 7, 8},
  };
  nas::test::TempDir dir;
  nlohmann::json spec;
  spec["cases"] = nlohmann::json::array();
  for (const Case& c : cases) {
    spec["cases"].push_back({{"name", c.name},
                             {"alive", nas::test::alive_json(c.alive)},
                             {"C", c.spec.width == 0 ? 16 : c.spec.width},
                             {"N", c.spec.depth == 0 ? 5 : c.spec.depth},
                             {"max_cells", c.spec.max_cells},
                             {"stem", c.spec.stem},
                             {"in_channels", c.spec.in_channels},
                             {"input_size", c.spec.input_size},
                             {"num_classes", c.spec.num_classes},
                             {"build_seed", c.build_seed},
                             {"input_seed", c.input_seed},
                             {"batch", 2}});
  }
  std::ofstream(dir.file("spec.json")) << spec.dump();
  const std::string oracle = nas::test::source_dir() + "/tests/oracle/nb201_supernet.py";
  const auto result = nas::test::run_command("/usr/bin/python3 " + oracle + " " +
                                             dir.file("spec.json") + " -o " + dir.file("out.json"));
  ASSERT_EQ(result.status, 0) << result.output;
  const nlohmann::json out = nlohmann::json::parse(nas::test::read_file(dir.file("out.json")));
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const nlohmann::json& want = out.at(c.name);
    at::manual_seed(c.build_seed);
    auto net = space().build_supernet(c.alive, c.spec);
    const auto named = net->named_parameters();
    EXPECT_EQ(named.keys(), want.at("names").get<std::vector<std::string>>());
    EXPECT_EQ(nas::test::param_count(*net), want.at("params").get<std::int64_t>());
    double sum = 0, abs_sum = 0;
    for (const auto& item : named) {
      sum += item.value().to(at::kDouble).sum().item<double>();
      abs_sum += item.value().to(at::kDouble).abs().sum().item<double>();
    }
    EXPECT_NEAR(sum, want.at("weight_sum").get<double>(), 1e-9 * abs_sum);
    at::manual_seed(c.input_seed);
    const at::Tensor input =
        at::randn({2, c.spec.in_channels, c.spec.input_size, c.spec.input_size});
    at::NoGradGuard no_grad;
    nas::test::expect_logits_near(net->forward(input), want.at("logits").get<std::vector<double>>(),
                                  1e-6);
  }
}

TEST_F(Nb201, WidthMultiplierScalesTheBaseWidth) {
  // C' = max(1, round(m x C)): 0.5 x 16 = 8, 1.5 x 16 = 24, 0.25 x 10 = 2.5 -> 3 (ties away
  // from zero), 0.01 x 16 = 0.16 -> 1 (at least one channel).
  const nas::Arch arch = space().parse(kIndex0);
  const std::vector<std::tuple<int, double, int>> cases = {
      {0, 0.5, 8}, {0, 1.5, 24}, {10, 0.25, 3}, {0, 0.01, 1}, {0, 1.0, 16}};
  for (const auto& [width, m, channels] : cases) {
    SCOPED_TRACE("width " + std::to_string(width) + " x " + std::to_string(m));
    nas::NetSpec scaled{10, 3, 32};
    scaled.width = width;
    scaled.width_multiplier = m;
    nas::NetSpec plain{10, 3, 32};
    plain.width = channels;
    EXPECT_EQ(space().params(arch, scaled), space().params(arch, plain));
    EXPECT_EQ(space().flops(arch, scaled), space().flops(arch, plain));
    // The same network, weight for weight, under one seed.
    at::manual_seed(12);
    auto a = space().build(arch, scaled);
    at::manual_seed(12);
    auto b = space().build(arch, plain);
    EXPECT_EQ(a->named_parameters()["stem.0.weight"].size(0), channels);
    EXPECT_EQ(nas::test::param_count(*a), space().params(arch, plain));
    EXPECT_TRUE(a->named_parameters()["classifier.weight"].equal(
        b->named_parameters()["classifier.weight"]));
  }
  // By hand, index 0 at C = 8: stem 3*8*9 + 16 = 232; cells: two 1x1 edges, 5 x 2 x (c^2 + 2c)
  // at c = 8, 16, 32 = 800 + 2,880 + 10,880 = 14,560; ResNet 8->16: 1,152+32 + 2,304+32 + 128
  // = 3,648; ResNet 16->32: 4,608+64 + 9,216+64 + 512 = 14,464; lastact 64; classifier 330.
  nas::NetSpec half{10, 3, 32};
  half.width_multiplier = 0.5;
  EXPECT_EQ(space().params(arch, half), 232 + 14560 + 3648 + 14464 + 64 + 330);
  EXPECT_FALSE(half.default_shape());
  EXPECT_NE(message_of([&] { nas::require_default_shape(half, "x"); }).find("'width_multiplier'"),
            std::string::npos);
  // Without a stem the scaled width is what the cell reads.
  nas::NetSpec stemless{10, 8, 8};
  stemless.stem = false;
  stemless.width_multiplier = 0.5;
  EXPECT_EQ(space().build(arch, stemless)->forward(at::randn({1, 8, 8, 8})).size(1), 10);
  for (double bad : {0.0, -1.0, std::nan(""), HUGE_VAL, 5000.0}) {
    nas::NetSpec spec{};
    spec.width_multiplier = bad;
    const std::string why = message_of([&] { space().params(arch, spec); });
    EXPECT_NE(why.find("width_multiplier must be positive and finite"), std::string::npos)
        << bad << ": " << why;
    EXPECT_THROW(space().build(arch, spec), nas::Error);
  }
}

TEST_F(Nb201, DeviceIsHonouredOrRefused) {
  const nas::Arch arch = space().parse(kResNet);
  nas::NetSpec cpu{};
  cpu.device = "cpu";
  EXPECT_TRUE(cpu.default_shape());  // the device is not a shape
  EXPECT_TRUE(space().build(arch, cpu)->parameters().front().device().is_cpu());
  for (const char* bad : {"gpu", "CUDA", "cuda:", "cuda:x", "cpu:0", ""}) {
    nas::NetSpec spec{};
    spec.device = bad;
    const std::string why = message_of([&] { space().build(arch, spec); });
    EXPECT_NE(why.find("is not one of cpu, cuda, cuda:<index>"), std::string::npos)
        << bad << ": " << why;
    EXPECT_THROW(space().params(arch, spec), nas::Error);
  }
  // "cuda" is accepted by the counts; build() moves the network there, or says why it cannot.
  nas::NetSpec cuda{};
  cuda.device = "cuda";
  EXPECT_EQ(space().params(arch, cuda), space().params(arch, nas::NetSpec{}));
  if (at::hasCUDA()) {
    EXPECT_TRUE(space().build(arch, cuda)->parameters().front().device().is_cuda());
  } else {
    const std::string why = message_of([&] { space().build(arch, cuda); });
    EXPECT_NE(why.find("cannot move the network to device 'cuda'"), std::string::npos) << why;
  }
}

// A space that implements only what SearchSpace requires.
class BareSpace : public nas::SearchSpace {
 public:
  std::string name() const override { return "bare"; }
  nas::Arch parse(const std::string& text) const override { return nas::Arch("bare", text); }
  nas::Arch sample(nas::Rng&) const override { return nas::Arch("bare", "a"); }
  nas::Arch mutate(const nas::Arch&, nas::Rng&) const override { return nas::Arch("bare", "b"); }
  std::vector<nas::Decision> decisions() const override { return {{"slot", {"a", "b"}}}; }
  std::vector<int> encode(const nas::Arch&) const override { return {0}; }
  nas::Arch decode(const std::vector<int>&) const override { return nas::Arch("bare", "a"); }
  std::shared_ptr<nas::Network> build(const nas::Arch&, const nas::NetSpec&) const override {
    return nullptr;
  }
  std::int64_t params(const nas::Arch&, const nas::NetSpec&) const override { return 0; }
  std::int64_t flops(const nas::Arch&, const nas::NetSpec&) const override { return 0; }
};

TEST(SearchSpaceDefaults, NoSupernetUnlessTheSpaceHasOne) {
  const BareSpace bare;
  EXPECT_FALSE(bare.has_supernet());
  EXPECT_EQ(message_of([&] {
              bare.build_supernet({{true, true}}, nas::NetSpec{});
            }),
            "search space 'bare' has no supernet");
}

TEST(Nb201Plugin, ShipsBothBenchmarkTables) {
  space_component();
  for (const auto& [name, file] : std::vector<std::pair<std::string, std::string>>{
           {"nb201", "accuracies.csv.gz"}, {"nb201_v1_0", "accuracies_v1_0.csv.gz"}}) {
    const nas::BenchmarkTable* table = nas::Registry::global().find_benchmark(name);
    ASSERT_NE(table, nullptr) << name;
    EXPECT_EQ(table->space, "nb201");
    const std::string& path = table->path;
    ASSERT_GE(path.size(), file.size()) << name;
    EXPECT_EQ(path.substr(path.size() - file.size()), file);
    EXPECT_EQ(nas::read_csv(path).rows.size(), 15625u) << path;
  }
}

}  // namespace
