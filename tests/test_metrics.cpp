// Metrics against values worked out by hand (the arithmetic is in the comments) and, for
// Kendall's O(n log n) tau-b, against a naive O(n^2) pair count written here.
// scipy is not installed on the build machine, so no scipy reference numbers are used.
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "nas/error.h"
#include "nas/metrics.h"

namespace {

using Vec = std::vector<double>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kTol = 1e-12;

// Tau-b straight from its definition: visit every pair once.
double naive_tau_b(const Vec& x, const Vec& y) {
  Vec fx, fy;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isfinite(x[i]) && std::isfinite(y[i])) {
      fx.push_back(x[i]);
      fy.push_back(y[i]);
    }
  }
  std::int64_t concordant = 0, discordant = 0, tie_x_only = 0, tie_y_only = 0;
  for (std::size_t i = 0; i < fx.size(); ++i) {
    for (std::size_t j = i + 1; j < fx.size(); ++j) {
      const double dx = fx[j] - fx[i];
      const double dy = fy[j] - fy[i];
      if (dx == 0 && dy == 0) continue;  // joint tie: in neither denominator term
      if (dx == 0) {
        ++tie_x_only;
      } else if (dy == 0) {
        ++tie_y_only;
      } else if ((dx > 0) == (dy > 0)) {
        ++concordant;
      } else {
        ++discordant;
      }
    }
  }
  const double untied_x = static_cast<double>(concordant + discordant + tie_y_only);
  const double untied_y = static_cast<double>(concordant + discordant + tie_x_only);
  if (untied_x == 0 || untied_y == 0) return kNaN;
  return static_cast<double>(concordant - discordant) / std::sqrt(untied_x * untied_y);
}

TEST(Metrics, CountFinitePairs) {
  EXPECT_EQ(nas::count_finite_pairs({1, kNaN, 2, 3, kInf}, {1, 2, kNaN, 3, 4}), 2u);
  EXPECT_EQ(nas::count_finite_pairs({}, {}), 0u);
  EXPECT_EQ(nas::count_finite_pairs({-kInf}, {0}), 0u);
}

TEST(Metrics, AverageRanks) {
  // Sorted: 1 1 3 4 5 at positions 1..5; the two 1s share (1 + 2) / 2 = 1.5.
  EXPECT_EQ(nas::average_ranks({3, 1, 4, 1, 5}), (Vec{3, 1.5, 4, 1.5, 5}));
  // Three-way tie at positions 2, 3, 4 -> 3.
  EXPECT_EQ(nas::average_ranks({0, 7, 7, 7, 9}), (Vec{1, 3, 3, 3, 5}));
  // NaN gets NaN; the rest are ranked among themselves.
  const Vec r = nas::average_ranks({2, kNaN, 1});
  EXPECT_EQ(r[0], 2);
  EXPECT_TRUE(std::isnan(r[1]));
  EXPECT_EQ(r[2], 1);
  EXPECT_TRUE(nas::average_ranks({}).empty());
}

TEST(Metrics, PerfectAndInverseOrder) {
  const Vec x{1, 2, 3, 4, 5};
  const Vec up{2, 4, 6, 8, 10};  // y = 2x: exact line
  const Vec down{5, 4, 3, 2, 1};
  EXPECT_NEAR(nas::pearson(x, up), 1.0, kTol);
  EXPECT_NEAR(nas::spearman(x, up), 1.0, kTol);
  EXPECT_NEAR(nas::kendall_tau_b(x, up), 1.0, kTol);
  EXPECT_NEAR(nas::rmse_after_linear_fit(x, up), 0.0, kTol);
  EXPECT_NEAR(nas::pearson(x, down), -1.0, kTol);
  EXPECT_NEAR(nas::spearman(x, down), -1.0, kTol);
  EXPECT_NEAR(nas::kendall_tau_b(x, down), -1.0, kTol);
  // Monotone but not linear: rank statistics stay at 1, Pearson does not.
  const Vec cube{1, 8, 27, 64, 125};
  EXPECT_NEAR(nas::spearman(x, cube), 1.0, kTol);
  EXPECT_NEAR(nas::kendall_tau_b(x, cube), 1.0, kTol);
  EXPECT_LT(nas::pearson(x, cube), 1.0 - 1e-3);
}

