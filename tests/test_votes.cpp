// Votes (plugins vote_majority, vote_rank_sum, vote_zscore, vote_fusion) on hand-made score
// tables. Every expected value is worked out by hand in the comments, from the definitions in
// the WRCor reference's pairwise majority (kunjing96/ZSNAS-WRCor search.py, NAS.cmp) and the
// plugins' headers.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "nas/error.h"
#include "nas/plugin_loader.h"
#include "nas/registry.h"
#include "nas/score_table.h"
#include "nas/vote.h"
#include "test_support.h"

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
using Strings = std::vector<std::string>;

std::shared_ptr<nas::Vote> make_vote(const std::string& type,
                                     const std::map<std::string, nas::ParamValue>& set = {}) {
  nas::load_plugins();
  const auto& component = nas::Registry::global().votes.get(type);
  nas::Params p = nas::Params::defaults(component.schema, type);
  for (const auto& [k, v] : set) p.set(k, v);
  return component.create(p);
}

// rows[i] holds the scores of architecture "r<i>" for `proxies`, in order.
nas::ScoreTable make_table(const Strings& proxies, const std::vector<std::vector<double>>& rows) {
  nas::ScoreTable t(proxies);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t k = 0; k < proxies.size(); ++k) {
      t.set(nas::Arch("test", "r" + std::to_string(i)), proxies[k], rows[i][k]);
    }
  }
  return t;
}

// ---------------------------------------------------------------- majority

TEST(MajorityVote, CompareIsASignedStrictMajority) {
  auto v = make_vote("majority", {{"proxies", Strings{"p", "q", "r"}}});
  EXPECT_EQ(v->inputs(), (Strings{"p", "q", "r"}));
  // d = (+, +, 0): two of three favour row 0 (2 > 3/2).
  auto t = make_table({"p", "q", "r"}, {{3, 2, 1}, {1, 1, 1}});
  EXPECT_EQ(v->compare(t, 0, 1), 1);
  EXPECT_EQ(v->compare(t, 1, 0), -1);
  EXPECT_EQ(v->compare(t, 0, 0), 0);
  // With q lower-is-better: d = (+, -, 0): one each, no majority.
  auto signed_vote = make_vote("majority", {{"proxies", Strings{"+p", "-q", "r"}}});
  EXPECT_EQ(signed_vote->inputs(), (Strings{"p", "q", "r"}));
  EXPECT_EQ(signed_vote->compare(t, 0, 1), 0);
  // Lower-is-better wins where the raw value is smaller: d = (-, +, -) for row 0 vs 1 below.
  auto t2 = make_table({"p", "q", "r"}, {{1, 1, 1}, {2, 2, 2}});
  EXPECT_EQ(signed_vote->compare(t2, 0, 1), -1);  // p and r favour row 1
}

TEST(MajorityVote, NaNDifferencesCountForNeitherSide) {
  auto v = make_vote("majority", {{"proxies", Strings{"p", "q", "r"}}});
  // d = (NaN, +, 0): one vote for row 0 only, not > 1.5.
  auto t = make_table({"p", "q", "r"}, {{kNaN, 2, 1}, {1, 1, 1}, {kNaN, 2, 2}, {kInf, 0, 0}});
  EXPECT_EQ(v->compare(t, 0, 1), 0);
  // d = (NaN, +, +): two votes.
  EXPECT_EQ(v->compare(t, 2, 1), 1);
  // inf - inf is NaN too: row 3 vs row 3 is a tie; row 3 vs 1: d = (+inf, -, -) -> row 1.
  EXPECT_EQ(v->compare(t, 3, 3), 0);
  EXPECT_EQ(v->compare(t, 3, 1), -1);
}

