// Rank and error metrics; see nas/metrics.h for the contract.
//
// Conventions beyond the header:
// * Mismatched vector lengths are a caller bug and throw nas::Error naming the function.
// * average_ranks() gives NaN inputs a NaN rank and ranks the rest among themselves.
// * "Constant input gives NaN" applies where the statistic divides by a spread: the three
//   correlations (either side constant), rmse_after_linear_fit (x constant; a constant y is
//   fitted exactly and gives 0), and the top-k functions (a constant score cannot pick a top
//   k; top_k_precision also needs a non-constant truth to have a top k of its own).
//   Plain rmse() has no spread in it and is defined for constant inputs.
// * Top-k: higher is better for both score and truth (negate a lower-is-better column first).
//   k = ceil(fraction * n) clamped to [1, n]; a fraction outside (0, 1] gives NaN. Equal values
//   are ordered by their position among the usable pairs (earlier first), so ties at the k-th
//   place are broken deterministically and the same way for score and truth.
#include "nas/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "nas/error.h"

namespace nas {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Pairs {
  std::vector<double> x;
  std::vector<double> y;
  std::size_t size() const { return x.size(); }
};

void check_lengths(const std::vector<double>& x, const std::vector<double>& y,
                   const char* function) {
  if (x.size() != y.size()) {
    throw Error(std::string(function) + ": the two vectors differ in length (" +
                std::to_string(x.size()) + " vs " + std::to_string(y.size()) + ")");
  }
}

Pairs finite_pairs(const std::vector<double>& x, const std::vector<double>& y,
                   const char* function) {
  check_lengths(x, y, function);
  Pairs p;
  p.x.reserve(x.size());
  p.y.reserve(y.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isfinite(x[i]) && std::isfinite(y[i])) {
      p.x.push_back(x[i]);
      p.y.push_back(y[i]);
    }
  }
  return p;
}

bool is_constant(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [&](double a) { return a == v.front(); });
}

double mean(const std::vector<double>& v) {
  double sum = 0.0;
  for (double a : v) sum += a;
  return sum / static_cast<double>(v.size());
}

// Pearson on already filtered data (n >= 2). Two-pass (centred) sums keep precision when the
// values share a large offset, which correlations of accuracies in percent often do.
double pearson_filtered(const std::vector<double>& x, const std::vector<double>& y) {
  if (is_constant(x) || is_constant(y)) return kNaN;
  const double mx = mean(x);
  const double my = mean(y);
  double sxx = 0.0, syy = 0.0, sxy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - mx;
    const double dy = y[i] - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (sxx <= 0.0 || syy <= 0.0) return kNaN;
  const double r = sxy / std::sqrt(sxx * syy);
  return std::clamp(r, -1.0, 1.0);  // rounding can step just past ±1
}

// Number of unordered pairs within runs of equal values of a sorted sequence: Σ t(t-1)/2.
template <class Equal>
std::int64_t tied_pairs(std::size_t n, Equal equal) {
  std::int64_t ties = 0;
  std::int64_t run = 1;
  for (std::size_t i = 1; i <= n; ++i) {
    if (i < n && equal(i - 1, i)) {
      ++run;
    } else {
      ties += run * (run - 1) / 2;
      run = 1;
    }
  }
  return ties;
}

// Stable bottom-up merge sort of v that returns the number of strict inversions
// (pairs i < j with v[i] > v[j]); equal values are not counted.
std::int64_t sort_counting_inversions(std::vector<double>& v) {
  const std::size_t n = v.size();
  std::vector<double> buffer(n);
  std::int64_t inversions = 0;
  for (std::size_t width = 1; width < n; width *= 2) {
    for (std::size_t lo = 0; lo < n; lo += 2 * width) {
      const std::size_t mid = std::min(lo + width, n);
      const std::size_t hi = std::min(lo + 2 * width, n);
      std::size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        if (v[j] < v[i]) {
          inversions += static_cast<std::int64_t>(mid - i);  // v[j] passes every left value left
          buffer[k++] = v[j++];
        } else {
          buffer[k++] = v[i++];
        }
      }
      while (i < mid) buffer[k++] = v[i++];
      while (j < hi) buffer[k++] = v[j++];
    }
    v.swap(buffer);
  }
  return inversions;
}

// Indices 0..n-1 ordered best first (descending value), ties by index.
std::vector<std::size_t> order_best_first(const std::vector<double>& v) {
  std::vector<std::size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::stable_sort(idx.begin(), idx.end(),
                   [&](std::size_t a, std::size_t b) { return v[a] > v[b]; });
  return idx;
}

// k = ceil(fraction * n) in [1, n]; 0 when the fraction is unusable.
std::size_t top_k_count(double fraction, std::size_t n) {
  if (!(fraction > 0.0 && fraction <= 1.0)) return 0;
  // The small slack keeps e.g. 0.1 * 30 = 3.0000000000000004 from rounding up to 4.
  const double raw = std::ceil(fraction * static_cast<double>(n) - 1e-9);
  const auto k = static_cast<std::size_t>(std::max(1.0, raw));
  return std::min(k, n);
}

}  // namespace

std::size_t count_finite_pairs(const std::vector<double>& x, const std::vector<double>& y) {
  check_lengths(x, y, "count_finite_pairs");
  std::size_t count = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isfinite(x[i]) && std::isfinite(y[i])) ++count;
  }
  return count;
}

