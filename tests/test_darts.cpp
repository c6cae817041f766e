// Tests of the DARTS (NAS-Bench-301) space plugin against independent facts: the NB301 sample
// table's genotypes and parameter counts, DARTS's published parameter count of DARTS-V2,
// counts worked out by hand, and properties of the reference network.
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

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
#include "test_support.h"
#include "zen_pooled_check.h"

namespace {

// DARTS-V2 as genotypes.py of the DARTS repository prints it, and the same cell in the
// sample table's spelling (written out by hand).
const std::string kDartsV2 =
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
    "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";
const std::string kDartsV2Canonical =
    "normal=[('sep_conv_3x3',0),('sep_conv_3x3',1),('sep_conv_3x3',0),('sep_conv_3x3',1),"
    "('sep_conv_3x3',1),('skip_connect',0),('skip_connect',0),('dil_conv_3x3',2)];"
    "reduce=[('max_pool_3x3',0),('max_pool_3x3',1),('skip_connect',2),('max_pool_3x3',1),"
    "('max_pool_3x3',0),('skip_connect',2),('skip_connect',2),('max_pool_3x3',1)]";
// Pools only (no parameters in any cell op), every node reading inputs 0 and 1.
const std::string kAllPools =
    "normal=[('max_pool_3x3',0),('max_pool_3x3',1),('max_pool_3x3',0),('max_pool_3x3',1),"
    "('max_pool_3x3',0),('max_pool_3x3',1),('max_pool_3x3',0),('max_pool_3x3',1)];"
    "reduce=[('avg_pool_3x3',0),('avg_pool_3x3',1),('avg_pool_3x3',0),('avg_pool_3x3',1),"
    "('avg_pool_3x3',0),('avg_pool_3x3',1),('avg_pool_3x3',0),('avg_pool_3x3',1)]";
// kAllPools with a sep_conv_3x3 as node 2's first normal entry and a (strided) skip as node
// 2's first reduce entry.
const std::string kPoolsSepSkip =
    "normal=[('sep_conv_3x3',0),('max_pool_3x3',1),('max_pool_3x3',0),('max_pool_3x3',1),"
    "('max_pool_3x3',0),('max_pool_3x3',1),('max_pool_3x3',0),('max_pool_3x3',1)];"
    "reduce=[('skip_connect',0),('avg_pool_3x3',1),('avg_pool_3x3',0),('avg_pool_3x3',1),"
    "('avg_pool_3x3',0),('avg_pool_3x3',1),('avg_pool_3x3',0),('avg_pool_3x3',1)]";

std::string data_file(const std::string& name) { return nas::test::space_data_file("darts", name); }

const nas::Component<nas::SearchSpace>& space_component() {
  return nas::test::space_component("darts");
}

std::shared_ptr<nas::SearchSpace> make_space(
    const std::map<std::string, nas::ParamValue>& set = {}) {
  return nas::test::make_space("darts", set);
}

class Darts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { space_ = make_space(); }
  static void TearDownTestSuite() { space_.reset(); }
  static nas::SearchSpace& space() { return *space_; }
  static std::shared_ptr<nas::SearchSpace> space_;
};
std::shared_ptr<nas::SearchSpace> Darts::space_;

// The table's `params` is millions with 6 decimals (trailing zeros dropped): the count of the
// default network rounded to units. All 725 rows.
TEST_F(Darts, ParamsEqualTheSampleTableForEveryRow) {
  const nas::CsvTable table = nas::read_csv(data_file("sample_accuracies.csv.gz"));
  ASSERT_EQ(table.rows.size(), 725u);
  const std::size_t genotype = table.column("genotype"), params = table.column("params");
  const nas::NetSpec cifar10{10, 3, 32};
  int matched = 0;
  for (const auto& row : table.rows) {
    const nas::Arch arch = space().parse(row[genotype]);
    // The table's spelling is the canonical one.
    EXPECT_EQ(arch.str(), row[genotype]);
    const std::int64_t expected = std::llround(std::stod(row[params]) * 1e6);
    const std::int64_t count = space().params(arch, cifar10);
    EXPECT_EQ(count, expected) << row[genotype];
    matched += count == expected ? 1 : 0;
  }
  EXPECT_EQ(matched, 725);
}