TEST(MajorityVote, EvenNumberOfProxiesNeedsMoreThanHalf) {
  auto two = make_vote("majority", {{"proxies", Strings{"p", "q"}}});
  auto t = make_table({"p", "q"}, {{2, 1}, {1, 2}, {2, 2}, {1, 1}});
  EXPECT_EQ(two->compare(t, 0, 1), 0);  // 1 : 1
  EXPECT_EQ(two->compare(t, 0, 3), 0);  // 1 : 0 is not > 2/2
  EXPECT_EQ(two->compare(t, 2, 3), 1);  // 2 : 0
  auto four = make_vote("majority", {{"proxies", Strings{"a", "b", "c", "d"}}});
  auto t4 = make_table({"a", "b", "c", "d"}, {{2, 2, 1, 1}, {1, 1, 1, 1}, {2, 2, 2, 1}});
  EXPECT_EQ(four->compare(t4, 0, 1), 0);  // 2 of 4 is not > 2
  EXPECT_EQ(four->compare(t4, 2, 1), 1);  // 3 of 4
}

// Rows a, b, c form a Condorcet cycle with 3 proxies:
//   p: a 3 > b 2 > c 1;  q: b 3 > c 2 > a 1;  r: c 3 > a 2 > b 1.
// a vs b: p, r favour a -> a.  b vs c: p, q favour b -> b.  c vs a: q, r favour c -> c.
// d = (0, 0, 0) loses to all three; e is a copy of a (ties a); f is all NaN (ties everyone).
// Copeland (wins - losses), opponents in the order a b c d e f:
//   a:  . +1 -1 +1  0  0 =  1
//   b: -1  . +1 +1 -1  0 =  0   (e is a copy of a, so it beats b)
//   c: +1 -1  . +1 +1  0 =  2
//   d: -1 -1 -1  . -1  0 = -4
//   e:  0 +1 -1 +1  .  0 =  1
//   f:  0  0  0  0  0  . =  0
const std::vector<std::vector<double>> kCycle = {{3, 1, 2}, {2, 3, 1}, {1, 2, 3},
                                                 {0, 0, 0}, {3, 1, 2}, {kNaN, kNaN, kNaN}};

TEST(MajorityVote, IntransitiveCycleAndCopelandScores) {
  auto v = make_vote("majority", {{"proxies", Strings{"p", "q", "r"}}});
  auto t = make_table({"p", "q", "r"}, kCycle);
  EXPECT_EQ(v->compare(t, 0, 1), 1);  // a > b
  EXPECT_EQ(v->compare(t, 1, 2), 1);  // b > c
  EXPECT_EQ(v->compare(t, 2, 0), 1);  // c > a
  EXPECT_EQ(v->compare(t, 0, 4), 0);  // a = e
  EXPECT_EQ(v->compare(t, 5, 0), 0);  // all NaN ties
  const std::vector<double> copeland = v->rank(t);
  EXPECT_EQ(copeland, (std::vector<double>{1, 0, 2, -4, 1, 0}));
  // Only the cycle: each row wins once and loses once.
  auto t3 = make_table({"p", "q", "r"}, {kCycle[0], kCycle[1], kCycle[2]});
  EXPECT_EQ(v->rank(t3), (std::vector<double>{0, 0, 0}));
}

TEST(MajorityVote, CopelandMatchesThePairwiseDefinition) {
  // Odd sizes, ties and NaN, against a plain loop over compare() (itself checked by hand above).
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> level(0, 4);
  for (std::size_t n : {1u, 2u, 7u, 33u, 130u}) {
    std::vector<std::vector<double>> rows(n, std::vector<double>(3));
    for (auto& row : rows)
      for (double& x : row) x = level(rng) == 0 ? kNaN : level(rng);
    auto t = make_table({"p", "q", "r"}, rows);
    auto v = make_vote("majority", {{"proxies", Strings{"p", "-q", "r"}}});
    std::vector<double> expected(n, 0.0);
    for (std::size_t a = 0; a < n; ++a)
      for (std::size_t b = 0; b < n; ++b)
        if (a != b) expected[a] += v->compare(t, a, b);
    EXPECT_EQ(v->rank(t), expected) << "n = " << n;
  }
}