TEST(Metrics, SmallCaseWithoutTies) {
  const Vec x{1, 2, 3, 4};
  const Vec y{1, 3, 2, 4};
  // Means 2.5 and 2.5; dx = (-1.5, -.5, .5, 1.5), dy = (-1.5, .5, -.5, 1.5).
  // Sxy = 2.25 - .25 - .25 + 2.25 = 4; Sxx = Syy = 2.25 + .25 + .25 + 2.25 = 5; r = 4/5.
  EXPECT_NEAR(nas::pearson(x, y), 0.8, kTol);
  // Values are their own ranks, so Spearman = Pearson = 0.8.
  EXPECT_NEAR(nas::spearman(x, y), 0.8, kTol);
  // 6 pairs; only (x=2, x=3) is discordant (y 3 -> 2): tau = (5 - 1) / 6.
  EXPECT_NEAR(nas::kendall_tau_b(x, y), 4.0 / 6.0, kTol);
  // Fit: b = Sxy/Sxx = 0.8, a = 2.5 - 0.8 * 2.5 = 0.5; predictions 1.3 2.1 2.9 3.7;
  // residuals -.3 .9 -.9 .3; SSE = .09 + .81 + .81 + .09 = 1.8; RMSE = sqrt(1.8 / 4).
  EXPECT_NEAR(nas::rmse_after_linear_fit(x, y), std::sqrt(0.45), kTol);
  // Symmetric statistics.
  EXPECT_NEAR(nas::kendall_tau_b(y, x), 4.0 / 6.0, kTol);
  EXPECT_NEAR(nas::spearman(y, x), 0.8, kTol);
}

TEST(Metrics, TiesInBothVariables) {
  const Vec x{1, 2, 2, 3};
  const Vec y{1, 2, 3, 3};
  // Pearson: means 2 and 2.25; dx = (-1, 0, 0, 1), dy = (-1.25, -.25, .75, .75);
  // Sxy = 1.25 + .75 = 2; Sxx = 2; Syy = 1.5625 + .0625 + .5625 + .5625 = 2.75;
  // r = 2 / sqrt(2 * 2.75) = 2 / sqrt(5.5).
  EXPECT_NEAR(nas::pearson(x, y), 2.0 / std::sqrt(5.5), kTol);
  // Ranks x: 1 2.5 2.5 4, y: 1 2 3.5 3.5 (both mean 2.5);
  // dx = (-1.5, 0, 0, 1.5), dy = (-1.5, -.5, 1, 1); Sxy = 2.25 + 1.5 = 3.75;
  // Sxx = 4.5; Syy = 2.25 + .25 + 1 + 1 = 4.5; rho = 3.75 / 4.5.
  EXPECT_NEAR(nas::spearman(x, y), 3.75 / 4.5, kTol);
  // Pairs: (0,1) C, (0,2) C, (0,3) C, (1,2) tie in x, (1,3) C, (2,3) tie in y.
  // n0 = 6, n1 = 1, n2 = 1: tau_b = (4 - 0) / sqrt(5 * 5) = 0.8.
  EXPECT_NEAR(nas::kendall_tau_b(x, y), 0.8, kTol);
}

TEST(Metrics, KendallWithJointTies) {
  // Points (1,1) (1,1) (2,2) (2,1) (3,3):
  // (0,1) joint tie; (0,3) (1,3) tie in y; (2,3) tie in x; the other 6 pairs concordant.
  // n0 = 10, n1 = 2, n2 = 3 (three 1s in y), n3 = 1: tau_b = 6 / sqrt(8 * 7).
  EXPECT_NEAR(nas::kendall_tau_b({1, 1, 2, 2, 3}, {1, 1, 2, 1, 3}), 6.0 / std::sqrt(56.0), kTol);
  // Points (1,2) (1,1) (2,1) (3,3) (3,2):
  // (0,1) (3,4) tie in x; (0,4) (1,2) tie in y; (0,2) discordant; 5 concordant.
  // tau_b = (5 - 1) / sqrt((10 - 2) * (10 - 2)) = 0.5.
  const Vec x{1, 1, 2, 3, 3};
  const Vec y{2, 1, 1, 3, 2};
  EXPECT_NEAR(nas::kendall_tau_b(x, y), 0.5, kTol);
  // Spearman of the same: ranks x 1.5 1.5 3 4.5 4.5, y 3.5 1.5 1.5 5 3.5 (means 3);
  // dx = (-1.5, -1.5, 0, 1.5, 1.5), dy = (.5, -1.5, -1.5, 2, .5);
  // Sxy = -.75 + 2.25 + 0 + 3 + .75 = 5.25; Sxx = 9; Syy = .25 + 2.25 + 2.25 + 4 + .25 = 9.
  EXPECT_NEAR(nas::spearman(x, y), 5.25 / 9.0, kTol);
}