// The table's flops column (tensorwatch, MFLOPs) also counts BN, ReLU, pooling and additions:
// the convolution and linear MACs are most but not all of it (90.2 % to 97.1 % on the 725
// rows, by a separate Python count of the same network).
TEST_F(Darts, MacsAreMostOfTheSampleTableFlops) {
  const nas::CsvTable table = nas::read_csv(data_file("sample_accuracies.csv.gz"));
  const std::size_t genotype = table.column("genotype"), flops = table.column("flops");
  for (const auto& row : table.rows) {
    const double macs = static_cast<double>(space().flops(space().parse(row[genotype]), {})) / 1e6;
    const double ratio = macs / std::stod(row[flops]);
    EXPECT_GT(ratio, 0.90) << row[genotype];
    EXPECT_LT(ratio, 0.975) << row[genotype];
  }
}

TEST_F(Darts, BothSpellingsParseToTheCanonicalForm) {
  EXPECT_EQ(space().parse(kDartsV2).str(), kDartsV2Canonical);
  EXPECT_EQ(space().parse(kDartsV2Canonical).str(), kDartsV2Canonical);
  // range(2, 6) concats, double quotes, other blanks, fields in another order, the
  // namedtuple's repr without a space.
  std::string ranged = kDartsV2;
  for (const std::string list : {"normal_concat=[2, 3, 4, 5]", "reduce_concat=[2, 3, 4, 5]"}) {
    const std::string name = list.substr(0, list.find('='));
    ranged.replace(ranged.find(list), list.size(), name + "=range(2, 6)");
  }
  EXPECT_EQ(space().parse(ranged).str(), kDartsV2Canonical);
  std::string quoted = kDartsV2Canonical;
  for (auto& c : quoted) c = c == '\'' ? '"' : c;
  EXPECT_EQ(space().parse("  " + quoted + "\n").str(), kDartsV2Canonical);
  const std::string reordered =
      "Genotype( reduce = " + kDartsV2Canonical.substr(kDartsV2Canonical.find("reduce=") + 7) +
      " , reduce_concat=range(2,6), normal=" +
      kDartsV2Canonical.substr(7, kDartsV2Canonical.find(";") - 7) + ", normal_concat=range(2,6))";
  EXPECT_EQ(space().parse(reordered).str(), kDartsV2Canonical);
  // Round trip through the canonical form for sampled genotypes.
  nas::Rng rng(nas::derive_seed(3, "test_darts_roundtrip"));
  for (int i = 0; i < 200; ++i) {
    const nas::Arch a = space().sample(rng);
    EXPECT_EQ(space().parse(a.str()), a);
  }
}

TEST_F(Darts, BadStringsNameTheWrongPartAndTheValidChoices) {
  auto message = [](const std::string& text) -> std::string {
    try {
      space().parse(text);
    } catch (const nas::Error& e) {
      return e.what();
    }
    return "(accepted)";
  };
  auto with = [](std::string text, const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  const std::string& ok = kDartsV2Canonical;
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"", {"empty string", "normal=["}},
      {"|nor_conv_3x3~0|+|none~0|", {"expected 'normal=' or 'Genotype('"}},
      {with(ok, "('dil_conv_3x3',2)", "('conv_7x1',2)"),
       {"normal cell, node 5 (entry 7)", "unknown op 'conv_7x1'",
        "valid: max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, "
        "dil_conv_3x3, dil_conv_5x5"}},
      {with(ok, "('dil_conv_3x3',2)", "('none',2)"),
       {"unknown op 'none'", "`none` is no genotype op"}},
      {with(ok, "reduce=[('max_pool_3x3',0)", "reduce=[('max_pool_3x3',2)"),
       {"reduce cell, node 2 (entry 0)", "input 2 is out of range", "reads 0..1"}},
      {with(ok, "('sep_conv_3x3',1),('skip_connect',0)", "('sep_conv_3x3',0),('skip_connect',0)"),
       {"normal cell, node 4", "both entries read input 0", "must differ"}},
      {with(ok, ",('dil_conv_3x3',2)]", "]"),
       {"normal cell: expected 8 (op, input) pairs", "got 7"}},
      {with(ok, "('dil_conv_3x3',2)]", "('dil_conv_3x3',2),('skip_connect',0)]"),
       {"normal cell", "more than 8"}},
      {with(ok, ";reduce=", ";reduction="), {"expected 'reduce=' after ';'"}},
      {ok + "x", {"unexpected text after the genotype"}},
      {with(kDartsV2, "normal_concat=[2, 3, 4, 5]", "normal_concat=range(2, 5)"),
       {"normal_concat", "range(2, 6) = [2, 3, 4, 5]"}},
      {with(kDartsV2, ", reduce_concat=[2, 3, 4, 5]", ""), {"field 'reduce_concat' is missing"}},
      {with(kDartsV2, "normal_concat", "norm_concat"),
       {"unknown field 'norm_concat'", "valid: normal, normal_concat, reduce, reduce_concat"}},
      {with(ok, "('sep_conv_3x3',0)", "('sep_conv_3x3' 0)"),
       {"normal cell, entry 0", "expected ','"}},
  };
  for (const auto& [text, parts] : cases) {
    const std::string got = message(text);
    EXPECT_NE(got.find("invalid DARTS genotype"), std::string::npos) << got;
    for (const auto& part : parts) EXPECT_NE(got.find(part), std::string::npos) << got;
  }
}

