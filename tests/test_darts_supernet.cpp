// The DARTS supernet (TE-NAS's pruning view of the darts space) and TE-NAS pruning on it:
// * the pruning view (28 edges x 8 ops, node groups keeping 2) and decode_supernet();
// * a fully pruned supernet is the discrete network: the same modules, taps and parameter
//   count, and bit-identical logits once build()'s weights are copied in;
// * the parameter count by hand for TE-NAS's size (C = 2, a normal and a reduction cell);
// * outputs against tests/oracle/darts_supernet.py, TE-NAS's NASNetSearchCell / MixedOp
//   rebuilt in python3-torch in the same construction order;
// * the pruning strategy end to end through the `nas` CLI, ranked by parameter count, where
//   every pruning decision follows from the ops' parameter counts by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "../spaces/darts/darts_space.h"
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

using nas::test::Alive;

std::shared_ptr<nas::SearchSpace> make_space(
    const std::map<std::string, nas::ParamValue>& set = {}) {
  return nas::test::make_space("darts", set);
}

// Supernet op index of each genotype op (TE-NAS's order: none, skip, sep3, sep5, dil3, dil5,
// avg, max; the genotype's: max, avg, skip, sep3, sep5, dil3, dil5).
constexpr int kSuperOf[7] = {7, 6, 1, 2, 3, 4, 5};

// Every op of every edge alive, `none` too when asked.
Alive all_alive(bool with_none = false) {
  Alive a(28, std::vector<bool>(8, true));
  for (auto& row : a) row[0] = with_none;
  return a;
}

// A genotype as encode() gives it: entry e of cell c (0 normal, 1 reduce) has op
// enc[2 (8c + e)] (genotype op index) and input enc[2 (8c + e) + 1].
using Encoded = std::vector<int>;
int op_of(const Encoded& g, int cell, int e) {
  return g[static_cast<std::size_t>(2 * (8 * cell + e))];
}
int input_of(const Encoded& g, int cell, int e) {
  return g[static_cast<std::size_t>(2 * (8 * cell + e) + 1)];
}

// The fully pruned supernet of a genotype: its two edges per node, one op each.
Alive alive_of(const Encoded& g) {
  Alive a(28, std::vector<bool>(8, false));
  for (int cell = 0; cell < 2; ++cell) {
    for (int e = 0; e < darts::kNumEntries; ++e) {
      const int edge = darts::edge_index(e / 2 + 2, input_of(g, cell, e));
      a[static_cast<std::size_t>(14 * cell + edge)][kSuperOf[op_of(g, cell, e)]] = true;
    }
  }
  return a;
}

const char* kDartsV2 =
    "normal=[('sep_conv_3x3',0),('sep_conv_3x3',1),('sep_conv_3x3',0),('sep_conv_3x3',1),"
    "('sep_conv_3x3',1),('skip_connect',0),('skip_connect',0),('dil_conv_3x3',2)];"
    "reduce=[('max_pool_3x3',0),('max_pool_3x3',1),('skip_connect',2),('max_pool_3x3',1),"
    "('max_pool_3x3',0),('skip_connect',2),('skip_connect',2),('max_pool_3x3',1)]";

// TE-NAS's supernet size here: C = 2, N = 1 (layers 5), the first two cells (normal, reduce).
nas::NetSpec tenas_spec(int input_size = 16) {
  nas::NetSpec spec{10, 3, input_size};
  spec.width = 2;
  spec.depth = 1;
  spec.max_cells = 2;
  return spec;
}