TEST(Metrics, NonFinitePairsAreDropped) {
  // Usable pairs: (1,1) (2,3) (3,2) (4,4) — the SmallCaseWithoutTies data, shuffled
  // among NaN and infinite entries on either side.
  const Vec x{1, kNaN, 2, 3, 7, 4, kInf};
  const Vec y{1, 5, 3, 2, kNaN, 4, 0};
  EXPECT_EQ(nas::count_finite_pairs(x, y), 4u);
  EXPECT_NEAR(nas::pearson(x, y), 0.8, kTol);
  EXPECT_NEAR(nas::spearman(x, y), 0.8, kTol);
  EXPECT_NEAR(nas::kendall_tau_b(x, y), 4.0 / 6.0, kTol);
  EXPECT_NEAR(nas::rmse_after_linear_fit(x, y), std::sqrt(0.45), kTol);
  // Plain RMSE over the usable pairs: differences 0 -1 1 0 -> sqrt(2 / 4).
  EXPECT_NEAR(nas::rmse(x, y), std::sqrt(0.5), kTol);
}

TEST(Metrics, UndefinedCasesGiveNaN) {
  const Vec constant{1, 1, 1};
  const Vec rising{1, 2, 3};
  for (const auto& [a, b] : {std::pair{constant, rising}, std::pair{rising, constant}}) {
    EXPECT_TRUE(std::isnan(nas::pearson(a, b)));
    EXPECT_TRUE(std::isnan(nas::spearman(a, b)));
    EXPECT_TRUE(std::isnan(nas::kendall_tau_b(a, b)));
  }
  // A constant x leaves the line undefined; a constant y is fitted exactly (slope 0).
  EXPECT_TRUE(std::isnan(nas::rmse_after_linear_fit(constant, rising)));
  EXPECT_NEAR(nas::rmse_after_linear_fit(rising, constant), 0.0, kTol);
  // Constant once the non-finite pair is dropped.
  EXPECT_TRUE(std::isnan(nas::pearson({1, 2, 1}, {5, kNaN, 6})));
  // Fewer than two usable pairs.
  for (const auto& [a, b] : {std::pair{Vec{}, Vec{}}, std::pair{Vec{1}, Vec{2}},
                             std::pair{Vec{1, kNaN, 3}, Vec{kInf, 2, 4}}}) {
    EXPECT_TRUE(std::isnan(nas::pearson(a, b)));
    EXPECT_TRUE(std::isnan(nas::spearman(a, b)));
    EXPECT_TRUE(std::isnan(nas::kendall_tau_b(a, b)));
    EXPECT_TRUE(std::isnan(nas::rmse_after_linear_fit(a, b)));
    EXPECT_TRUE(std::isnan(nas::rmse(a, b)));
    EXPECT_TRUE(std::isnan(nas::top_k_precision(a, b, 0.5)));
    EXPECT_TRUE(std::isnan(nas::top_k_mean_truth(a, b, 0.5)));
  }
  // Plain RMSE needs no spread: constant inputs are fine. Differences 1 1 1 -> 1.
  EXPECT_NEAR(nas::rmse({2, 2, 2}, {1, 1, 1}), 1.0, kTol);
}

TEST(Metrics, MismatchedLengthsThrow) {
  EXPECT_THROW(nas::pearson({1, 2}, {1}), nas::Error);
  EXPECT_THROW(nas::kendall_tau_b({1, 2}, {1, 2, 3}), nas::Error);
  EXPECT_THROW(nas::count_finite_pairs({1}, {}), nas::Error);
}