// DARTS reports DARTS-V2's CIFAR-10 eval net (C = 36, 20 layers, affine BN; counted without
// the auxiliary head) as 3.349342 M parameters ("param size" in its training log; 3.3M in
// the paper).
TEST(DartsOptions, DartsV2EvalNetHasTheReportedParameterCount) {
  auto darts_eval = make_space({{"layers", std::int64_t{20}}, {"cell_affine", true}});
  nas::NetSpec spec{10, 3, 32};
  spec.width = 36;
  EXPECT_EQ(darts_eval->params(darts_eval->parse(kDartsV2), spec), 3349342);
  // depth N = 6 normal cells per stage is the same 20-cell network.
  auto nb301 = make_space({{"cell_affine", true}});
  spec.depth = 6;
  EXPECT_EQ(nb301->params(nb301->parse(kDartsV2), spec), 3349342);
}

// Worked out by hand for the default network (C = 32, 8 cells, 10 classes, 3x32x32).
//   stem 3->96:                            3*96*9 + 2*96                 =   2,784
//   cell 0 (96, 96 -> 32):                 2 x (96*32 + 64)              =   6,272
//   cell 1 (96, 128 -> 32):                96*32+64 + 128*32+64          =   7,296
//   cell 2 R (128, 128 -> 64):             2 x (128*64 + 128)            =  16,640
//   cell 3 (FR 128 -> 64, 256 -> 64):      2*128*32+128 + 256*64+128     =  24,832
//   cell 4 (256, 256 -> 64):               2 x (256*64 + 128)            =  33,024
//   cell 5 R (256, 256 -> 128):            2 x (256*128 + 256)           =  66,048
//   cell 6 (FR 256 -> 128, 512 -> 128):    2*256*64+256 + 512*128+256    =  98,816
//   cell 7 (512, 512 -> 128):              2 x (512*128 + 256)           = 131,584
//   classifier 512 -> 10:                                                =   5,130
//   total (pool-only cells)                                              = 392,426
// A normal sep_conv_3x3 adds 2 x (9C + C^2) per normal cell: 2 x (2,624 + 9,344 + 35,072)
// = 94,080; a strided skip in the reduction cells adds FactorizedReduce's 2 x C x C/2:
// 64*64 + 128*128 = 20,480.
TEST_F(Darts, ParamsAndFlopsMatchAHandCount) {
  const nas::NetSpec cifar10{10, 3, 32};
  EXPECT_EQ(space().params(space().parse(kAllPools), cifar10), 392426);
  EXPECT_EQ(space().params(space().parse(kPoolsSepSkip), cifar10), 392426 + 94080 + 20480);
  // MACs at batch 1 (spatial sizes 32, 16, 8 per stage):
  //   stem 96*1024*27 = 2,654,208; cell 0: 2 x 32*1024*96 = 6,291,456;
  //   cell 1: 32*1024*(96 + 128) = 7,340,032; cell 2: 2 x 64*1024*128 = 16,777,216;
  //   cell 3: FR 2*32*256*128 + 64*256*256 = 6,291,456; cell 4: 2 x 64*256*256 = 8,388,608;
  //   cell 5: 2 x 128*256*256 = 16,777,216; cell 6: FR 2*64*64*256 + 128*64*512 = 6,291,456;
  //   cell 7: 2 x 128*64*512 = 8,388,608; classifier 5,120.         total 79,205,376
  // sep_conv_3x3 per normal cell 2 x (C*HW*9 + C*C*HW): 2,686,976 (C 32), 2,392,064 (64),
  // 2,244,608 (128), two cells each: 14,647,296. Strided skip: 2 x 32*256*64 + 2 x 64*64*128
  // = 2,097,152.
  EXPECT_EQ(space().flops(space().parse(kAllPools), cifar10), 79205376);
  EXPECT_EQ(space().flops(space().parse(kPoolsSepSkip), cifar10), 79205376 + 14647296 + 2097152);
}

