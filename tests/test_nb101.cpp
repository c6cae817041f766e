// Tests of the NAS-Bench-101 space plugin against independent facts: the `params` column of
// NASLib's NB101 table (all 500 shipped rows), graph hashes from an independent Python
// implementation of graph_util.hash_module and an independent PyTorch model of
// model_builder.py (spaces/nb101/tools/nb101_oracle.py), counts worked out by hand, and the
// layers of the built network.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <nlohmann/json.hpp>

#include "nas/csv.h"
#include "nas/error.h"
#include "nas/ground_truth.h"
#include "nas/network.h"
#include "nas/params.h"
#include "nas/plugin_loader.h"
#include "nas/registry.h"
#include "nas/search_space.h"
#include "nas/seed.h"
#include "space_plugin.h"
#include "test_support.h"
#include "zen_pooled_check.h"

namespace {

using nas::NetworkIdentity;

// Only input -> output: each module is the projection of its input alone.
const std::string kDirect = "0100 input,output";
// input -> conv3x3 -> output, as a 3-vertex cell.
const std::string kChain3 = "010001000 input,conv3x3-bn-relu,output";
// The same network written on 7 vertices: vertex 1 is the conv; vertex 2 has no way in from
// the input (2 -> 6 only), vertex 5 no way out (0 -> 5 only), vertices 3 and 4 are isolated.
const std::string kChain7 =
    "0100010"
    "0000001"
    "0000001"
    "0000000"
    "0000000"
    "0000000"
    "0000000"
    " input,conv3x3-bn-relu,maxpool3x3,conv1x1-bn-relu,conv1x1-bn-relu,maxpool3x3,output";
// Two parallel branches, written in both vertex orders.
const std::string kForkA = "0110000100010000 input,conv3x3-bn-relu,maxpool3x3,output";
const std::string kForkB = "0110000100010000 input,maxpool3x3,conv3x3-bn-relu,output";
// The first row of the shipped table.
const std::string kRow0 =
    "0111101000001100000010000110000001100000000000000 "
    "input,maxpool3x3,maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,output";

std::string data_file(const std::string& name) {
  return nas::test::source_dir() + "/spaces/nb101/data/" + name;
}

const nas::Component<nas::SearchSpace>& space_component() {
  return nas::test::space_component("nb101");
}

class Nb101 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto& component = space_component();
    space_ = component.create(nas::Params::defaults(component.schema, "nb101"));
  }
  static void TearDownTestSuite() { space_.reset(); }
  static nas::SearchSpace& space() { return *space_; }
  static std::shared_ptr<nas::SearchSpace> space_;
};
std::shared_ptr<nas::SearchSpace> Nb101::space_;

template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

struct Row {
  std::string arch, matrix, ops, params;
  double val_accuracy;
};

std::vector<Row> table_rows() {
  const nas::CsvTable table = nas::read_csv(data_file("sample_accuracies.csv"));
  const std::size_t m = table.column("matrix"), o = table.column("ops"), p = table.column("params"),
                    v = table.column("val_accuracy");
  std::vector<Row> rows;
  for (const auto& row : table.rows) {
    rows.push_back(
        {row[m] + " " + row[o], row[m], row[o], row[p], nas::parse_double(row[v], "val_accuracy")});
  }
  return rows;
}

// ---- strings ----

TEST_F(Nb101, ParseFormatRoundTripsEveryTableRow) {
  const std::vector<Row> rows = table_rows();
  ASSERT_EQ(rows.size(), 500u);
  for (const Row& row : rows) {
    const nas::Arch arch = space().parse(row.arch);
    ASSERT_EQ(arch.str(), row.arch);
    ASSERT_EQ(arch.space(), "nb101");
    ASSERT_EQ(space().parse(arch.str()), arch);
  }
  EXPECT_EQ(space().parse("  " + kChain3 + "\n").str(), kChain3);
  // Smaller cells are written with their own size and stay as written (not padded, not pruned).
  EXPECT_EQ(space().parse(kDirect).str(), kDirect);
  EXPECT_EQ(space().parse(kChain7).str(), kChain7);
}