TEST(Metrics, PlainRmse) {
  // Differences -1 0 -2; squares 1 0 4; mean 5/3.
  EXPECT_NEAR(nas::rmse({1, 2, 3}, {2, 2, 5}), std::sqrt(5.0 / 3.0), kTol);
}

TEST(Metrics, RmseAfterFitIgnoresScaleAndOffsetOfX) {
  // y = 3 + 2x + r with x = 0 1 1 0 and r = 1 -1 1 -1. Since sum r = 0 and
  // sum x*r = -1 + 1 = 0, r is orthogonal to (1, x): the least-squares line is exactly
  // 3 + 2x and the RMSE is sqrt(4 / 4) = 1. An affine change of x does not change it.
  const Vec x{0, 1, 1, 0};
  const Vec y{4, 4, 6, 2};
  EXPECT_NEAR(nas::rmse_after_linear_fit(x, y), 1.0, kTol);
  const Vec x_scaled{-7, 93, 93, -7};  // 100 x - 7
  EXPECT_NEAR(nas::rmse_after_linear_fit(x_scaled, y), 1.0, 1e-9);
}

TEST(Metrics, TopK) {
  const Vec score{0.9, 0.1, 0.8, 0.3, 0.7, 0.2, 0.6, 0.5, 0.4, 0.0};
  const Vec truth{10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  // fraction 0.3 of 10 -> k = 3. By score: #0 (.9), #2 (.8), #4 (.7); by truth: #0 #1 #2.
  // Overlap {#0, #2}: 2/3. Mean truth of the score's top 3: (10 + 8 + 6) / 3 = 8.
  EXPECT_NEAR(nas::top_k_precision(score, truth, 0.3), 2.0 / 3.0, kTol);
  EXPECT_NEAR(nas::top_k_mean_truth(score, truth, 0.3), 8.0, kTol);
  // 0.25 * 10 = 2.5 rounds up to k = 3.
  EXPECT_NEAR(nas::top_k_precision(score, truth, 0.25), 2.0 / 3.0, kTol);
  // k = 1 from 0.1 and from ceil(0.01 * 10) = 1: #0 is best in both.
  EXPECT_NEAR(nas::top_k_precision(score, truth, 0.1), 1.0, kTol);
  EXPECT_NEAR(nas::top_k_precision(score, truth, 0.01), 1.0, kTol);
  EXPECT_NEAR(nas::top_k_mean_truth(score, truth, 0.01), 10.0, kTol);
  // k = n: everything overlaps; mean truth = 55 / 10.
  EXPECT_NEAR(nas::top_k_precision(score, truth, 1.0), 1.0, kTol);
  EXPECT_NEAR(nas::top_k_mean_truth(score, truth, 1.0), 5.5, kTol);
  // Fractions outside (0, 1] are unusable.
  EXPECT_TRUE(std::isnan(nas::top_k_precision(score, truth, 0.0)));
  EXPECT_TRUE(std::isnan(nas::top_k_precision(score, truth, 1.5)));
  EXPECT_TRUE(std::isnan(nas::top_k_mean_truth(score, truth, kNaN)));
  // Constant score cannot pick a top k.
  EXPECT_TRUE(std::isnan(nas::top_k_precision(Vec(10, 1.0), truth, 0.3)));
  EXPECT_TRUE(std::isnan(nas::top_k_mean_truth(Vec(10, 1.0), truth, 0.3)));
}

TEST(Metrics, TopKCountsWithoutFloatingPointCreep) {
  // 0.07 * 100 is 7.000000000000001 in doubles; k must be 7, not 8.
  Vec score(100), truth(100);
  for (int i = 0; i < 100; ++i) {
    score[i] = 100 - i;  // best first: #0 #1 #2 ...
    truth[i] = 100 - i;
  }
  truth[7] = 1000;  // #7 is the truth's best; in the score's top 8 but not its top 7.
  // k = 7: score top #0..#6, truth top #7 #0..#5: overlap 6/7 (k = 8 would give 8/8).
  EXPECT_NEAR(nas::top_k_precision(score, truth, 0.07), 6.0 / 7.0, kTol);
}

TEST(Metrics, TopKBreaksTiesByIndex) {
  // k = ceil(0.4 * 5) = 2. #1 #2 #3 tie on score 2; the earlier indices #1 #2 win.
  // Truth top 2: #0 #1. Overlap {#1}: 1/2. Mean truth of #1 #2: (4 + 3) / 2 = 3.5.
  // (Breaking ties towards later indices would give #3 #2: overlap 0, mean 2.5.)
  const Vec score{1, 2, 2, 2, 0};
  const Vec truth{5, 4, 3, 2, 1};
  EXPECT_NEAR(nas::top_k_precision(score, truth, 0.4), 0.5, kTol);
  EXPECT_NEAR(nas::top_k_mean_truth(score, truth, 0.4), 3.5, kTol);
  // Ties in truth are broken the same way: truth top 2 of (5, 5, 5, 1, 0) is #0 #1.
  // Score top 2 is #2 #1: overlap {#1}: 1/2.
  EXPECT_NEAR(nas::top_k_precision({0, 3, 4, 1, 2}, {5, 5, 5, 1, 0}, 0.4), 0.5, kTol);
  // The tie-break index counts usable pairs only: dropping #0 shifts nothing else.
  EXPECT_NEAR(nas::top_k_mean_truth({kNaN, 1, 2, 2, 2, 0}, {9, 5, 4, 3, 2, 1}, 0.4), 3.5, kTol);
}

TEST(Metrics, KendallMatchesNaivePairCountOnRandomData) {
  std::mt19937_64 rng(20240601);
  for (int trial = 0; trial < 400; ++trial) {
    const int n = 2 + static_cast<int>(rng() % 120);
    // Few distinct values -> many ties in x, y and jointly; sometimes a constant side.
    const int levels_x = 1 + static_cast<int>(rng() % 6);
    const int levels_y = 1 + static_cast<int>(rng() % 6);
    Vec x(n), y(n);
    for (int i = 0; i < n; ++i) {
      x[i] = static_cast<double>(rng() % levels_x) * 0.5 - 1.0;
      y[i] = static_cast<double>(rng() % levels_y) * 3.0;
      if (rng() % 17 == 0) x[i] = kNaN;
      if (rng() % 19 == 0) y[i] = (rng() % 2) ? kInf : kNaN;
    }
    const double expected = naive_tau_b(x, y);
    const double actual = nas::kendall_tau_b(x, y);
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(actual)) << "trial " << trial;
    } else {
      EXPECT_NEAR(actual, expected, 1e-12) << "trial " << trial << " n " << n;
    }
  }
}