TEST(DartsOptions, BuiltNetworksHaveTheAnalyticParameterCountAndOutputShape) {
  at::NoGradGuard no_grad;
  struct Case {
    std::map<std::string, nas::ParamValue> options;
    nas::NetSpec spec;
    std::vector<std::int64_t> input;
  };
  nas::NetSpec small{10, 3, 32};
  small.width = 8;
  nas::NetSpec deep = small;
  deep.depth = 3;                              // 11 cells
  nas::NetSpec thin = nas::test::thin_spec();  // one normal cell, C = 1, no stem
  nas::NetSpec cut = small;
  cut.max_cells = 4;
  nas::NetSpec imagenet{1000, 3, 64};
  imagenet.width = 8;
  nas::NetSpec other{100, 1, 16};
  other.width = 6;
  const std::vector<Case> cases = {
      {{}, nas::NetSpec{10, 3, 32}, {2, 3, 32, 32}},
      {{}, small, {2, 3, 32, 32}},
      {{{"cell_affine", true}, {"pool_bn", false}}, deep, {2, 3, 32, 32}},
      {{{"auxiliary", true}}, small, {2, 3, 32, 32}},
      {{}, thin, {2, 1, 3, 3}},
      {{}, cut, {2, 3, 32, 32}},
      {{{"imagenet_stem", true}, {"layers", std::int64_t{5}}}, imagenet, {2, 3, 64, 64}},
      {{{"imagenet_stem", true}, {"layers", std::int64_t{14}}, {"auxiliary", true}},
       imagenet,
       {2, 3, 224, 224}},
      {{}, other, {2, 1, 16, 16}},
  };
  nas::Rng rng(nas::derive_seed(5, "test_darts_build"));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto space = make_space(cases[i].options);
    nas::NetSpec spec = cases[i].spec;
    if (i == 7) spec.input_size = 224;
    std::vector<nas::Arch> archs = {space->parse(kDartsV2), space->parse(kPoolsSepSkip)};
    for (int k = 0; k < 2; ++k) archs.push_back(space->sample(rng));
    for (const auto& arch : archs) {
      at::manual_seed(1);
      auto net = space->build(arch, spec);
      EXPECT_EQ(nas::test::param_count(*net), space->params(arch, spec))
          << "case " << i << " " << arch.str();
      net->train();
      const at::Tensor out = net->forward(at::randn(cases[i].input));
      EXPECT_EQ(out.sizes().vec(), (std::vector<std::int64_t>{2, spec.num_classes}))
          << "case " << i;
      EXPECT_TRUE(out.isfinite().all().item<bool>()) << "case " << i;
    }
  }
}

TEST(DartsOptions, AuxiliaryHeadAddsDartsHeadParameters) {
  // CIFAR head on 512 channels, 10 classes: 512*128 + 2*128 + 128*768*4 + 2*768 + 768*10 + 10.
  auto plain = make_space();
  auto aux = make_space({{"auxiliary", true}});
  const nas::NetSpec cifar10{10, 3, 32};
  EXPECT_EQ(
      aux->params(aux->parse(kDartsV2), cifar10) - plain->params(plain->parse(kDartsV2), cifar10),
      468234);
}