TEST(DartsSupernet, PruningViewGroupsAndDecode) {
  auto space = make_space();
  ASSERT_TRUE(space->has_supernet());
  const auto slots = space->supernet_decisions();
  ASSERT_EQ(slots.size(), 28u);
  EXPECT_EQ(slots[0].name, "normal.n2.i0");
  EXPECT_EQ(slots[4].name, "normal.n3.i2");
  EXPECT_EQ(slots[27].name, "reduce.n5.i4");
  EXPECT_EQ(slots[5].choices, (std::vector<std::string>{
                                  "none", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
                                  "dil_conv_3x3", "dil_conv_5x5", "avg_pool_3x3", "max_pool_3x3"}));
  const auto groups = space->supernet_groups();
  ASSERT_EQ(groups.size(), 8u);
  EXPECT_EQ(groups[2].name, "normal.n4");
  EXPECT_EQ(groups[2].slots, (std::vector<std::size_t>{5, 6, 7, 8}));
  EXPECT_EQ(groups[7].slots, (std::vector<std::size_t>{23, 24, 25, 26, 27}));
  for (const auto& g : groups) EXPECT_EQ(g.keep, 2);
  // decisions() is still the genotype's (input, op) view.
  EXPECT_EQ(space->decisions().size(), 32u);

  // decode_supernet gives each node's entries in input order.
  const Encoded v2 = space->encode(space->parse(kDartsV2));
  const nas::Arch decoded = space->decode_supernet(alive_of(v2));
  EXPECT_EQ(decoded,
            space->representative(space->parse(kDartsV2), nas::NetworkIdentity::kStructure));

  // A group left with one live edge, an edge with two ops, a node with three edges, `none`.
  Alive a = alive_of(v2);
  a[0].assign(8, false);
  EXPECT_THROW(space->build_supernet(a, tenas_spec()), nas::Error);
  EXPECT_THROW(space->decode_supernet(a), nas::Error);
  a = alive_of(v2);
  a[0][1] = !a[0][1];
  a[0][2] = !a[0][2];
  EXPECT_NO_THROW(space->build_supernet(a, tenas_spec()));
  a[0].assign(8, true);
  EXPECT_THROW(space->decode_supernet(a), nas::Error);
  a = alive_of(v2);
  a[4][6] = true;  // normal node 3 now reads inputs 0, 1 and 2
  EXPECT_THROW(space->decode_supernet(a), nas::Error);
  a = alive_of(v2);
  for (std::size_t c = 0; c < 8; ++c) a[0][c] = c == 0;
  EXPECT_THROW(space->decode_supernet(a), nas::Error);
  // The supernet's name works as for NB201.
  const nas::Arch s = nas::supernet_arch(*space, all_alive());
  EXPECT_EQ(nas::supernet_alive(s), all_alive());
}

// darts_network.cpp's names: cells.k._ops.<entry>.X in build(), cells.k.edges.<edge>._ops.<op>.X
// in the supernet.
std::string supernet_name(const std::string& name, const Encoded& g) {
  const auto ops = name.find("._ops.");
  if (ops == std::string::npos) return name;
  const std::size_t cell_begin = std::string("cells.").size();
  const int cell = std::stoi(name.substr(cell_begin, ops - cell_begin));
  const std::size_t entry_begin = ops + 6;
  const std::size_t entry_end = name.find('.', entry_begin);
  const int e = std::stoi(name.substr(entry_begin, entry_end - entry_begin));
  const int reduce = cell == 1 || cell == 3 ? 1 : 0;  // of the 5-cell network
  const int edge = darts::edge_index(e / 2 + 2, input_of(g, reduce, e));
  return name.substr(0, ops) + ".edges." + std::to_string(edge) + "._ops." +
         std::to_string(kSuperOf[op_of(g, reduce, e)]) + name.substr(entry_end);
}

TEST(DartsSupernet, FullyPrunedSupernetIsTheDiscreteNetwork) {
  auto space = make_space();
  nas::Rng rng(nas::derive_seed(5, "test_darts_supernet"));
  std::vector<nas::Arch> archs = {space->parse(kDartsV2)};
  while (archs.size() < 4) archs.push_back(space->sample(rng));
  nas::NetSpec spec{10, 3, 16};  // all five cells of N = 1, C = 4
  spec.width = 4;
  spec.depth = 1;
  for (const nas::Arch& sampled : archs) {
    // Entries in input order, as a supernet node sums its edges.
    const nas::Arch arch = space->representative(sampled, nas::NetworkIdentity::kStructure);
    const Encoded g = space->encode(arch);
    SCOPED_TRACE(arch.str());
    nas::test::expect_supernet_is_the_discrete_network(
        *space, arch, alive_of(g), spec,
        [&](const std::string& name) { return supernet_name(name, g); }, 3, 4);
  }
}