TEST_F(Nb101, BadStringsNameTheWrongPart) {
  const std::string ops7 =
      " input,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,"
      "output";
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"", {"empty"}},
      {"0100", {"separated by one space"}},
      {"0100  input,output", {"exactly one space"}},
      {"0120 input,output", {"matrix: character 2 is '2'", "only digits 0 and 1"}},
      {"01000 input,output", {"matrix: 5 digits", "V*V digits for V = 2..7"}},
      {std::string(64, '0') + " input,output", {"matrix: 64 digits"}},
      {"0100 input,conv3x3-bn-relu,output", {"labels: 3 labels for a 2x2 matrix", "expected 2"}},
      {"0110 input,output", {"not upper triangular", "entry (1, 0)"}},
      {"1100 input,output", {"not upper triangular", "entry (0, 0)"}},
      {"010001000 input,conv5x5,output",
       {"label 1 'conv5x5': unknown op", "valid: conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3"}},
      {"010001000 output,conv3x3-bn-relu,output",
       {"label 0 'output'", "first label must be 'input'"}},
      {"010001000 input,conv3x3-bn-relu,maxpool3x3", {"label 2", "last label must be 'output'"}},
      {"010000000 input,conv3x3-bn-relu,output", {"no path from input to output"}},
      {"0000 input,output", {"no path from input to output"}},
      // 10 edges, every vertex on an input->output path.
      {"0111000"
       "0011000"
       "0001100"
       "0000100"
       "0000010"
       "0000001"
       "0000000" +
           ops7,
       {"too many edges: 10", "at most 9"}},
  };
  for (const auto& [text, expected] : cases) {
    const std::string message = message_of([&] { space().parse(text); });
    EXPECT_NE(message.find("NAS-Bench-101"), std::string::npos) << message;
    for (const std::string& part : expected) {
      EXPECT_NE(message.find(part), std::string::npos)
          << "input: " << text << "\nmessage: " << message << "\nmissing: " << part;
    }
  }
  EXPECT_THROW(space().encode(nas::Arch("nb201", kChain3)), nas::Error);
}

TEST_F(Nb101, EdgeLimitCountsThePrunedCell) {
  // 10 ones in the matrix, but vertex 5's edge 0 -> 5 is dead (5 has no way out): 9 remain.
  const std::string text =
      "0111010"
      "0011000"
      "0001100"
      "0000100"
      "0000001"
      "0000000"
      "0000000"
      " input,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,maxpool3x3,output";
  const nas::Arch arch = space().parse(text);
  EXPECT_EQ(arch.str(), text);
  // Dead vertices own nothing: it is the 6-vertex cell without vertex 5.
  const nas::Arch six = space().parse(
      "011100001100000110000010000001000000 "
      "input,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,output");
  const nas::NetSpec cifar{10, 3, 32};
  EXPECT_EQ(space().params(arch, cifar), space().params(six, cifar));
  EXPECT_EQ(space().network_key(arch, NetworkIdentity::kStructure),
            space().network_key(six, NetworkIdentity::kStructure));
}

// ---- counts ----

TEST_F(Nb101, ParamsMatchTheTableForAll500Rows) {
  // The table prints params / 10^6 with 7 significant digits ('%.7g').
  const nas::NetSpec cifar{10, 3, 32};
  int exact = 0;
  for (const Row& row : table_rows()) {
    const std::int64_t p = space().params(space().parse(row.arch), cifar);
    char text[64];
    std::snprintf(text, sizeof text, "%.7g", static_cast<double>(p) / 1e6);
    ASSERT_EQ(std::string(text), row.params) << row.arch << " counts " << p;
    exact += (static_cast<double>(p) / 1e6 == nas::parse_double(row.params, "params")) ? 1 : 0;
  }
  EXPECT_GT(exact, 300);
}

TEST_F(Nb101, ParamsAndFlopsByHand) {
  const nas::NetSpec cifar{10, 3, 32};
  // input -> output alone: every module is a 1x1 conv + BN of its input.
  //   stem 3*128*9 + 256 = 3,712; stack 1: 3 x (128*128 + 256) = 49,920;
  //   stack 2: 128*256 + 512 + 2 x (256*256 + 512) = 165,376;
  //   stack 3: 256*512 + 1024 + 2 x (512*512 + 1024) = 658,432; dense 512*10 + 10 = 5,130.
  EXPECT_EQ(space().params(space().parse(kDirect), cifar), 882570);  // the table's 0.88257
  // MACs: stem 32*32*128*27 = 3,538,944; stack 1: 3 x 1024*128*128 = 50,331,648;
  //   stack 2: 256*256*(128 + 2*256) = 41,943,040; stack 3: 64*512*(256 + 2*512) = 41,943,040;
  //   dense 5,120.
  EXPECT_EQ(space().flops(space().parse(kDirect), cifar), 137761792);
  // input -> conv3x3 -> output: each module adds a projection and a 3x3 conv at C channels.
  //   stack 1: 3 x (128*128 + 256 + 128*128*9 + 256) = 493,056;
  //   stack 2: (128*256 + 512) + (256*256*9 + 512) + 2 x (256*256*10 + 1024) = 1,936,384;
  //   stack 3: (256*512 + 1024) + (512*512*9 + 1024) + 2 x (512*512*10 + 2048) = 7,739,392.
  EXPECT_EQ(space().params(space().parse(kChain3), cifar),
            3712 + 493056 + 1936384 + 7739392 + 5130);
  EXPECT_EQ(space().params(space().parse(kChain7), cifar),
            space().params(space().parse(kChain3), cifar));
  // Channel splitting: three conv1x1 branches into the output, 128 = 43 + 43 + 42.
  //   module 1 (128 in): projections 128*(43+43+42) + 2*128, convs 43^2*2 + 42^2 + 2*128.
  nas::NetSpec one{10, 3, 32};
  one.depth = 1;
  one.max_cells = 1;
  const std::string fork3 =
      "0111000001000010000100000 input,conv1x1-bn-relu,conv1x1-bn-relu,conv1x1-bn-relu,output";
  EXPECT_EQ(space().params(space().parse(fork3), one),
            3712 + (128 * 128 + 256) + (43 * 43 * 2 + 42 * 42 + 256) + 128 * 10 + 10);
}