TEST_F(Darts, RefusesShapesItCannotBuild) {
  const nas::Arch a = space().parse(kDartsV2);
  nas::NetSpec odd{10, 3, 32};
  odd.width = 7;  // FactorizedReduce needs an even width
  EXPECT_THROW(space().params(a, odd), nas::Error);
  EXPECT_THROW(space().build(a, nas::NetSpec{10, 3, 30}), nas::Error);  // 30 is not 4k
  nas::NetSpec too_many{10, 3, 32};
  too_many.max_cells = 9;
  EXPECT_THROW(space().params(a, too_many), nas::Error);
  nas::NetSpec device{10, 3, 32};
  device.device = "tpu";
  EXPECT_THROW(space().build(a, device), nas::Error);
  auto imagenet = make_space({{"imagenet_stem", true}});
  nas::NetSpec no_stem{10, 3, 64};
  no_stem.stem = false;
  EXPECT_THROW(imagenet->params(imagenet->parse(kDartsV2), no_stem), nas::Error);
  auto aux = make_space({{"auxiliary", true}});
  EXPECT_THROW(aux->params(aux->parse(kDartsV2), nas::NetSpec{10, 3, 64}), nas::Error);
}

TEST_F(Darts, TapsSitInTheirCellsInForwardOrder) {
  // DARTS-V2: normal cell 5 sep_conv (2 ReLUs each) + 1 dil_conv; reduction cell only pools
  // and stride-1 skips (inputs 2), so no op ReLU. Preprocessing: 2 ReLUs per cell.
  auto net = space().build(space().parse(kDartsV2), nas::NetSpec{});
  ASSERT_EQ(net->num_blocks(), 8);
  std::vector<int> expected;
  for (int k = 0; k < 8; ++k) {
    const int count = 2 + ((k == 2 || k == 5) ? 0 : 11);
    for (int i = 0; i < count; ++i) expected.push_back(k);
  }
  const auto& taps = net->taps();
  ASSERT_EQ(taps.size(), expected.size());
  for (std::size_t i = 0; i < taps.size(); ++i) {
    EXPECT_EQ(taps[i]->block(), expected[i]) << "tap " << i;
    EXPECT_EQ(taps[i]->activation(), nas::Activation::kReLU);
    EXPECT_FALSE(taps[i]->is_head());
  }
  // ReLUConvBN preprocessing units: two per cell, except after a reduction (cells 3 and 6),
  // whose input 0 goes through FactorizedReduce.
  EXPECT_EQ(net->relu_conv_units().size(), 14u);
  net->set_recording(true);
  net->forward(at::randn({2, 3, 32, 32}));
  for (const auto& tap : taps) EXPECT_TRUE(tap->has_response());
  // Cell 0's preprocessing reads the 96-channel stem output at 32x32; the first tap of cell 3
  // (FactorizedReduce on cell 1's output, 128 channels at 32x32).
  EXPECT_EQ(taps[0]->response().sizes().vec(), (std::vector<std::int64_t>{2, 96, 32, 32}));
  EXPECT_EQ(taps[0]->response().data_ptr(), taps[1]->response().data_ptr());
  const std::size_t cell3 = 13 + 13 + 2;
  EXPECT_EQ(taps[cell3]->block(), 3);
  EXPECT_EQ(taps[cell3]->response().sizes().vec(), (std::vector<std::int64_t>{2, 128, 32, 32}));
  EXPECT_EQ(taps[cell3 + 1]->response().sizes().vec(), (std::vector<std::int64_t>{2, 256, 16, 16}));
  net->set_recording(false);
}

TEST_F(Darts, ParameterNamesFollowDarts) {
  auto net = space().build(space().parse(kPoolsSepSkip), nas::NetSpec{});
  std::set<std::string> names;
  for (const auto& p : net->named_parameters()) names.insert(p.key());
  for (const std::string name :
       {"stem.0.weight", "stem.1.weight", "cells.0.preprocess0.op.1.weight",
        "cells.0.preprocess1.op.2.bias", "cells.0._ops.0.op.1.weight", "cells.0._ops.0.op.2.weight",
        "cells.0._ops.0.op.5.weight", "cells.0._ops.0.op.6.weight", "cells.2._ops.0.conv_1.weight",
        "cells.2._ops.0.conv_2.weight", "cells.3.preprocess0.conv_1.weight",
        "cells.3.preprocess0.bn.weight", "classifier.weight", "classifier.bias"}) {
    EXPECT_TRUE(names.count(name)) << name;
  }
  // Non-affine cell BN: no sep_conv BN weight.
  EXPECT_FALSE(names.count("cells.0._ops.0.op.3.weight"));
  EXPECT_EQ(net->named_parameters()["cells.0._ops.0.op.1.weight"].sizes().vec(),
            (std::vector<std::int64_t>{32, 1, 3, 3}));
}