TEST(Metrics, KendallMatchesNaiveOnLargerInputs) {
  std::mt19937_64 rng(7);
  const int n = 3000;
  Vec x(n), y(n);
  std::normal_distribution<double> normal;
  for (int i = 0; i < n; ++i) {
    x[i] = std::round(normal(rng) * 20.0);                 // ties, not too many
    y[i] = std::round((x[i] + normal(rng) * 30.0) / 5.0);  // correlated, coarser
  }
  EXPECT_NEAR(nas::kendall_tau_b(x, y), naive_tau_b(x, y), 1e-12);
}

TEST(Metrics, SpearmanIsPearsonOfAverageRanks) {
  // An independent route to Spearman with ties: rank by hand-written counting.
  std::mt19937_64 rng(3);
  Vec x(200), y(200);
  for (int i = 0; i < 200; ++i) {
    x[i] = static_cast<double>(rng() % 7);
    y[i] = static_cast<double>(rng() % 5) + 0.1 * x[i];
  }
  auto count_ranks = [](const Vec& v) {
    Vec r(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
      double less = 0, equal = 0;
      for (double w : v) {
        less += w < v[i];
        equal += w == v[i];
      }
      r[i] = less + (equal + 1) / 2;  // mean of positions less+1 .. less+equal
    }
    return r;
  };
  EXPECT_EQ(nas::average_ranks(x), count_ranks(x));
  EXPECT_NEAR(nas::spearman(x, y), nas::pearson(count_ranks(x), count_ranks(y)), 1e-12);
}

}  // namespace
