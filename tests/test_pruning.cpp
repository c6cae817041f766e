// The `pruning` strategy (TE-NAS) and the `params` proxy's network count it relies on.
// * Its ranking header (strategies/pruning/pruning_rank.h) by hand, and against a Python
//   re-statement of the reference's ranking that uses Python's and numpy's own round() and
//   math.log (tests/oracle/pruning_rank_oracle.py); the oracle needs /usr/bin/python3 with
//   numpy.
// * Through the `nas` CLI on NAS-Bench-201 ranked by parameter count, where every supernet's
//   count and every pruning decision follow from the ops' parameter counts by hand; a killed
//   search resumes to the same end without rescoring; bad settings are exit status 2.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nas/csv.h"
#include "nas/seed.h"
#include "pruning_rank.h"
#include "test_support.h"

namespace {

namespace pr = nas::pruning;
using nas::test::CommandResult;
using nas::test::TempDir;

// ---------------------------------------------------------------------------------------------
// The ranking, by hand

TEST(PruningRank, RoundingByHand) {
  // Python's round() on a float: the exact binary value, exact ties to the even digit.
  EXPECT_EQ(pr::python_round(0.125, 2), 0.12);
  EXPECT_EQ(pr::python_round(0.375, 2), 0.38);
  EXPECT_EQ(pr::python_round(2.5, 0), 2.0);
  EXPECT_EQ(pr::python_round(-0.125, 2), -0.12);
  // Decimal "ties" are not ties in binary: the double nearest 0.0025 is
  // 0.00250000000000000005..., above the tie, so it rounds up (Python: round(0.0025, 3) is
  // 0.003); 0.0015 is 0.00150000000000000003... (0.002); 2.675 is 2.67499999... (2.67);
  // 1.0005 is 1.00049999... (1.0).
  EXPECT_EQ(pr::python_round(0.0025, 3), 0.003);
  EXPECT_EQ(pr::python_round(-0.0025, 3), -0.003);
  EXPECT_EQ(pr::python_round(0.0015, 3), 0.002);
  EXPECT_EQ(pr::python_round(2.675, 2), 2.67);
  EXPECT_EQ(pr::python_round(1.0005, 3), 1.0);
  EXPECT_EQ(pr::python_round(28000.0 / 1699546.0, 3), 0.016);   // 0.016475...
  EXPECT_EQ(pr::python_round(243040.0 / 1699546.0, 3), 0.143);  // 0.143002...

  // numpy's round() on a float64 scales first: 0.0025 * 1000 is exactly 2.5 in doubles, a tie
  // that goes to 2 (numpy: round(np.float64(0.0025), 3) is 0.002); 2.675 * 100 rounds to
  // exactly 267.5, which goes to 268; 0.0015 * 1000 = 1.5 goes to 2; 1.0005 * 1000 rounds
  // below 1000.5.
  EXPECT_EQ(pr::numpy_round(0.0025, 3), 0.002);
  EXPECT_EQ(pr::numpy_round(-0.0025, 3), -0.002);
  EXPECT_EQ(pr::numpy_round(2.675, 2), 2.68);
  EXPECT_EQ(pr::numpy_round(0.0015, 3), 0.002);
  EXPECT_EQ(pr::numpy_round(1.0005, 3), 1.0);
  EXPECT_EQ(pr::numpy_round(0.125, 2), 0.12);
  EXPECT_EQ(pr::numpy_round(28000.0 / 1699546.0, 3), 0.016);

  // Significant figures (the reference's round_to at precision 3): below 1 in magnitude a
  // 3-decimal value keeps its value; above 1 decimals are lost.
  EXPECT_EQ(pr::round_significant(0.123, 3), 0.123);
  EXPECT_EQ(pr::round_significant(0.001, 3), 0.001);
  EXPECT_EQ(pr::round_significant(-0.016, 3), -0.016);
  EXPECT_EQ(pr::round_significant(1.234, 3), 1.23);
  EXPECT_EQ(pr::round_significant(1.231, 3), 1.23);
  EXPECT_EQ(pr::round_significant(-5.234, 3), -5.23);
  EXPECT_EQ(pr::round_significant(12.345, 3), 12.3);
  EXPECT_EQ(pr::round_significant(0.9995, 3), 1.0);  // 0.99950001 -> 1.0
  EXPECT_EQ(pr::round_significant(0.0, 3), 0.0);

  // The change divides by |orig|; orig 0 gives the plain difference.
  EXPECT_DOUBLE_EQ(pr::relative_change(4.0, 3.0), 0.25);
  EXPECT_DOUBLE_EQ(pr::relative_change(-4.0, -3.0), -0.25);  // the score rose
  EXPECT_DOUBLE_EQ(pr::relative_change(0.0, 2.0), -2.0);
}

TEST(PruningRank, DenseRanksWithTiesByHand) {
  // Candidates in enumeration order; ties after rounding share a rank, the next distinct
  // value gets the next rank (dense).
  const std::vector<double> v = {0.016, 0.0, 0.143, 0.0, 0.016};
  const pr::Ranking up = pr::rank_changes(v, 3, /*descending=*/false);
  EXPECT_EQ(up.order, (std::vector<std::size_t>{1, 3, 0, 4, 2}));
  EXPECT_EQ(up.rank, (std::vector<int>{1, 0, 2, 0, 1}));
  const pr::Ranking down = pr::rank_changes(v, 3, /*descending=*/true);
  EXPECT_EQ(down.order, (std::vector<std::size_t>{2, 0, 4, 1, 3}));
  EXPECT_EQ(down.rank, (std::vector<int>{1, 2, 0, 2, 1}));

  // The reference's quirk: values that significant-figure rounding merges keep their
  // enumeration order, and each new value still takes the next rank, so the first and the last
  // below (equal) get different ranks.
  const pr::Ranking merged = pr::rank_changes({-1.234, -1.231, -1.234, 0.5}, 3, true);
  EXPECT_EQ(merged.order, (std::vector<std::size_t>{3, 0, 1, 2}));
  EXPECT_EQ(merged.rank, (std::vector<int>{1, 2, 3, 0}));
}

TEST(PruningRank, ChoiceByRankSumOverTheWholeRound) {
  // Slot 0 holds a1 (0) and a2 (1), slot 1 holds b1 (2) and b2 (3).
  // Proxy N, descending: a2 0.9, a1 0.8, b1 0.2, b2 0.1 -> ranks a2 0, a1 1, b1 2, b2 3.
  // Proxy R, ascending:  a1 0.0, b1 0.1, b2 0.2, a2 0.3 -> ranks a1 0, b1 1, b2 2, a2 3.
  // Sums: a1 1, a2 3, b1 3, b2 5: prune a1 and b1. Ranked per slot instead, a1 and a2 would
  // tie at 1 and N's order would prune a2: the ranks are the whole round's.
  const std::vector<std::size_t> slot_of = {0, 0, 1, 1};
  const pr::Ranking n = pr::rank_changes({0.8, 0.9, 0.2, 0.1}, 3, true);
  const pr::Ranking r = pr::rank_changes({0.0, 0.3, 0.1, 0.2}, 3, false);
  EXPECT_EQ(n.rank, (std::vector<int>{1, 0, 2, 3}));
  EXPECT_EQ(r.rank, (std::vector<int>{0, 3, 1, 2}));
  EXPECT_EQ(pr::choose_pruned(slot_of, {n, r}, {1, 1}), (std::vector<std::size_t>{0, 2}));

  // Equal sums: the first proxy's sorted order decides. Slot 0 only: N descending a1 0.2,
  // a2 0.1 -> a1 0, a2 1; R ascending a1 0.2, a2 0.1 -> a2 0, a1 1; both sums 1.
  const pr::Ranking n2 = pr::rank_changes({0.2, 0.1}, 3, true);
  const pr::Ranking r2 = pr::rank_changes({0.2, 0.1}, 3, false);
  EXPECT_EQ(pr::choose_pruned({0, 0}, {n2, r2}, {1}), (std::vector<std::size_t>{0}));
  EXPECT_EQ(pr::choose_pruned({0, 0}, {r2, n2}, {1}), (std::vector<std::size_t>{1}));

  // A quota of 2 takes the two lowest sums of the slot; a quota of 1 elsewhere one.
  const pr::Ranking only = pr::rank_changes({0.3, 0.1, 0.2, 0.5, 0.4}, 3, false);
  EXPECT_EQ(pr::choose_pruned({0, 0, 0, 1, 1}, {only}, {2, 1}),
            (std::vector<std::size_t>{1, 2, 4}));
}

// ---------------------------------------------------------------------------------------------
// The ranking against the Python oracle

bool python_available() {
  return nas::test::run_command("/usr/bin/python3 -c 'import json, math, numpy'").status == 0;
}

TEST(PruningRank, MatchesPythonOnRandomRounds) {
  if (!python_available()) NAS_ORACLE_MISSING("/usr/bin/python3 cannot import numpy");
  nas::Rng rng(nas::derive_seed(7, "test_pruning_oracle"));
  // Changes drawn from few values, so that rounding makes many ties, with magnitudes beyond 1
  // (where significant-figure rounding merges values) and decimal near-ties such as 0.0025.
  const std::vector<double> pool = {0.0,    0.0025, 0.0015,  -0.0025, 0.016475, 0.143002,
                                    1.2345, 1.2312, -1.2345, -5.2311, 12.3456,  0.99951,
                                    -0.5,   0.125,  1e-9,    -3e-4,   2.675,    0.0045};
  TempDir t;
  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const int precision = 1 + static_cast<int>(rng.below(4));
    const int slots = 1 + static_cast<int>(rng.below(6));
    std::vector<std::size_t> slot_of;
    std::vector<int> quota(static_cast<std::size_t>(slots));
    for (int s = 0; s < slots; ++s) {
      const int ops = 2 + static_cast<int>(rng.below(4));
      for (int o = 0; o < ops; ++o) slot_of.push_back(static_cast<std::size_t>(s));
      quota[static_cast<std::size_t>(s)] = 1 + static_cast<int>(rng.below(ops - 1));
    }
    const int proxies = 1 + static_cast<int>(rng.below(3));
    nlohmann::json spec;
    spec["precision"] = precision;
    spec["slot_of"] = slot_of;
    spec["quota"] = quota;
    spec["probe"] = pool;
    std::vector<pr::Ranking> rankings;
    for (int k = 0; k < proxies; ++k) {
      std::vector<double> changes, rounded;
      for (std::size_t i = 0; i < slot_of.size(); ++i) {
        double x =
            pool[static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(pool.size())))];
        if (rng.below(3) == 0) x += 1e-4 * static_cast<double>(rng.below(7));
        changes.push_back(x);
      }
      const bool descending = rng.below(2) == 1;
      const bool numpy = rng.below(2) == 1;
      for (double x : changes) {
        rounded.push_back(numpy ? pr::numpy_round(x, precision) : pr::python_round(x, precision));
      }
      spec["proxies"].push_back(
          {{"changes", changes}, {"descending", descending}, {"numpy", numpy}});
      rankings.push_back(pr::rank_changes(rounded, precision, descending));
    }
    const std::string path = t.write("spec" + std::to_string(round) + ".json", spec.dump());
    const std::string oracle = nas::test::source_dir() + "/tests/oracle/pruning_rank_oracle.py";
    const CommandResult out =
        nas::test::run_command("/usr/bin/python3 '" + oracle + "' '" + path + "' 2>/dev/null");
    ASSERT_EQ(out.status, 0) << out.output;
    const nlohmann::json answer = nlohmann::json::parse(out.output);
    for (int k = 0; k < proxies; ++k) {
      EXPECT_EQ(answer.at("ranks")[static_cast<std::size_t>(k)].get<std::vector<int>>(),
                rankings[static_cast<std::size_t>(k)].rank)
          << "proxy " << k;
    }
    EXPECT_EQ(answer.at("pruned").get<std::vector<std::size_t>>(),
              pr::choose_pruned(slot_of, rankings, quota));
    const auto rounded = answer.at("rounded").get<std::vector<double>>();
    const auto numpy_rounded = answer.at("numpy_rounded").get<std::vector<double>>();
    const auto significant = answer.at("significant").get<std::vector<double>>();
    for (std::size_t i = 0; i < pool.size(); ++i) {
      EXPECT_EQ(rounded[i], pr::python_round(pool[i], precision)) << pool[i];
      EXPECT_EQ(numpy_rounded[i], pr::numpy_round(pool[i], precision)) << pool[i];
      EXPECT_EQ(significant[i], pr::round_significant(pool[i], precision)) << pool[i];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Through the CLI

CommandResult nas_run(const std::string& yaml_path) {
  return nas::test::run_command("'" + nas::test::cli() + "' -q run '" + yaml_path + "'");
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

const char* kAllConv3x3 =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    "nor_conv_3x3~2|";

// NB201 ranked by the parameter count of the network built (C = 16, N = 5, 10 classes).
// Parameters by hand: a 3x3 ReLU-conv-BN on C channels holds 9C^2 + 2C, a 1x1 one C^2 + 2C;
// none, skip and pooling hold none. One slot (edge) is the same op in the 5 cells of each of
// the three stages (C = 16, 32, 64), so an op on one slot holds
//   1x1: 5 (288 + 1088 + 4224) = 28,000;   3x3: 5 (2336 + 9280 + 36992) = 243,040.
// Everything else: stem 3*16*9 + 32 = 464; ResNet block 16->32: 4608 + 64 + 9216 + 64 + 512
// = 14,464; 32->64: 18432 + 128 + 36864 + 128 + 2048 = 57,600; last BN 128; classifier
// 64*10 + 10 = 650; together 73,306. The full supernet: 73,306 + 6 (28,000 + 243,040)
// = 1,699,546.
constexpr std::int64_t kFixed = 73306, kConv1x1 = 28000, kConv3x3 = 243040;

std::int64_t supernet_params(const std::vector<std::string>& groups) {
  std::int64_t n = kFixed;
  for (const auto& g : groups) n += (g[2] == '1') * kConv1x1 + (g[3] == '1') * kConv3x3;
  return n;
}

std::string supernet_text(const std::vector<std::string>& groups) {
  std::string s = "supernet:";
  for (std::size_t i = 0; i < groups.size(); ++i) s += (i ? "/" : "") + groups[i];
  return s;
}

// The supernets a TE-NAS run scores, in order, given the op it prunes in each round: per
// round the current supernet, then each slot's survivors removed one at a time (slots in
// order, choices in op order).
std::vector<std::string> expected_supernets(const std::vector<int>& pruned_per_round) {
  std::vector<std::string> alive(6, "01111");  // none excluded
  std::vector<std::string> out;
  for (int op : pruned_per_round) {
    out.push_back(supernet_text(alive));
    for (std::size_t d = 0; d < 6; ++d) {
      for (std::size_t c = 0; c < 5; ++c) {
        if (alive[d][c] != '1') continue;
        std::vector<std::string> less = alive;
        less[d][c] = '0';
        out.push_back(supernet_text(less));
      }
    }
    for (auto& g : alive) g[static_cast<std::size_t>(op)] = '0';
  }
  return out;
}

std::vector<std::string> groups_of(const std::string& supernet) {
  std::vector<std::string> out;
  std::istringstream in(supernet.substr(std::string("supernet:").size()));
  for (std::string g; std::getline(in, g, '/');) out.push_back(g);
  return out;
}

std::string params_pipeline(const std::string& out, const std::string& extra_proxies = "",
                            const std::string& pruning_proxies = "[params]") {
  return "run: {out_dir: '" + out +
         "', seed: 3}\n"
         "search_space: {type: nb201}\n"
         "proxies:\n  - {type: params, params: {count: network}}\n" +
         extra_proxies +
         "strategy: {type: pruning, budget: 1, params: {proxies: " + pruning_proxies + "}}\n";
}

// The direction rule on parameter counts (higher is better, so rank 0 goes to the op whose
// removal lowers the count least). Round 1 (none excluded): removing skip or pooling changes
// nothing (0.0), 1x1 by 28,000 / 1,699,546 = 0.016, 3x3 by 243,040 / 1,699,546 = 0.143;
// ranks 0, 0, 1, 2 on every slot. skip_connect and avg_pool_3x3 tie; the first of them in
// sorted order, skip_connect, goes. Round 2 (1x1, 3x3, pool): pool goes. Round 3: 1x1 goes.
// The result is nor_conv_3x3 on every edge, after (1 + 24) + (1 + 18) + (1 + 12) = 57
// supernets, none scored twice.
TEST(Pruning, ParameterCountsPruneToTheAllConvolutionCell) {
  TempDir t;
  const std::string out = t.file("p");
  auto r = nas_run(t.write("p.yaml", params_pipeline(out)));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(nas::test::read_file(out + "/best_arch.txt"), std::string(kAllConv3x3) + "\n");

  const nas::CsvTable scores = nas::read_csv(out + "/scores.csv");
  std::vector<std::string> supernets;
  std::map<std::string, double> score;
  std::vector<std::string> others;
  for (const auto& row : scores.rows) {
    const std::string arch = row[scores.column("arch")];
    EXPECT_EQ(row[scores.column("status")], "ok") << arch;
    score[arch] = std::stod(row[scores.column("score")]);
    if (arch.rfind("supernet:", 0) == 0) {
      supernets.push_back(arch);
    } else {
      others.push_back(arch);
    }
  }
  const std::vector<std::string> expected = expected_supernets({1, 4, 2});
  ASSERT_EQ(expected.size(), 57u);
  EXPECT_EQ(supernets, expected);
  for (const auto& s : supernets) {
    EXPECT_EQ(score[s], static_cast<double>(supernet_params(groups_of(s)))) << s;
  }
  EXPECT_EQ(score[expected.front()], 1699546.0);
  EXPECT_EQ(score["supernet:01101/01111/01111/01111/01111/01111"], 1699546.0 - kConv3x3);
  // The result is scored as an architecture: all six edges 3x3, 1,699,546 - 6 x 28,000.
  EXPECT_EQ(others, std::vector<std::string>{kAllConv3x3});
  EXPECT_EQ(score[kAllConv3x3], 1531546.0);

  const nas::CsvTable trace = nas::read_csv(out + "/search_trace.csv");
  ASSERT_EQ(trace.rows.size(), 1u);
  EXPECT_EQ(trace.rows[0][trace.column("arch")], kAllConv3x3);
  EXPECT_EQ(trace.rows[0][trace.column("best_arch")], kAllConv3x3);
}

// prune_number 2 prunes two ops per slot in round 1 (skip and pool, ranks 0 and 0) and the
// last one (1x1) in round 2: (1 + 24) + (1 + 12) = 38 supernets.
TEST(Pruning, PruneNumberTwoTakesTwoOpsPerRound) {
  TempDir t;
  const std::string out = t.file("p");
  std::string yaml = params_pipeline(out);
  yaml.replace(yaml.find("proxies: [params]}"), 18, "proxies: [params], prune_number: 2}");
  auto r = nas_run(t.write("p.yaml", yaml));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(nas::test::read_file(out + "/best_arch.txt"), std::string(kAllConv3x3) + "\n");
  const nas::CsvTable scores = nas::read_csv(out + "/scores.csv");
  int supernets = 0;
  for (const auto& row : scores.rows) supernets += row[0].rfind("supernet:", 0) == 0;
  EXPECT_EQ(supernets, 38);
}

// A run cut off after k supernets' rows of scores.csv (what kill -9 leaves) resumes into the
// same search and scores nothing twice. linear_regions (Gaussian inputs, a small batch) makes
// the scores seed-dependent, so a rescoring under other seeds would show.
TEST(Pruning, InterruptedSearchEndsWhereAnUninterruptedOneEnds) {
  TempDir t;
  const std::string lr =
      "  - {type: linear_regions, params: {batch: 64, sample_batches: 1, repeats: 1}}\n";
  const std::string both = "[params, linear_regions]";
  ASSERT_EQ(nas_run(t.write("whole.yaml", params_pipeline(t.file("whole"), lr, both))).status, 0);
  const std::vector<std::string> rows =
      lines_of(nas::test::read_file(t.file("whole") + "/scores.csv"));
  ASSERT_EQ(rows.size(), 1u + 2u * 58u);  // header, 57 supernets and the result, two proxies
  for (std::size_t keep : {std::size_t{1}, std::size_t{26}, std::size_t{57}}) {
    SCOPED_TRACE("cut after " + std::to_string(keep) + " supernets");
    const std::string out = t.file("cut" + std::to_string(keep));
    std::filesystem::create_directories(out);
    std::ofstream partial(out + "/scores.csv");
    for (std::size_t i = 0; i <= 2 * keep; ++i) partial << rows[i] << "\n";
    partial.close();
    auto r =
        nas_run(t.write("cut" + std::to_string(keep) + ".yaml", params_pipeline(out, lr, both)));
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(nas::test::rows_without_seconds(out + "/search_trace.csv"),
              nas::test::rows_without_seconds(t.file("whole") + "/search_trace.csv"));
    EXPECT_EQ(nas::test::read_file(out + "/best_arch.txt"),
              nas::test::read_file(t.file("whole") + "/best_arch.txt"));
    const std::vector<std::string> resumed = lines_of(nas::test::read_file(out + "/scores.csv"));
    EXPECT_EQ(resumed.size(), rows.size()) << "a supernet was scored twice";
    // The same arch, proxy and score on every line (seconds differ).
    const nas::CsvTable a = nas::read_csv(t.file("whole") + "/scores.csv");
    const nas::CsvTable b = nas::read_csv(out + "/scores.csv");
    ASSERT_EQ(a.rows.size(), b.rows.size());
    for (std::size_t i = 0; i < a.rows.size(); ++i) {
      for (const char* col : {"arch", "proxy", "score"}) {
        EXPECT_EQ(a.rows[i][a.column(col)], b.rows[i][b.column(col)]) << "row " << i;
      }
    }
  }
}

std::string flat_pipeline(const std::string& out, const std::string& space_params) {
  return "run: {out_dir: '" + out + "', seed: 1, plugin_paths: ['" +
         nas::test::fixture_plugins("flat_space") +
         "']}\n"
         "search_space: {type: flat, params: {" +
         space_params +
         "}}\nproxies: [params]\n"
         "strategy: {type: pruning, params: {proxies: [params]}}\n";
}

void expect_usage_error(const CommandResult& r, const std::string& message) {
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find(message), std::string::npos) << r.output;
}

TEST(Pruning, ImpossibleSettingsAreClearErrors) {
  TempDir t;
  expect_usage_error(nas_run(t.write("a.yaml", flat_pipeline(t.file("a"), ""))),
                     "pruning: search space 'flat' has no supernet; pruning needs one");
  expect_usage_error(
      nas_run(t.write("b.yaml", flat_pipeline(t.file("b"), "slots: 0, supernet: true"))),
      "pruning: search space 'flat' has an empty decision view");
  expect_usage_error(
      nas_run(t.write("c.yaml", params_pipeline(t.file("c"), "", "[params, ntk_cond]"))),
      "pruning: proxies: 'ntk_cond' is not computed by this pipeline; its proxies are: params");

  std::string yaml = params_pipeline(t.file("d"));
  yaml.replace(yaml.find("proxies: [params]}"), 18, "proxies: [params], prune_number: 0}");
  CommandResult r = nas_run(t.write("d.yaml", yaml));
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("prune_number"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("at least 1"), std::string::npos) << r.output;

  yaml = params_pipeline(t.file("e"));
  yaml.replace(yaml.find("proxies: [params]}"), 18, "proxies: [params], exclude: [conv]}");
  expect_usage_error(nas_run(t.write("e.yaml", yaml)),
                     "pruning: exclude: 'conv' is no choice of search space 'nb201'; its choices "
                     "are: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3");
  yaml = params_pipeline(t.file("f"));
  yaml.replace(yaml.find("proxies: [params]}"), 18,
               "proxies: [params], exclude: [none, skip_connect, nor_conv_1x1, nor_conv_3x3, "
               "avg_pool_3x3]}");
  expect_usage_error(nas_run(t.write("f.yaml", yaml)),
                     "pruning: exclude removes every choice of decision slot");
}

// The analytic parameter count has no answer for a supernet: every supernet's score is
// missing, which is an error, not a pruning in enumeration order.
TEST(Pruning, AProxyWithoutSupernetScoresIsAnError) {
  TempDir t;
  std::string yaml = params_pipeline(t.file("a"));
  yaml.replace(yaml.find("{count: network}"), 16, "{count: analytic}");
  const CommandResult r = nas_run(t.write("a.yaml", yaml));
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("pruning: proxy 'params' gave no finite score on any of the 25 "
                          "supernets of round 1"),
            std::string::npos)
      << r.output;
  // scores.csv says why.
  const nas::CsvTable scores = nas::read_csv(t.file("a") + "/scores.csv");
  ASSERT_FALSE(scores.rows.empty());
  EXPECT_EQ(scores.rows[0][scores.column("status")], "error");
  EXPECT_NE(scores.rows[0][scores.column("message")].find("use count: network"), std::string::npos)
      << scores.rows[0][scores.column("message")];
}

}  // namespace