TEST_F(Darts, DecisionViewAndEncodeDecode) {
  const auto slots = space().decisions();
  ASSERT_EQ(slots.size(), 32u);
  EXPECT_EQ(slots[0].name, "normal.n2.e0.op");
  EXPECT_EQ(slots[0].choices.size(), 7u);
  EXPECT_EQ(slots[1].name, "normal.n2.e0.in");
  EXPECT_EQ(slots[1].choices, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(slots[15].name, "normal.n5.e1.in");
  EXPECT_EQ(slots[15].choices.size(), 5u);
  EXPECT_EQ(slots[16].name, "reduce.n2.e0.op");
  const std::vector<int> v2 = space().encode(space().parse(kDartsV2));
  EXPECT_EQ(v2, (std::vector<int>{3, 0, 3, 1, 3, 0, 3, 1, 3, 1, 2, 0, 2, 0, 5, 2,
                                  0, 0, 0, 1, 2, 2, 0, 1, 0, 0, 2, 2, 2, 2, 0, 1}));
  EXPECT_EQ(space().decode(v2).str(), kDartsV2Canonical);
  nas::Rng rng(nas::derive_seed(9, "test_darts_decode"));
  for (int i = 0; i < 200; ++i) {
    const nas::Arch a = space().sample(rng);
    const std::vector<int> c = space().encode(a);
    for (std::size_t s = 0; s < c.size(); ++s) {
      ASSERT_GE(c[s], 0);
      ASSERT_LT(c[s], static_cast<int>(slots[s].choices.size()));
    }
    EXPECT_EQ(space().decode(c), a);
  }
  std::vector<int> same = v2;
  same[3] = 0;  // normal node 2 reads input 0 twice
  try {
    space().decode(same);
    ADD_FAILURE() << "decode accepted a node reading one input twice";
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find("normal cell, node 2: both entries read input 0"),
              std::string::npos)
        << e.what();
  }
  std::vector<int> range = v2;
  range[1] = 2;  // node 2 reads 0..1
  EXPECT_THROW(space().decode(range), nas::Error);
  range = v2;
  range[0] = 7;
  EXPECT_THROW(space().decode(range), nas::Error);
  EXPECT_THROW(space().decode(std::vector<int>(31, 0)), nas::Error);
}

TEST_F(Darts, SampleIsSeededValidAndUniform) {
  nas::Rng a(nas::derive_seed(1, "s")), b(nas::derive_seed(1, "s")), c(nas::derive_seed(2, "s"));
  std::vector<std::string> first, second, third;
  for (int i = 0; i < 20; ++i) {
    first.push_back(space().sample(a).str());
    second.push_back(space().sample(b).str());
    third.push_back(space().sample(c).str());
  }
  EXPECT_EQ(first, second);
  EXPECT_NE(first, third);
  // Frequencies: node 5's first input is uniform over 0..4, ops over 7, and the ordered pair
  // (in0, in1) of node 3 uniform over the 6 ordered pairs of distinct inputs among 0..2.
  nas::Rng rng(nas::derive_seed(4, "test_darts_uniform"));
  const int n = 14000;
  std::vector<int> in5(5), ops(7);
  std::map<std::pair<int, int>, int> pairs3;
  for (int i = 0; i < n; ++i) {
    const std::vector<int> code = space().encode(space().sample(rng));
    ++in5[code[13]];
    ++ops[code[0]];
    ++pairs3[{code[5], code[7]}];
  }
  for (int v : in5) EXPECT_NEAR(v, n / 5.0, 5 * std::sqrt(n / 5.0));
  for (int v : ops) EXPECT_NEAR(v, n / 7.0, 5 * std::sqrt(n / 7.0));
  EXPECT_EQ(pairs3.size(), 6u);
  for (const auto& [pair, count] : pairs3) {
    EXPECT_NE(pair.first, pair.second);
    EXPECT_NEAR(count, n / 6.0, 5 * std::sqrt(n / 6.0));
  }
}