TEST_F(Nb101, BuiltNetworksHoldTheAnalyticParameterCount) {
  at::NoGradGuard no_grad;
  std::vector<nas::Arch> archs = {space().parse(kDirect), space().parse(kChain7),
                                  space().parse(kRow0), space().parse(kForkA)};
  nas::Rng rng(nas::derive_seed(3, "test_nb101"));
  while (archs.size() < 8) archs.push_back(space().sample(rng));
  nas::NetSpec small{7, 3, 16};
  small.width = 16;
  small.depth = 1;
  nas::NetSpec cut{10, 1, 8};
  cut.width = 8;
  cut.depth = 2;
  cut.max_cells = 3;
  cut.stem = false;
  const std::vector<nas::NetSpec> specs = {nas::NetSpec{10, 3, 32}, small, cut};
  for (std::size_t k = 0; k < archs.size(); ++k) {
    for (const nas::NetSpec& spec : specs) {
      SCOPED_TRACE(archs[k].str() + " width " + std::to_string(spec.width));
      at::manual_seed(static_cast<std::uint64_t>(k));
      auto net = space().build(archs[k], spec);
      EXPECT_EQ(nas::test::param_count(*net), space().params(archs[k], spec));
      // Small inputs only where the full network is checked, to keep the test quick.
      const std::int64_t size = spec.width == 0 ? 8 : spec.input_size;
      net->eval();
      const at::Tensor out = net->forward(at::randn({2, spec.in_channels, size, size}));
      EXPECT_EQ(out.sizes(), (std::vector<std::int64_t>{2, spec.num_classes}));
    }
  }
}

TEST_F(Nb101, FlopsEqualTheMacsOfACountedForward) {
  at::NoGradGuard no_grad;
  nas::Rng rng(nas::derive_seed(4, "test_nb101"));
  std::vector<nas::Arch> archs = {space().parse(kRow0), space().parse(kChain3)};
  archs.push_back(space().sample(rng));
  nas::NetSpec spec{10, 3, 16};
  spec.width = 24;  // 24 splits unevenly among 5 outputs; keeps the forward cheap
  for (const auto& arch : archs) {
    SCOPED_TRACE(arch.str());
    auto net = space().build(arch, spec);
    net->eval();
    nas::set_layer_recording(*net, true);
    net->forward(at::randn({1, 3, 16, 16}));
    const std::vector<at::Tensor> outputs = nas::layer_outputs(*net);
    std::int64_t macs = 0;
    std::size_t i = 0;
    for (const auto& m : net->modules(/*include_self=*/true)) {
      if (auto* conv = m->as<torch::nn::Conv2dImpl>()) {
        ASSERT_LT(i, outputs.size());
        macs += outputs[i++].numel() * conv->weight.size(1) * conv->weight.size(2) *
                conv->weight.size(3);
      } else if (auto* linear = m->as<torch::nn::LinearImpl>()) {
        ASSERT_LT(i, outputs.size());
        macs += outputs[i++].numel() * linear->weight.size(1);
      }
    }
    nas::set_layer_recording(*net, false);
    EXPECT_EQ(i, outputs.size());
    EXPECT_EQ(macs, space().flops(arch, spec));
  }
}

TEST_F(Nb101, TapsSitInTheirModulesInForwardOrder) {
  const nas::Arch arch = space().parse(kRow0);
  auto net = space().build(arch, nas::NetSpec{10, 3, 32});
  // kRow0 pruned: vertex 5 has no way out; the live cell has 4 interior vertices, input feeds
  // 1, 2, 3, 4 (4 projections) and the output (1 projection), and 2 conv ops survive.
  // Blocks are the port's `layers` indices: stem 0, modules 1-3, pool 4, 5-7, pool 8, 9-11.
  ASSERT_EQ(net->num_blocks(), 12);
  const auto& taps = net->taps();
  ASSERT_EQ(taps.size(), 1u + 9u * (4u + 1u + 2u));
  EXPECT_EQ(taps.front()->block(), 0);
  std::map<int, int> per_block;
  int previous = 0;
  for (const auto& tap : taps) {
    EXPECT_GE(tap->block(), previous);
    EXPECT_EQ(tap->activation(), nas::Activation::kReLU);
    EXPECT_FALSE(tap->is_head());
    previous = tap->block();
    ++per_block[tap->block()];
  }
  const std::map<int, int> expected = {{0, 1}, {1, 7}, {2, 7}, {3, 7},  {5, 7},
                                       {6, 7}, {7, 7}, {9, 7}, {10, 7}, {11, 7}};
  EXPECT_EQ(per_block, expected);
  // Without a stem the first module is entry 0.
  nas::NetSpec bare{10, 3, 32};
  bare.stem = false;
  auto stemless = space().build(arch, bare);
  EXPECT_EQ(stemless->num_blocks(), 11);
  EXPECT_EQ(stemless->taps().front()->block(), 0);
  EXPECT_EQ(stemless->taps().back()->block(), 10);
  EXPECT_TRUE(net->relu_conv_units().empty());
  // Recording sees every tap in a forward pass.
  at::NoGradGuard no_grad;
  nas::TapRecording recording(*net);
  net->forward(at::randn({1, 3, 32, 32}));
  for (const auto& tap : taps) EXPECT_TRUE(tap->has_response());
}