// The SJW preset on a small table, by hand (its timing on all of NB201 is tests/bench/
// bench_votes). Columns are stored in another order than the preset's (wrcor, synflow,
// jacov), and r0's wrcor failed (NaN), so r0's pairs are decided by synflow and jacov alone.
//   rows (synflow, jacov, wrcor): r0 (5,1,NaN) r1 (4,2,3) r2 (3,3,2) r3 (1,0,1) r4 (5,1,4)
//   r0-r1 (+,-,.) 0   r0-r2 (+,-,.) 0   r0-r3 (+,+,.) r0   r0-r4 (=,=,.) 0
//   r1-r2 (+,-,+) r1  r1-r3 (+,+,+) r1  r1-r4 (-,+,-) r4
//   r2-r3 (+,+,+) r2  r2-r4 (-,+,-) r4  r3-r4 (-,-,-) r4
// Copeland (wins - losses): r0 1, r1 2 - 1 = 1, r2 1 - 2 = -1, r3 -4, r4 3.
TEST(MajorityVote, SjwPresetCopelandByHand) {
  auto v = make_vote("majority", {{"preset", std::string("sjw")}});
  auto t = make_table({"wrcor", "synflow", "jacov"},
                      {{kNaN, 5, 1}, {3, 4, 2}, {2, 3, 3}, {1, 1, 0}, {4, 5, 1}});
  EXPECT_EQ(v->compare(t, 0, 3), 1);
  EXPECT_EQ(v->compare(t, 0, 4), 0);
  EXPECT_EQ(v->compare(t, 1, 4), -1);
  EXPECT_EQ(v->compare(t, 2, 1), -1);
  EXPECT_EQ(v->rank(t), (std::vector<double>{1, 1, -1, -4, 3}));
}

TEST(MajorityVote, SortRankingIsTheReferenceComparisonSort) {
  auto v = make_vote("majority",
                     {{"proxies", Strings{"p", "q", "r"}}, {"ranking", std::string("sort")}});
  // A consistent order: positions are plain ranks from 0 (worst).
  auto t = make_table({"p", "q", "r"}, {{1, 1, 1}, {3, 3, 3}, {2, 2, 2}});
  EXPECT_EQ(v->rank(t), (std::vector<double>{0, 2, 1}));
  // The cycle in the order a, b, c. Merge sort: left [a], right [b, c]; sorting [b, c]: c sorts
  // first iff compare(c, b) < 0, and b beats c, so [c, b]; merging [a] with [c, b]: c goes
  // first iff compare(c, a) < 0, but c beats a, so a stays first: [a, c, b].
  auto abc = make_table({"p", "q", "r"}, {kCycle[0], kCycle[1], kCycle[2]});
  EXPECT_EQ(v->rank(abc), (std::vector<double>{0, 2, 1}));  // a 0, b 2, c 1
  // The same rows in the order b, c, a: [c, a] sorts to [a, c] (c beats a); merging [b] with
  // [a, c]: a goes first iff compare(a, b) < 0, but a beats b: [b, a, c]. The ranking depends
  // on the input order, as the reference's does.
  auto bca = make_table({"p", "q", "r"}, {kCycle[1], kCycle[2], kCycle[0]});
  EXPECT_EQ(v->rank(bca), (std::vector<double>{0, 2, 1}));  // b 0, c 2, a 1
}