// C = 2, layers 5, cells 0 (normal, C = 2) and 1 (reduction, C = 4), 10 classes, every op but
// none on every edge. Non-affine cell BN and pooling BN hold nothing.
//   stem: conv 3 -> 6, 3x3: 162, BN(6): 12                                        174
//   cell 0: preprocess 6 -> 2 twice: 2 (12 + 4) = 32; per edge at C = 2: sep3 2 (18 + 4) = 44,
//     sep5 2 (50 + 4) = 108, dil3 18 + 4 = 22, dil5 50 + 4 = 54, skip and pools 0: 228;
//     14 edges 3192                                                              3224
//   cell 1: preprocess0 6 -> 4: 24 + 8 = 32, preprocess1 8 -> 4: 32 + 8 = 40; per edge at
//     C = 4: sep3 2 (36 + 16) = 104, sep5 2 (100 + 16) = 232, dil3 52, dil5 116: 504; the 8
//     edges from inputs 0 and 1 stride 2, their skip a FactorizedReduce 2 (4 x 2) = 16;
//     14 x 504 + 8 x 16 = 7184                                                   7256
//   classifier 16 x 10 + 10                                                       170
// Together 10,824. Without sep_conv_5x5 on edge normal.n2.i0: 10,716; with the dead edge
// reduce.n5.i4 (stride 1: 504 fewer): 10,320.
TEST(DartsSupernet, ParameterCountByHandAtTeNasSize) {
  auto space = make_space();
  EXPECT_EQ(nas::test::param_count(*space->build_supernet(all_alive(), tenas_spec())), 10824);
  Alive a = all_alive();
  a[0][3] = false;
  EXPECT_EQ(nas::test::param_count(*space->build_supernet(a, tenas_spec())), 10716);
  a = all_alive();
  a[27].assign(8, false);
  EXPECT_EQ(nas::test::param_count(*space->build_supernet(a, tenas_spec())), 10320);
  // The space parameters resize the supernet where the NetSpec leaves a field at 0.
  auto sized = make_space({{"supernet_width", std::int64_t{2}},
                           {"supernet_depth", std::int64_t{1}},
                           {"supernet_cells", std::int64_t{2}}});
  EXPECT_EQ(nas::test::param_count(*sized->build_supernet(all_alive(), nas::NetSpec{10, 3, 16})),
            10824);
}

TEST(DartsSupernet, AgreesWithTheTeNasStylePythonSupernet) {
  ASSERT_EQ(nas::test::run_command("/usr/bin/python3 -c 'import torch'").status, 0)
      << "/usr/bin/python3 cannot import torch";
  auto space = make_space();
  struct Case {
    std::string name;
    Alive alive;
    nas::NetSpec spec;
    int layers;
    std::uint64_t build_seed, input_seed;
  };
  // Mid-pruning: 1 to 8 survivors per edge, none alive on some, dead edges in groups with
  // enough live ones left.
  Alive mid = all_alive();
  for (std::size_t d = 0; d < 28; ++d) {
    for (std::size_t c = 0; c < 8; ++c) mid[d][c] = (d * 7 + c * 3) % 5 < 2 + d % 3;
    if (std::find(mid[d].begin(), mid[d].end(), true) == mid[d].end()) mid[d][d % 8] = true;
  }
  mid[5].assign(8, false);                                            // normal.n4.i0 dead
  mid[26].assign(8, false);                                           // reduce.n5.i3 dead
  mid[10] = {true, false, false, false, false, false, false, false};  // none alone
  const Encoded v2 = space->encode(space->parse(kDartsV2));
  nas::NetSpec five{10, 3, 16};
  five.width = 4;
  five.depth = 1;
  const std::vector<Case> cases = {
      {"tenas_start", all_alive(), tenas_spec(), 5, 0, 1},
      {"tenas_mid", mid, tenas_spec(), 5, 2, 3},
      {"with_none", all_alive(true), tenas_spec(), 5, 4, 5},
      {"five_cells_mid", mid, five, 5, 6, 7},
      {"five_cells_pruned", alive_of(v2), five, 5, 8, 9},
  };
  nas::test::TempDir dir;
  nlohmann::json spec;
  spec["cases"] = nlohmann::json::array();
  for (const Case& c : cases) {
    spec["cases"].push_back({{"name", c.name},
                             {"alive", nas::test::alive_json(c.alive)},
                             {"C", c.spec.width},
                             {"layers", c.layers},
                             {"max_cells", c.spec.max_cells},
                             {"num_classes", c.spec.num_classes},
                             {"input_size", c.spec.input_size},
                             {"build_seed", c.build_seed},
                             {"input_seed", c.input_seed},
                             {"batch", 2}});
  }
  const std::string path = dir.write("spec.json", spec.dump());
  const auto out = nas::test::run_command("/usr/bin/python3 '" + nas::test::source_dir() +
                                          "/tests/oracle/darts_supernet.py' '" + path + "' 2>&1");
  ASSERT_EQ(out.status, 0) << out.output;
  const nlohmann::json answer = nlohmann::json::parse(out.output);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    at::manual_seed(c.build_seed);
    auto net = space->build_supernet(c.alive, c.spec);
    EXPECT_EQ(nas::test::param_count(*net), answer.at(c.name).at("params").get<std::int64_t>());
    at::manual_seed(c.input_seed);
    const at::Tensor x = at::randn({2, 3, c.spec.input_size, c.spec.input_size});
    at::NoGradGuard no_grad;
    nas::test::expect_logits_near(net->forward(x),
                                  answer.at(c.name).at("logits").get<std::vector<double>>(), 1e-6);
  }
}