TEST_F(Nb101, WeightsFollowThePortsInitialisation) {
  // He-normal (fan-out) convs, N(0, 0.01^2) classifier weight, zero classifier bias, BatchNorm
  // gamma 1 and beta 0; seeded through torch's global generator.
  const nas::Arch arch = space().parse(kRow0);
  at::manual_seed(9);
  auto net = space().build(arch, nas::NetSpec{10, 3, 32});
  at::manual_seed(9);
  auto again = space().build(arch, nas::NetSpec{10, 3, 32});
  const auto a = net->named_parameters(), b = again->named_parameters();
  ASSERT_EQ(a.keys(), b.keys());
  for (const auto& item : a) EXPECT_TRUE(item.value().equal(b[item.key()])) << item.key();
  for (const auto& item : a) {
    const at::Tensor& w = item.value();
    const std::string& name = item.key();
    if (name.size() > 11 && name.compare(name.size() - 11, 11, "conv.weight") == 0) {
      if (w.numel() < 20000) continue;  // enough samples for a tight std
      const double expected =
          std::sqrt(2.0 / static_cast<double>(w.size(0) * w.size(2) * w.size(3)));
      EXPECT_NEAR(w.std().item<double>() / expected, 1.0, 0.03) << name;
      EXPECT_NEAR(w.mean().item<double>() / expected, 0.0, 0.03) << name;
    } else if (name == "classifier.weight") {
      EXPECT_NEAR(w.std().item<double>(), 0.01, 0.001);
    } else if (name == "classifier.bias") {
      EXPECT_EQ(w.abs().sum().item<double>(), 0.0);
    } else if (name.size() > 9 && name.compare(name.size() - 9, 9, "bn.weight") == 0) {
      EXPECT_EQ((w - 1).abs().sum().item<double>(), 0.0) << name;
    } else if (name.size() > 7 && name.compare(name.size() - 7, 7, "bn.bias") == 0) {
      EXPECT_EQ(w.abs().sum().item<double>(), 0.0) << name;
    } else {
      ADD_FAILURE() << "unexpected parameter " << name;
    }
  }
  EXPECT_TRUE(a.contains("layers.0.conv.weight"));
  EXPECT_TRUE(a.contains("layers.1.op_3.conv.weight"));
  EXPECT_TRUE(a.contains("layers.1.projection_5.conv.weight"));
  EXPECT_TRUE(a.contains("layers.11.projection_1.bn.bias"));
}