TEST_F(Darts, MutateChangesOneOpOrOneInputAndIsSeeded) {
  nas::Rng rng(nas::derive_seed(11, "test_darts_mutate"));
  nas::Rng again(nas::derive_seed(11, "test_darts_mutate"));
  int op_changes = 0, input_changes = 0;
  for (int i = 0; i < 2000; ++i) {
    const nas::Arch parent = space().sample(rng);
    space().sample(again);
    const nas::Arch child = space().mutate(parent, rng);
    EXPECT_EQ(space().mutate(parent, again), child);
    ASSERT_NE(child, parent);
    EXPECT_EQ(space().parse(child.str()), child);
    const std::vector<int> p = space().encode(parent), c = space().encode(child);
    int differing = 0;
    for (std::size_t s = 0; s < p.size(); ++s) {
      if (p[s] == c[s]) continue;
      ++differing;
      (s % 2 == 0 ? op_changes : input_changes) += 1;
    }
    EXPECT_EQ(differing, 1);
  }
  // NASLib's move: op (prob 1/2, changing with 6/7) vs input (1/2, changing with k/(k+2) for
  // node k+2: 0, 1/3, 1/2, 3/5, mean 43/120): op share = (6/7) / (6/7 + 43/120) ~ 0.705.
  EXPECT_NEAR(op_changes / 2000.0, 0.705, 0.04);
  EXPECT_EQ(op_changes + input_changes, 2000);
}

TEST_F(Darts, SwappedEntriesOfANodeAreOneNetworkAtStructureLevel) {
  const nas::Arch a = space().parse(kDartsV2);
  // Swap the entries of normal node 2 and of reduce node 4.
  std::vector<int> c = space().encode(a);
  std::swap(c[0], c[2]);
  std::swap(c[1], c[3]);
  std::swap(c[16 + 8], c[16 + 10]);
  std::swap(c[16 + 9], c[16 + 11]);
  const nas::Arch b = space().decode(c);
  ASSERT_NE(a, b);
  using L = nas::NetworkIdentity;
  EXPECT_NE(space().network_key(a, L::kArch), space().network_key(b, L::kArch));
  EXPECT_EQ(space().network_key(a, L::kArch), a.str());
  for (L level : {L::kStructure, L::kFunction}) {
    EXPECT_EQ(space().network_key(a, level), space().network_key(b, level));
    const nas::Arch r = space().representative(b, level);
    EXPECT_EQ(space().representative(r, level), r);
    EXPECT_EQ(space().network_key(r, level), space().network_key(a, level));
  }
  // The representative orders each node's entries by input: DARTS-V2's reduce node 4 reads
  // (0, 2) in that order already, node 5 (2, 1) becomes (1, 2).
  const std::vector<int> r = space().encode(space().representative(a, L::kStructure));
  for (int e = 0; e < 16; e += 2) EXPECT_LT(r[2 * e + 1], r[2 * e + 3]);
  // Different genotypes stay apart.
  EXPECT_NE(space().network_key(a, L::kFunction),
            space().network_key(space().parse(kAllPools), L::kFunction));
  EXPECT_EQ(space().params(a, {}), space().params(b, {}));
  EXPECT_EQ(space().flops(a, {}), space().flops(b, {}));

  // Same weights (normal cells' _ops.0 and _ops.1 trade places) give bit-identical logits.
  std::vector<int> d = space().encode(a);
  std::swap(d[0], d[2]);
  std::swap(d[1], d[3]);
  const nas::Arch swapped = space().decode(d);
  nas::NetSpec spec{10, 3, 16};
  spec.width = 8;
  at::manual_seed(0);
  auto net_a = space().build(a, spec);
  auto net_b = space().build(swapped, spec);
  const auto params_a = net_a->named_parameters();
  auto params_b = net_b->named_parameters();
  at::NoGradGuard no_grad;
  for (const auto& p : params_b) {
    std::string name = p.key();
    const bool normal_cell = name.rfind("cells.2.", 0) != 0 && name.rfind("cells.5.", 0) != 0;
    for (const auto& [from, to] :
         {std::pair<std::string, std::string>{"._ops.0.", "._ops.1."}, {"._ops.1.", "._ops.0."}}) {
      const auto at = name.find(from);
      if (normal_cell && at != std::string::npos) {
        name.replace(at, from.size(), to);
        break;
      }
    }
    ASSERT_TRUE(params_a.contains(name)) << name;
    p.value().copy_(params_a[name]);
  }
  const at::Tensor x = at::randn({2, 3, 16, 16});
  net_a->train();
  net_b->train();
  EXPECT_TRUE(at::equal(net_a->forward(x), net_b->forward(x)));
}