TEST(MajorityVote, PresetsAndParameterErrors) {
  EXPECT_EQ(make_vote("majority", {{"preset", std::string("sjw")}})->inputs(),
            (Strings{"synflow", "jacov", "wrcor"}));
  EXPECT_EQ(make_vote("majority", {{"preset", std::string("spw")}})->inputs(),
            (Strings{"synflow", "pnorm", "wrcor"}));
  EXPECT_THROW(make_vote("majority"), nas::UsageError);  // neither preset nor proxies
  EXPECT_THROW(make_vote("majority", {{"preset", std::string("sjw")}, {"proxies", Strings{"x"}}}),
               nas::UsageError);
  EXPECT_THROW(make_vote("majority", {{"proxies", Strings{"x", "+x"}}}), nas::UsageError);
  EXPECT_THROW(make_vote("majority", {{"proxies", Strings{"-"}}}), nas::UsageError);
  // A column the table lacks is named.
  auto v = make_vote("majority", {{"preset", std::string("sjw")}});
  auto t = make_table({"synflow", "jacov"}, {{1, 1}, {2, 2}});
  try {
    v->compare(t, 0, 1);
    FAIL() << "no error for a missing column";
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'wrcor'"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------- rank_sum

TEST(RankSumVote, AverageRanksSignsAndNaN) {
  // p (+):  a 1, b 3, c 3, d NaN -> ascending ranks with NaN worst: d 1, a 2, b 3.5, c 3.5
  // q (-):  a 10, b 20, c 5, d 5 -> signed -10, -20, -5, -5: b 1, a 2, c 3.5, d 3.5
  // sums:   a 4, b 4.5, c 7, d 4.5
  auto v = make_vote("rank_sum", {{"proxies", Strings{"+p", "-q"}}});
  auto t = make_table({"p", "q"}, {{1, 10}, {3, 20}, {3, 5}, {kNaN, 5}});
  EXPECT_EQ(v->rank(t), (std::vector<double>{4, 4.5, 7, 4.5}));
  EXPECT_EQ(v->compare(t, 1, 3), 0);
  EXPECT_EQ(v->compare(t, 2, 0), 1);
  EXPECT_EQ(v->compare(t, 0, 1), -1);
  EXPECT_THROW(make_vote("rank_sum"), nas::UsageError);
}

// ---------------------------------------------------------------- zscore

TEST(ZScoreVote, MeanOfSignedStandardScores) {
  // p (+): 1, 2, 3: mean 2, population std sqrt(2/3): z = -1.224745, 0, 1.224745
  // q (-): 4, NaN, 8: mean 6, std 2: z = -(q - 6) / 2 = +1, NaN, -1
  // rows: a (-1.224745 + 1) / 2 = -0.112372; b 0 (q is NaN: left out); c +0.112372;
  // d: all NaN -> NaN, ranked last.
  const double z = std::sqrt(1.5);  // 1 / sqrt(2/3)
  auto v = make_vote("zscore", {{"proxies", Strings{"p", "-q"}}});
  auto t = make_table({"p", "q"}, {{1, 4}, {2, kNaN}, {3, 8}, {kNaN, kNaN}});
  const auto r = v->rank(t);
  EXPECT_NEAR(r[0], (-z + 1) / 2, 1e-12);
  EXPECT_NEAR(r[1], 0.0, 1e-12);
  EXPECT_NEAR(r[2], (z - 1) / 2, 1e-12);
  EXPECT_TRUE(std::isnan(r[3]));
  EXPECT_EQ(v->compare(t, 2, 0), 1);
  EXPECT_EQ(v->compare(t, 3, 0), -1);  // NaN loses
  EXPECT_EQ(v->compare(t, 3, 3), 0);
  // The log transform: e, e^2, e^3 become 1, 2, 3, so the same scores.
  auto logged = make_vote("zscore", {{"proxies", Strings{"p", "-q"}}, {"log", Strings{"p"}}});
  auto te = make_table({"p", "q"}, {{std::exp(1.0), 4}, {std::exp(2.0), kNaN}, {std::exp(3.0), 8}});
  const auto re = logged->rank(te);
  EXPECT_NEAR(re[0], (-z + 1) / 2, 1e-12);
  EXPECT_NEAR(re[2], (z - 1) / 2, 1e-12);
  // Negative values: -log(-x). -e^1, -e^2, -e^3 become -1, -2, -3 (reversed order).
  auto tn =
      make_table({"p", "q"}, {{-std::exp(1.0), 4}, {-std::exp(2.0), kNaN}, {-std::exp(3.0), 8}});
  const auto rn = logged->rank(tn);
  EXPECT_NEAR(rn[0], (z + 1) / 2, 1e-12);
  EXPECT_NEAR(rn[2], (-z - 1) / 2, 1e-12);
  EXPECT_THROW(make_vote("zscore", {{"proxies", Strings{"p"}}, {"log", Strings{"x"}}}),
               nas::UsageError);
}

// ---------------------------------------------------------------- fusion

struct Synthetic {
  nas::ScoreTable table;
  std::vector<double> truth;
};

// y = 3 + 2 x1 - 0.5 log(x2) + noise(1e-6); rows "r<i>"; every 10th target unknown (NaN).
Synthetic synthetic(std::size_t n) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal;
  Synthetic s{nas::ScoreTable({"x1", "x2"}), {}};
  for (std::size_t i = 0; i < n; ++i) {
    const double x1 = 10 + 3 * normal(rng);
    const double x2 = std::exp(2 * normal(rng));  // heavy-tailed, log-normal
    const nas::Arch a("test", "r" + std::to_string(i));
    s.table.set(a, "x1", x1);
    s.table.set(a, "x2", x2);
    s.truth.push_back(i % 10 == 9 ? kNaN : 3 + 2 * x1 - 0.5 * std::log(x2) + 1e-6 * normal(rng));
  }
  return s;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

TEST(FusionVote, RecoversKnownWeightsAndHoldsOutTheRest) {
  const Synthetic s = synthetic(400);
  auto v = make_vote(
      "fusion",
      {{"proxies", Strings{"x1", "x2"}}, {"log", Strings{"x2"}}, {"split_seed", std::int64_t{5}}});
  EXPECT_TRUE(v->needs_fit());
  EXPECT_THROW(v->rank(s.table), nas::Error);  // not fitted yet
  v->fit(s.table, s.truth);
  nas::test::TempDir dir;
  v->save(dir.path());
  const nlohmann::json j = read_json(dir.file("fusion_weights.json"));
  EXPECT_EQ(j["inputs"].get<Strings>(), (Strings{"x1", "x2"}));
  EXPECT_EQ(j["transforms"].get<Strings>(), (Strings{"identity", "signed_log"}));
  // 360 rows have a target; round(0.5 * 360) = 180 train.
  EXPECT_EQ(j["training_size"].get<std::size_t>(), 180u);
  EXPECT_EQ(j["split_seed"].get<std::int64_t>(), 5);
  // Weights act on standardised inputs: w_k / std_k is the raw coefficient, and
  // bias - Σ w_k mean_k / std_k the intercept.
  const auto w = j["weights"].get<std::vector<double>>();
  const auto m = j["means"].get<std::vector<double>>();
  const auto sd = j["stds"].get<std::vector<double>>();
  EXPECT_NEAR(w[0] / sd[0], 2.0, 1e-5);
  EXPECT_NEAR(w[1] / sd[1], -0.5, 1e-5);
  EXPECT_NEAR(j["bias"].get<double>() - w[0] * m[0] / sd[0] - w[1] * m[1] / sd[1], 3.0, 1e-4);

  // Held-out rows: the 220 not trained on (180 with a target + the 40 without).
  const std::vector<bool> held = v->held_out(s.table);
  std::size_t held_count = 0;
  std::set<std::string> trained;
  for (const auto& a : j["training_archs"]) trained.insert(a.get<std::string>());
  for (std::size_t r = 0; r < held.size(); ++r) {
    held_count += held[r] ? 1 : 0;
    EXPECT_EQ(held[r], trained.count(s.table.archs()[r].str()) == 0);
    if (!std::isfinite(s.truth[r])) {
      EXPECT_TRUE(held[r]);
    }
  }
  EXPECT_EQ(held_count, 220u);
  // Predictions on held-out rows match the generating formula.
  const auto pred = v->rank(s.table);
  for (std::size_t r = 0; r < held.size(); ++r) {
    if (held[r] && std::isfinite(s.truth[r])) {
      EXPECT_NEAR(pred[r], s.truth[r], 1e-4);
    }
  }

  // The same seed splits the same way; another seed differently.
  auto again = make_vote(
      "fusion",
      {{"proxies", Strings{"x1", "x2"}}, {"log", Strings{"x2"}}, {"split_seed", std::int64_t{5}}});
  again->fit(s.table, s.truth);
  EXPECT_EQ(again->held_out(s.table), held);
  auto other = make_vote(
      "fusion",
      {{"proxies", Strings{"x1", "x2"}}, {"log", Strings{"x2"}}, {"split_seed", std::int64_t{6}}});
  other->fit(s.table, s.truth);
  EXPECT_NE(other->held_out(s.table), held);

  // Loading the saved weights gives the same predictions without fitting.
  auto loaded = make_vote("fusion", {{"proxies", Strings{"x2", "x1"}},
                                     {"log", Strings{"x2"}},
                                     {"weights_file", dir.file("fusion_weights.json")}});
  EXPECT_FALSE(loaded->needs_fit());
  const auto pred_loaded = loaded->rank(s.table);
  for (std::size_t r = 0; r < pred.size(); ++r) EXPECT_NEAR(pred_loaded[r], pred[r], 1e-9);
  EXPECT_EQ(loaded->held_out(s.table), held);
  // compare() follows the prediction.
  EXPECT_EQ(v->compare(s.table, 0, 1), pred[0] > pred[1] ? 1 : -1);
}

TEST(FusionVote, Errors) {
  const Synthetic s = synthetic(400);
  // Too few rows: 6 rows with targets, half trains: 3 < 2 inputs + 2.
  {
    const Synthetic small = synthetic(6);
    auto v = make_vote("fusion", {{"proxies", Strings{"x1", "x2"}}, {"log", Strings{}}});
    try {
      v->fit(small.table, small.truth);
      FAIL() << "no error for too few rows";
    } catch (const nas::Error& e) {
      EXPECT_NE(std::string(e.what()).find("at least 4"), std::string::npos) << e.what();
    }
  }
  // A constant column is named.
  {
    nas::ScoreTable t({"x1", "flat"});
    for (std::size_t r = 0; r < s.table.rows(); ++r) {
      t.set(s.table.archs()[r], "x1", s.table.get(r, 0));
      t.set(s.table.archs()[r], "flat", 7.0);
    }
    auto v = make_vote("fusion", {{"proxies", Strings{"x1", "flat"}}, {"log", Strings{}}});
    try {
      v->fit(t, s.truth);
      FAIL() << "no error for a constant column";
    } catch (const nas::Error& e) {
      EXPECT_NE(std::string(e.what()).find("'flat'"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("constant"), std::string::npos) << e.what();
    }
  }
  // No finite targets.
  {
    auto v = make_vote("fusion", {{"proxies", Strings{"x1", "x2"}}, {"log", Strings{}}});
    EXPECT_THROW(v->fit(s.table, std::vector<double>(s.table.rows(), kNaN)), nas::Error);
  }
  // A weights file fitted on other inputs, or with other transforms, or missing.
  nas::test::TempDir dir;
  auto v = make_vote("fusion", {{"proxies", Strings{"x1", "x2"}}, {"log", Strings{"x2"}}});
  v->fit(s.table, s.truth);
  v->save(dir.path());
  const std::string file = dir.file("fusion_weights.json");
  try {
    make_vote("fusion",
              {{"proxies", Strings{"x1", "x3"}}, {"log", Strings{}}, {"weights_file", file}});
    FAIL() << "no error for mismatched inputs";
  } catch (const nas::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("fitted on inputs [x1, x2]"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(
      make_vote("fusion",
                {{"proxies", Strings{"x1", "x2"}}, {"log", Strings{}}, {"weights_file", file}}),
      nas::UsageError);
  EXPECT_THROW(make_vote("fusion", {{"proxies", Strings{"x1", "x2"}},
                                    {"log", Strings{}},
                                    {"weights_file", dir.file("absent.json")}}),
               nas::UsageError);
  dir.write("broken.json", "{\"inputs\": [\"x1\"]");
  EXPECT_THROW(make_vote("fusion", {{"proxies", Strings{"x1"}},
                                    {"log", Strings{}},
                                    {"weights_file", dir.file("broken.json")}}),
               nas::UsageError);
  // Parameter errors.
  EXPECT_THROW(make_vote("fusion", {{"train_fraction", 0.0}}), nas::UsageError);
  EXPECT_THROW(make_vote("fusion", {{"log", Strings{"not_an_input"}}}), nas::UsageError);
}

}  // namespace