TEST_F(Nb101, WeightsAndLogitsMatchThePythonOracle) {
  // tools/nb101_oracle.py builds model_builder.py's network in PyTorch (module order and
  // initialisation of the port): same seeds, so the same weights, and the same logits.
  if (nas::test::run_command("/usr/bin/python3 -c 'import torch, numpy'").status != 0) {
    NAS_ORACLE_MISSING("/usr/bin/python3 cannot import torch and numpy");
  }
  struct Case {
    std::string name, arch;
    nas::NetSpec spec;
  };
  nas::NetSpec narrow{10, 3, 16};
  narrow.width = 16;
  narrow.depth = 1;
  nas::NetSpec odd{7, 3, 8};  // 9 = 5 + 4: vertex 1 feeds both, truncated into the 4
  odd.width = 9;
  odd.depth = 1;
  nas::NetSpec cut{10, 2, 8};
  cut.width = 12;
  cut.depth = 2;
  cut.max_cells = 4;
  cut.stem = false;
  nas::Rng rng(nas::derive_seed(6, "test_nb101"));
  const std::vector<Case> cases = {
      {"row0_full", kRow0, nas::NetSpec{10, 3, 32}},
      {"chain7_narrow", kChain7, narrow},
      {"direct_narrow", kDirect, narrow},
      {"truncation",
       "0100000110000010000100000 input,conv3x3-bn-relu,conv1x1-bn-relu,maxpool3x3,output", odd},
      {"sample_a_cut", space().sample(rng).str(), cut},
      {"sample_b_narrow", space().sample(rng).str(), narrow},
  };
  nas::test::TempDir dir;
  nlohmann::json spec;
  spec["cases"] = nlohmann::json::array();
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    const auto space_at = c.arch.find(' ');
    const int depth = c.spec.depth == 0 ? 3 : c.spec.depth;
    spec["cases"].push_back({{"name", c.name},
                             {"matrix", c.arch.substr(0, space_at)},
                             {"ops", c.arch.substr(space_at + 1)},
                             {"width", c.spec.width == 0 ? 128 : c.spec.width},
                             {"depth", depth},
                             {"modules", c.spec.max_cells == 0 ? 3 * depth : c.spec.max_cells},
                             {"stem", c.spec.stem},
                             {"in_channels", c.spec.in_channels},
                             {"input_size", c.spec.input_size},
                             {"num_classes", c.spec.num_classes},
                             {"build_seed", 100 + k},
                             {"input_seed", 200 + k},
                             {"batch", 2}});
  }
  std::ofstream(dir.file("spec.json")) << spec.dump();
  const std::string oracle = nas::test::source_dir() + "/spaces/nb101/tools/nb101_oracle.py";
  const auto result =
      nas::test::run_command("/usr/bin/python3 '" + oracle + "' network '" + dir.file("spec.json") +
                             "' '" + dir.file("out.json") + "'");
  ASSERT_EQ(result.status, 0) << result.output;
  const nlohmann::json out = nlohmann::json::parse(nas::test::read_file(dir.file("out.json")));
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    SCOPED_TRACE(c.name + ": " + c.arch);
    const nlohmann::json& want = out.at(c.name);
    at::manual_seed(100 + k);
    auto net = space().build(space().parse(c.arch), c.spec);
    const auto named = net->named_parameters();
    EXPECT_EQ(named.keys(), want.at("names").get<std::vector<std::string>>());
    EXPECT_EQ(nas::test::param_count(*net), want.at("params").get<std::int64_t>());
    EXPECT_EQ(space().params(space().parse(c.arch), c.spec), want.at("params").get<std::int64_t>());
    double sum = 0, abs_sum = 0;
    for (const auto& item : named) {
      sum += item.value().to(at::kDouble).sum().item<double>();
      abs_sum += item.value().to(at::kDouble).abs().sum().item<double>();
    }
    EXPECT_NEAR(sum, want.at("weight_sum").get<double>(), 1e-9 * abs_sum);
    at::manual_seed(200 + k);
    const at::Tensor input =
        at::randn({2, c.spec.in_channels, c.spec.input_size, c.spec.input_size});
    at::NoGradGuard no_grad;
    const at::Tensor logits = net->forward(input).flatten();
    const auto expected = want.at("logits").get<std::vector<double>>();
    ASSERT_EQ(logits.numel(), static_cast<std::int64_t>(expected.size()));
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_NEAR(logits[static_cast<std::int64_t>(i)].item<float>(), expected[i], 1e-5)
          << "logit " << i;
    }
  }
}

TEST_F(Nb101, RefusesShapesItCannotBuild) {
  const nas::Arch arch = space().parse(kRow0);
  nas::NetSpec narrow{10, 3, 32};
  narrow.width = 1;  // kRow0's output has 3 interior inputs
  EXPECT_NE(message_of([&] { space().params(arch, narrow); }).find("width 1 is below the 3"),
            std::string::npos);
  nas::NetSpec odd{10, 3, 30};
  EXPECT_NE(message_of([&] { space().build(arch, odd); }).find("multiple of 4"), std::string::npos);
  nas::NetSpec too_deep{10, 3, 32};
  too_deep.max_cells = 10;
  EXPECT_NE(message_of([&] { space().flops(arch, too_deep); }).find("max_cells 10 exceeds the 9"),
            std::string::npos);
  nas::NetSpec device{10, 3, 32};
  device.device = "tpu";
  EXPECT_NE(message_of([&] { space().build(arch, device); }).find("device 'tpu'"),
            std::string::npos);
  nas::NetSpec multiplier{10, 3, 32};
  multiplier.width_multiplier = 0.25;  // 128 * 0.25 = 32 channels in the stem
  nas::NetSpec w32{10, 3, 32};
  w32.width = 32;
  EXPECT_EQ(space().params(arch, multiplier), space().params(arch, w32));
}

// ---- hash and identity ----

bool python_has_numpy() {
  return nas::test::run_command("/usr/bin/python3 -c 'import numpy'").status == 0;
}

TEST_F(Nb101, GraphHashMatchesThePythonOracleForAll500Rows) {
  if (!python_has_numpy()) NAS_ORACLE_MISSING("/usr/bin/python3 cannot import numpy");
  const std::string oracle = nas::test::source_dir() + "/spaces/nb101/tools/nb101_oracle.py";
  const auto result = nas::test::run_command("/usr/bin/python3 '" + oracle + "' hash '" +
                                             data_file("sample_accuracies.csv") + "'");
  ASSERT_EQ(result.status, 0) << result.output;
  const std::vector<std::string> hashes = nas::test::lines_of(result.output);
  const std::vector<Row> rows = table_rows();
  ASSERT_EQ(hashes.size(), rows.size());
  std::set<std::string> distinct;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const nas::Arch arch = space().parse(rows[i].arch);
    ASSERT_EQ(hashes[i].size(), 32u) << hashes[i];
    EXPECT_EQ(space().network_key(arch, NetworkIdentity::kStructure), hashes[i]) << rows[i].arch;
    EXPECT_EQ(space().network_key(arch, NetworkIdentity::kFunction), hashes[i]) << rows[i].arch;
    distinct.insert(hashes[i]);
  }
  // Rows of one hash are one benchmark cell: same params, accuracies of its 3 seeds.
  EXPECT_EQ(distinct.size(), 292u);
}