// TE-NAS on DARTS ranked by the parameter count of the supernet at TE-NAS's size (space
// parameters supernet_width 2, supernet_depth 1, supernet_cells 2), prune_number 3:
// * round 1 (7 ops per edge): removing skip or a pool changes nothing on a stride-1 edge
//   (change 0); on a strided reduction edge the skip is a FactorizedReduce of 16 parameters
//   (16 / 10824 = 0.001), the pools still 0; every conv op holds more. Every edge loses skip,
//   avg and max pooling;
// * round 2 (sep3, sep5, dil3, dil5): the three smallest go (dil3 22 < sep3 44 < dil5 54 at
//   C = 2; 52 < 104 < 116 at C = 4), sep_conv_5x5 stays on every edge;
// * the edge groups: within a cell every edge holds the same sep_conv_5x5, so removing any
//   changes the count alike; all tie and the first in enumeration order go, the two edges from
//   the highest inputs stay.
// Supernets scored: (1 + 28 x 7) + (1 + 28 x 4) + 2 ((1 + 3) + (1 + 4) + (1 + 5)) = 340, of
// which 338 distinct: in each cell node 3's group prunes one edge, so its chosen candidate is
// node 4's current supernet (answered from the run's scores, one row).
TEST(DartsSupernet, PruningEndsWithTwoInputsPerNode) {
  nas::test::TempDir t;
  const std::string out = t.file("p");
  const std::string yaml =
      "run: {out_dir: '" + out +
      "', seed: 1}\n"
      "search_space: {type: darts, params: {supernet_width: 2, supernet_depth: 1, "
      "supernet_cells: 2}}\n"
      "proxies:\n  - {type: params, params: {count: network}}\n"
      "strategy: {type: pruning, budget: 1, params: {proxies: [params], prune_number: 3}}\n";
  const auto r = nas::test::run_command("'" + nas::test::cli() + "' -q run '" +
                                        t.write("p.yaml", yaml) + "' 2>&1");
  ASSERT_EQ(r.status, 0) << r.output;
  std::string cell;
  for (int node = 2; node < 6; ++node) {
    cell += std::string(node > 2 ? "," : "") + "('sep_conv_5x5'," +
            std::to_string(node == 2 ? 0 : node - 2) + "),('sep_conv_5x5'," +
            std::to_string(node - 1) + ")";
  }
  EXPECT_EQ(nas::test::read_file(out + "/best_arch.txt"),
            "normal=[" + cell + "];reduce=[" + cell + "]\n");
  const nas::CsvTable scores = nas::read_csv(out + "/scores.csv");
  int supernets = 0;
  for (const auto& row : scores.rows) supernets += row[0].rfind("supernet:", 0) == 0;
  EXPECT_EQ(supernets, 338);
}

}  // namespace