std::vector<double> average_ranks(const std::vector<double>& values) {
  std::vector<std::size_t> idx;
  idx.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isnan(values[i])) idx.push_back(i);
  }
  std::sort(idx.begin(), idx.end(),
            [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size(), kNaN);
  for (std::size_t start = 0; start < idx.size();) {
    std::size_t end = start + 1;
    while (end < idx.size() && values[idx[end]] == values[idx[start]]) ++end;
    // Positions start+1 .. end (1-based) share their mean.
    const double rank = 0.5 * static_cast<double>(start + 1 + end);
    for (std::size_t i = start; i < end; ++i) ranks[idx[i]] = rank;
    start = end;
  }
  return ranks;
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const Pairs p = finite_pairs(x, y, "pearson");
  if (p.size() < 2) return kNaN;
  return pearson_filtered(p.x, p.y);
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  const Pairs p = finite_pairs(x, y, "spearman");
  if (p.size() < 2) return kNaN;
  return pearson_filtered(average_ranks(p.x), average_ranks(p.y));
}

// Knight's O(n log n) tau-b (Knight 1966, as in scipy.stats.kendalltau):
//   n0 = n(n-1)/2, n1 = pairs tied in x, n2 = pairs tied in y, n3 = pairs tied in both,
//   S = concordant - discordant = n0 - n1 - n2 + n3 - 2 * discordant,
//   tau_b = S / sqrt((n0 - n1)(n0 - n2)).
// After sorting by (x, y), the discordant pairs are exactly the strict inversions of y, which
// a merge sort counts; the same sort leaves y ordered for counting its ties.
double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y) {
  const Pairs p = finite_pairs(x, y, "kendall_tau_b");
  const std::size_t n = p.size();
  if (n < 2) return kNaN;

  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    return p.x[a] < p.x[b] || (p.x[a] == p.x[b] && p.y[a] < p.y[b]);
  });
  std::vector<double> xs(n), ys(n);
  for (std::size_t i = 0; i < n; ++i) {
    xs[i] = p.x[idx[i]];
    ys[i] = p.y[idx[i]];
  }

  const std::int64_t n1 =
      tied_pairs(n, [&](std::size_t a, std::size_t b) { return xs[a] == xs[b]; });
  const std::int64_t n3 =
      tied_pairs(n, [&](std::size_t a, std::size_t b) { return xs[a] == xs[b] && ys[a] == ys[b]; });
  const std::int64_t discordant = sort_counting_inversions(ys);
  const std::int64_t n2 =
      tied_pairs(n, [&](std::size_t a, std::size_t b) { return ys[a] == ys[b]; });

  const std::int64_t n0 = static_cast<std::int64_t>(n) * static_cast<std::int64_t>(n - 1) / 2;
  if (n1 == n0 || n2 == n0) return kNaN;  // one side constant
  const std::int64_t s = n0 - n1 - n2 + n3 - 2 * discordant;
  // The product can exceed 2^63 for n around 10^5, so it is formed in double.
  const double denominator =
      std::sqrt(static_cast<double>(n0 - n1)) * std::sqrt(static_cast<double>(n0 - n2));
  return std::clamp(static_cast<double>(s) / denominator, -1.0, 1.0);
}

double rmse_after_linear_fit(const std::vector<double>& x, const std::vector<double>& y) {
  const Pairs p = finite_pairs(x, y, "rmse_after_linear_fit");
  if (p.size() < 2 || is_constant(p.x)) return kNaN;
  const double mx = mean(p.x);
  const double my = mean(p.y);
  double sxx = 0.0, sxy = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    sxx += (p.x[i] - mx) * (p.x[i] - mx);
    sxy += (p.x[i] - mx) * (p.y[i] - my);
  }
  if (sxx <= 0.0) return kNaN;
  const double slope = sxy / sxx;
  const double intercept = my - slope * mx;
  double sse = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double residual = p.y[i] - (intercept + slope * p.x[i]);
    sse += residual * residual;
  }
  return std::sqrt(sse / static_cast<double>(p.size()));
}

double rmse(const std::vector<double>& predicted, const std::vector<double>& target) {
  const Pairs p = finite_pairs(predicted, target, "rmse");
  if (p.size() < 2) return kNaN;
  double sse = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double d = p.x[i] - p.y[i];
    sse += d * d;
  }
  return std::sqrt(sse / static_cast<double>(p.size()));
}

double top_k_precision(const std::vector<double>& score, const std::vector<double>& truth,
                       double fraction) {
  const Pairs p = finite_pairs(score, truth, "top_k_precision");
  if (p.size() < 2 || is_constant(p.x) || is_constant(p.y)) return kNaN;
  const std::size_t k = top_k_count(fraction, p.size());
  if (k == 0) return kNaN;
  const std::vector<std::size_t> by_score = order_best_first(p.x);
  const std::vector<std::size_t> by_truth = order_best_first(p.y);
  std::vector<bool> in_top_truth(p.size(), false);
  for (std::size_t i = 0; i < k; ++i) in_top_truth[by_truth[i]] = true;
  std::size_t hits = 0;
  for (std::size_t i = 0; i < k; ++i) hits += in_top_truth[by_score[i]] ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(k);
}

double top_k_mean_truth(const std::vector<double>& score, const std::vector<double>& truth,
                        double fraction) {
  const Pairs p = finite_pairs(score, truth, "top_k_mean_truth");
  if (p.size() < 2 || is_constant(p.x)) return kNaN;
  const std::size_t k = top_k_count(fraction, p.size());
  if (k == 0) return kNaN;
  const std::vector<std::size_t> by_score = order_best_first(p.x);
  double sum = 0.0;
  for (std::size_t i = 0; i < k; ++i) sum += p.y[by_score[i]];
  return sum / static_cast<double>(k);
}

}  // namespace nas