TEST_F(Nb101, KnownHashes) {
  // The benchmark's hash of the smallest cell, input -> output (the module is the projection
  // alone), as the NAS-Bench-101 dataset lists it; in the shipped sample it is the hash of the
  // 55 rows whose params are 0.88257 (882,570, ParamsAndFlopsByHand).
  EXPECT_EQ(space().network_key(space().parse(kDirect), NetworkIdentity::kStructure),
            "043721b9c7fe8c5fad811d47d83132ec");
  // Row 0 of the sample (a regression value, from the oracle).
  EXPECT_EQ(space().network_key(space().parse(kRow0), NetworkIdentity::kStructure),
            "4a0ab8bbe2441a002e07b0f445ec2d63");
  EXPECT_EQ(space().network_key(space().parse(kRow0), NetworkIdentity::kArch), kRow0);
}

TEST_F(Nb101, RepresentativeIsACanonicalMemberOfTheClass) {
  // Dead vertices: the class of kChain7 is that of the 3-vertex chain, its representative.
  EXPECT_EQ(space().representative(space().parse(kChain7), NetworkIdentity::kStructure).str(),
            kChain3);
  // Two vertex orders of one graph: one key, one representative (the smaller string).
  const nas::Arch a = space().parse(kForkA), b = space().parse(kForkB);
  EXPECT_EQ(space().network_key(a, NetworkIdentity::kStructure),
            space().network_key(b, NetworkIdentity::kStructure));
  EXPECT_EQ(space().representative(a, NetworkIdentity::kFunction), a);
  EXPECT_EQ(space().representative(b, NetworkIdentity::kFunction), a);
  EXPECT_EQ(space().representative(b, NetworkIdentity::kArch), b);
  EXPECT_NE(space().network_key(a, NetworkIdentity::kArch),
            space().network_key(b, NetworkIdentity::kArch));
  // A different op is a different class.
  EXPECT_NE(
      space().network_key(a, NetworkIdentity::kStructure),
      space().network_key(space().parse("0110000100010000 input,conv1x1-bn-relu,maxpool3x3,output"),
                          NetworkIdentity::kStructure));

  // Random relabellings of sampled cells keep key and representative.
  nas::Rng rng(nas::derive_seed(5, "test_nb101"));
  for (int k = 0; k < 60; ++k) {
    const nas::Arch arch = space().sample(rng);
    const std::vector<int> code = space().encode(arch);
    for (auto level : {NetworkIdentity::kStructure, NetworkIdentity::kFunction}) {
      const nas::Arch rep = space().representative(arch, level);
      EXPECT_EQ(space().representative(rep, level), rep);
      EXPECT_EQ(space().network_key(rep, level), space().network_key(arch, level));
    }
    // A permutation of the interior vertices that keeps every edge forward.
    std::vector<int> perm = {1, 2, 3, 4, 5};
    for (int tries = 0; tries < 50; ++tries) {
      std::shuffle(perm.begin(), perm.end(), rng.engine());
      std::vector<int> to(7);  // old vertex -> new vertex
      to[0] = 0;
      to[6] = 6;
      for (int v = 1; v <= 5; ++v) to[v] = perm[v - 1];
      std::vector<std::vector<int>> adj(7, std::vector<int>(7, 0));
      bool forward = true;
      for (int i = 0, s = 0; i < 7; ++i) {
        for (int j = i + 1; j < 7; ++j, ++s) {
          if (!code[s]) continue;
          adj[to[i]][to[j]] = 1;
          forward = forward && to[i] < to[j];
        }
      }
      if (!forward) continue;
      std::vector<int> moved;
      for (int i = 0; i < 7; ++i) {
        for (int j = i + 1; j < 7; ++j) moved.push_back(adj[i][j]);
      }
      std::vector<int> ops(7);
      for (int v = 1; v <= 5; ++v) ops[to[v]] = code[21 + v - 1];
      for (int v = 1; v <= 5; ++v) moved.push_back(ops[v]);
      const nas::Arch relabelled = space().decode(moved);
      for (auto level : {NetworkIdentity::kStructure, NetworkIdentity::kFunction}) {
        EXPECT_EQ(space().network_key(relabelled, level), space().network_key(arch, level));
        EXPECT_EQ(space().representative(relabelled, level), space().representative(arch, level))
            << arch.str() << " vs " << relabelled.str();
      }
      break;
    }
  }
}