// Numbers printed by the independent Python model spaces/darts/tools/darts_oracle.py
// (python3-torch 1.13), which creates its modules in the plugin's order under the reference
// names: same seed, same weights, same logits (training mode, batch 2 of 3x32x32).
TEST_F(Darts, WeightsAndLogitsMatchThePythonOracle) {
  const std::vector<nas::test::NetworkOracleCase> cases = {
      // The sample table's first row (a strided skip, pools, sep and dil convs).
      {"normal=[('max_pool_3x3',0),('dil_conv_3x3',1),('avg_pool_3x3',1),('avg_pool_3x3',0),"
       "('sep_conv_3x3',1),('sep_conv_3x3',0),('sep_conv_3x3',1),('skip_connect',3)];"
       "reduce=[('max_pool_3x3',1),('skip_connect',0),('sep_conv_3x3',1),('sep_conv_3x3',0),"
       "('max_pool_3x3',3),('avg_pool_3x3',0),('max_pool_3x3',2),('dil_conv_5x5',3)]",
       0,
       1,
       856298,
       163,
       11171687832866764351ull,
       1389.9390947903069,
       39607.645449196178,
       {-0.00144083926f, 0.10323862f, -0.158395112f},
       {-0.0416812263f, -0.030700855f, -0.00871946663f},
       {0.0104671866f,   -0.27275002f,  0.0974703208f,  -0.239290833f, -0.121747985f,
        0.437410116f,    -0.208988756f, -0.0913683027f, -0.144957602f, 0.0965378657f,
        -0.00919809565f, 0.192668349f,  -0.172631711f,  0.206631899f,  0.0506185181f,
        -0.515992284f,   0.1241467f,    0.0937562957f,  0.111247286f,  -0.132811546f}},
      {kDartsV2Canonical,
       5,
       6,
       909866,
       187,
       17493586590841549728ull,
       1358.1384847545614,
       43365.545169479621,
       {0.127114013f, -0.143909976f, 0.156835154f},
       {-0.0295385923f, -0.0148867723f, -0.00321461912f},
       {0.0270033032f,  0.0709151775f,  -0.160749987f,  0.0245429724f,  -0.0679089874f,
        -0.0877465084f, -0.192890778f,  -0.0609579906f, 0.039971374f,   -0.0012065731f,
        0.0112447143f,  -0.0854346082f, 0.0778408945f,  -0.0856929421f, 0.0137340743f,
        0.0476262495f,  0.107968338f,   0.0569494292f,  -0.0169054642f, -0.0542151481f}},
  };
  for (const auto& c : cases) nas::test::expect_network_matches_oracle(space(), c, 1e-5);
}

TEST(DartsPlugin, ZenScoresThePooledFeatures) {
  // No head tap here (the last cell goes straight to the pooling): zen reads the map the global
  // pooling reads.
  nas::test::expect_zen_scores_sampled_archs("{type: darts, params: {layers: 3}}");
}

TEST(DartsPlugin, ShipsTheNb301SampleTable) {
  space_component();
  const nas::BenchmarkTable* table = nas::Registry::global().find_benchmark("nb301");
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(table->space, "darts");
  const nas::CsvTable csv = nas::read_csv(table->path);
  EXPECT_EQ(csv.rows.size(), 725u);
  EXPECT_EQ(csv.header, (std::vector<std::string>{"dataset", "genotype", "naslib_compact",
                                                  "val_acc", "flops", "params"}));
}

}  // namespace