TEST_F(Nb101, RelabellingsMayMoveTheRemainderChannel) {
  // The caveat the header documents: one hash class, but compute_vertex_channels gives the
  // remainder of 128 / 3 to the first output-feeding vertices in vertex order, so the 3x3 conv
  // has 43 channels in one order and 42 in the other. One module of 128 channels: the counts
  // differ by 9 (43^2 - 42^2) + 2 (43 - 42) = 767.
  const nas::Arch first = space().parse(
      "0111000001000010000100000 input,conv3x3-bn-relu,conv1x1-bn-relu,maxpool3x3,output");
  const nas::Arch last = space().parse(
      "0111000001000010000100000 input,maxpool3x3,conv1x1-bn-relu,conv3x3-bn-relu,output");
  EXPECT_EQ(space().network_key(first, NetworkIdentity::kStructure),
            space().network_key(last, NetworkIdentity::kStructure));
  // The representative: the smallest string, ops in name order ("conv1x1" < "conv3x3").
  const nas::Arch rep = space().parse(
      "0111000001000010000100000 input,conv1x1-bn-relu,conv3x3-bn-relu,maxpool3x3,output");
  EXPECT_EQ(space().representative(first, NetworkIdentity::kStructure), rep);
  EXPECT_EQ(space().representative(last, NetworkIdentity::kStructure), rep);
  nas::NetSpec one{10, 3, 32};
  one.depth = 1;
  one.max_cells = 1;
  EXPECT_EQ(space().params(first, one) - space().params(last, one), 767);
}

// ---- decisions, sample, mutate ----

TEST_F(Nb101, DecisionViewEncodeDecode) {
  const auto slots = space().decisions();
  ASSERT_EQ(slots.size(), 26u);
  EXPECT_EQ(slots[0].name, "edge_0->1");
  EXPECT_EQ(slots[5].name, "edge_0->6");
  EXPECT_EQ(slots[6].name, "edge_1->2");
  EXPECT_EQ(slots[20].name, "edge_5->6");
  EXPECT_EQ(slots[21].name, "op_1");
  EXPECT_EQ(slots[25].name, "op_5");
  EXPECT_EQ(slots[0].choices, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(slots[21].choices,
            (std::vector<std::string>{"conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"}));
  for (const Row& row : table_rows()) {
    const nas::Arch arch = space().parse(row.arch);
    const std::vector<int> code = space().encode(arch);
    ASSERT_EQ(code.size(), 26u);
    ASSERT_EQ(space().decode(code), arch);
  }
  const std::vector<int> row0 = space().encode(space().parse(kRow0));
  EXPECT_EQ(row0, (std::vector<int>{1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0,
                                    0, 1, 1, 1, 0, 1, 1, 0, 2, 2, 0, 0, 0}));
  // A smaller cell is padded to 7 vertices: the same network under another string.
  const nas::Arch chain = space().parse(kChain3);
  const nas::Arch padded = space().decode(space().encode(chain));
  EXPECT_EQ(padded.str(),
            "0100000000000100000000000000000000000000000000000 "
            "input,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,"
            "conv3x3-bn-relu,output");
  EXPECT_EQ(space().network_key(padded, NetworkIdentity::kStructure),
            space().network_key(chain, NetworkIdentity::kStructure));
  // Invalid cells are refused with the reason.
  std::vector<int> none(26, 0);
  EXPECT_NE(message_of([&] { space().decode(none); }).find("no path from input to output"),
            std::string::npos);
  std::vector<int> full(26, 1);
  EXPECT_NE(message_of([&] { space().decode(full); }).find("too many edges"), std::string::npos);
  std::vector<int> bad = row0;
  bad[22] = 3;
  EXPECT_NE(message_of([&] { space().decode(bad); }).find("slot op_2 is out of range 0..2"),
            std::string::npos);
  EXPECT_NE(message_of([&] { space().decode({1, 0}); }).find("26 choices"), std::string::npos);
}

TEST_F(Nb101, SampleIsSeededAndValid) {
  nas::Rng a(11), b(11), c(12);
  std::vector<nas::Arch> first, second, third;
  for (int k = 0; k < 200; ++k) {
    first.push_back(space().sample(a));
    second.push_back(space().sample(b));
    third.push_back(space().sample(c));
  }
  EXPECT_EQ(first, second);
  EXPECT_NE(first, third);
  std::set<std::string> distinct;
  int ones = 0;
  for (const auto& arch : first) {
    EXPECT_EQ(space().parse(arch.str()), arch);
    distinct.insert(arch.str());
    for (char ch : arch.str().substr(0, 49)) ones += ch == '1';
  }
  EXPECT_GT(distinct.size(), 195u);
  // The reference's random_spec kept only when valid: 10.08 ones per matrix on average (std
  // 1.92; a numpy simulation of 20,000 draws), so 200 draws average within 0.6 of it.
  EXPECT_NEAR(ones / 200.0, 10.08, 0.6);
}

TEST_F(Nb101, MutateIsSeededValidAndLocal) {
  nas::Rng seed_rng(3);
  const nas::Arch parent = space().sample(seed_rng);
  const std::vector<int> parent_code = space().encode(parent);
  nas::Rng a(21), b(21);
  double changed = 0;
  for (int k = 0; k < 300; ++k) {
    const nas::Arch x = space().mutate(parent, a), y = space().mutate(parent, b);
    ASSERT_EQ(x, y);
    ASSERT_NE(x, parent);
    ASSERT_EQ(space().parse(x.str()), x);
    const std::vector<int> code = space().encode(x);
    for (std::size_t s = 0; s < code.size(); ++s) changed += code[s] != parent_code[s];
  }
  // Each of 21 edges flips with probability 1/7 and each of 5 ops changes with 1/5: about 4
  // slots per draw before the validity filter.
  EXPECT_GT(changed / 300, 1.5);
  EXPECT_LT(changed / 300, 7.0);
  // A smaller cell mutates in its padded form.
  nas::Rng r(1);
  const nas::Arch m = space().mutate(space().parse(kChain3), r);
  EXPECT_EQ(m.str().find(' '), 49u);
}

// ---- shipped tables and config ----

TEST(Nb101Plugin, ShippedConfigRunsOnAFewCells) {
  // configs/nb101_sample_sjw.yaml end to end, on three of its cells and small batches.
  nas::test::TempDir dir;
  const std::vector<std::string> lines =
      nas::test::lines_of(nas::test::read_file(data_file("sample_archs.txt")));
  ASSERT_GT(lines.size(), 4u);
  const std::string few = dir.write("few.txt", lines[1] + "\n" + lines[2] + "\n" + lines[3] + "\n");
  const auto r = nas::test::nas_run(
      nas::test::source_dir() + "/configs/nb101_sample_sjw.yaml",
      "score.file=" + few + " run.out_dir=" + dir.file("run") + " data.batch_size=8");
  ASSERT_EQ(r.status, 0) << r.output;
  const nas::CsvTable scores = nas::read_csv(dir.file("run") + "/scores.csv");
  // One row per architecture and proxy, every one scored.
  EXPECT_EQ(scores.rows.size(), 3u * 4u);
  std::set<std::string> archs;
  for (const auto& row : scores.rows) {
    archs.insert(row[scores.column("arch")]);
    EXPECT_EQ(row[scores.column("status")], "ok") << row[scores.column("proxy")];
  }
  EXPECT_EQ(archs, (std::set<std::string>{lines[1], lines[2], lines[3]}));
  const std::string report = nas::test::read_file(dir.file("run") + "/report.md");
  EXPECT_NE(report.find("val_accuracy"), std::string::npos);
  EXPECT_NE(report.find("sjw_nb101"), std::string::npos);
}

TEST(Nb101Plugin, ZenScoresThePooledFeatures) {
  // No head tap here (the last module goes straight to the pooling): zen reads the map the global
  // pooling reads.
  nas::test::expect_zen_scores_sampled_archs("{type: nb101}");
}

TEST(Nb101Plugin, ShipsTheSampleAsABenchmarkTable) {
  space_component();
  const nas::BenchmarkTable* table = nas::Registry::global().find_benchmark("nb101");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->space, "nb101");
  const auto& component = space_component();
  auto space = component.create(nas::Params::defaults(component.schema, "nb101"));
  // The derived table: the unedited one with the canonical `arch` in front.
  const nas::CsvTable derived = nas::read_csv(table->path);
  const nas::CsvTable original = nas::read_csv(data_file("sample_accuracies.csv"));
  ASSERT_EQ(derived.rows.size(), 500u);
  ASSERT_EQ(derived.header.size(), original.header.size() + 1);
  EXPECT_EQ(derived.header.front(), "arch");
  const std::vector<std::string> listed = [] {
    std::vector<std::string> out;
    for (const auto& line :
         nas::test::lines_of(nas::test::read_file(data_file("sample_archs.txt")))) {
      if (!line.empty() && line[0] != '#') out.push_back(line);
    }
    return out;
  }();
  ASSERT_EQ(listed.size(), 500u);
  for (std::size_t r = 0; r < 500; ++r) {
    const auto& row = original.rows[r];
    const std::string arch =
        space->parse(row[original.column("matrix")] + " " + row[original.column("ops")]).str();
    EXPECT_EQ(derived.rows[r][0], arch);
    EXPECT_EQ(listed[r], arch);
    for (std::size_t c = 0; c < original.header.size(); ++c) {
      EXPECT_EQ(derived.header[c + 1], original.header[c]);
      EXPECT_EQ(derived.rows[r][c + 1], row[c]);
    }
  }
  // Ground truth finds the rows by the space's strings.
  const nas::GroundTruth truth(table->path, "val_accuracy", "arch");
  double value = 0;
  ASSERT_TRUE(truth.lookup(space->parse(kRow0), &value));
  EXPECT_DOUBLE_EQ(value, 92.57812);
}

}  // namespace
