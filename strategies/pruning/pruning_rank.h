// TE-NAS's ranking of one pruning round, in plain doubles (no torch): how the changes that
// removing each candidate op causes become ranks, and which candidates a round prunes
// (VITA-Group/TENAS prune_tenas.py, prune_func_rank).
//
// Contract:
// * relative_change(orig, without) is the reference's change of a proxy when an op is removed,
//   (orig - without) / orig, divided by |orig| instead so that its sign keeps meaning "the
//   score fell" for a proxy whose scores are negative (the same number for TE-NAS's positive
//   condition numbers and region counts); where orig is 0 (the reference would divide by 0)
//   it is the plain difference orig - without.
// * The reference rounds twice, and its numbers are of two kinds. The change of the region
//   count is a Python float, which round() rounds by its exact decimal value: python_round(x,
//   digits), an exact tie going to the even digit (0.125 -> 0.12), and 0.0025 -> 0.003 because
//   the double nearest 0.0025 lies above it. The change of the condition number is a numpy
//   float64 (np.nan_to_num made it one), and so is every sort key (np.mean of the repeats):
//   round() on those is numpy's, numpy_round(x, digits) = rint(x * 10^digits) / 10^digits
//   with ties to even after the multiplication, so 0.0025 -> 0.002 (2.5 exactly) and
//   2.675 -> 2.68.
// * round_significant(x, precision) is the reference's round_to(x, precision) on a numpy
//   float: the magnitude plus 1e-8 scaled into [0.1, 1) by a power of ten, numpy_round() to
//   `precision` decimals there and scaled back, with the reference's float operations (the
//   power from log(x) / log(10), as Python's math.log(x, 10) computes it). So 1.234 and 1.231
//   both become 1.23 at precision 3, while any value with 3 decimals below 1 in magnitude
//   keeps its value.
// * rank_changes(values, precision, descending) ranks one proxy's values over the round's
//   candidates (listed in enumeration order): it sorts them stably by round_significant(),
//   descending or ascending, then walks the sorted list: the first gets rank 0, each next one
//   the previous rank when its value equals the previous value exactly and the previous rank
//   + 1 otherwise. With values already rounded to `precision` decimals (as the reference
//   rounds every change) and below 1 in magnitude this is a dense ranking; where
//   round_significant() merges different values (|value| >= 1), those keep their enumeration
//   order and still get distinct ranks, as in the reference.
// * choose_pruned(slot_of, rankings, quota) sums each candidate's ranks over the proxies,
//   lists the candidates in the first proxy's sorted order, sorts that list stably by the sum
//   (ascending), and walks it, taking a candidate while its slot has taken fewer than
//   quota[slot]. It returns the taken candidates in that order. The lowest rank sum is the
//   least important op: rank 0 goes to the op whose removal moves the proxy most in its
//   better direction.
// tests/test_pruning.cpp checks this by hand and against a Python re-statement of the
// reference (tests/oracle/pruning_rank_oracle.py).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace nas::pruning {

inline double relative_change(double orig, double without) {
  return orig != 0.0 ? (orig - without) / std::abs(orig) : orig - without;
}

// Python's round(x, digits) on a float, digits >= 0. printf's %.*f rounds the exact binary
// value to nearest, ties to even (glibc), and strtod reads the decimal back exactly as Python
// does.
inline double python_round(double x, int digits) {
  if (!std::isfinite(x) || digits < 0) return x;
  const int n = std::snprintf(nullptr, 0, "%.*f", digits, x);
  std::string text(static_cast<std::size_t>(n) + 1, '\0');
  std::snprintf(text.data(), text.size(), "%.*f", digits, x);
  return std::strtod(text.c_str(), nullptr);
}

// numpy's round(x, digits) on a float64, digits >= 0: multiply by the exact power of ten,
// round to the nearest integer (ties to even, the default rounding mode), divide.
inline double numpy_round(double x, int digits) {
  if (!std::isfinite(x) || digits < 0) return x;
  double scale = 1.0;
  for (int i = 0; i < digits; ++i) scale *= 10.0;
  return std::nearbyint(x * scale) / scale;
}

// 10^k as Python's int ** int gives it before a float operation: exact for k >= 0 (up to 22,
// beyond what a double's exponent range needs here), pow() for k < 0 (Python turns a negative
// integer power into float pow).
inline double python_pow10(int k) {
  if (k < 0) return std::pow(10.0, k);
  double p = 1.0;
  for (int i = 0; i < k; ++i) p *= 10.0;
  return p;
}

// The reference's round_to() on a numpy float: rounding to significant figures.
inline double round_significant(double x, int precision) {
  if (x == 0.0 || !std::isfinite(x)) return x;
  const double sign = x / std::abs(x);
  const double magnitude = std::abs(x) + 1e-8;
  const int power = static_cast<int>(std::floor(std::log(magnitude) / std::log(10.0))) + 1;
  return sign * numpy_round(magnitude * python_pow10(-power), precision) * python_pow10(power);
}

// One proxy's ranking of the round's candidates.
struct Ranking {
  std::vector<std::size_t> order;  // candidate indices, in sorted order
  std::vector<int> rank;           // per candidate (enumeration order)
};

inline Ranking rank_changes(const std::vector<double>& values, int precision, bool descending) {
  Ranking r;
  std::vector<double> key(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    key[i] = round_significant(values[i], precision);
    r.order.push_back(i);
  }
  std::stable_sort(r.order.begin(), r.order.end(), [&](std::size_t a, std::size_t b) {
    return descending ? key[a] > key[b] : key[a] < key[b];
  });
  r.rank.assign(values.size(), 0);
  for (std::size_t k = 1; k < r.order.size(); ++k) {
    const std::size_t now = r.order[k], before = r.order[k - 1];
    r.rank[now] = values[now] == values[before] ? r.rank[before] : r.rank[before] + 1;
  }
  return r;
}

inline std::vector<std::size_t> choose_pruned(const std::vector<std::size_t>& slot_of,
                                              const std::vector<Ranking>& rankings,
                                              const std::vector<int>& quota) {
  if (rankings.empty()) throw std::invalid_argument("choose_pruned: no ranking");
  for (const Ranking& r : rankings) {
    if (r.rank.size() != slot_of.size() || r.order.size() != slot_of.size()) {
      throw std::invalid_argument("choose_pruned: a ranking does not cover every candidate");
    }
  }
  std::vector<int> sum(slot_of.size(), 0);
  for (const Ranking& r : rankings) {
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += r.rank[i];
  }
  std::vector<std::size_t> listed = rankings.front().order;
  std::stable_sort(listed.begin(), listed.end(),
                   [&](std::size_t a, std::size_t b) { return sum[a] < sum[b]; });
  std::vector<int> taken(quota.size(), 0);
  std::vector<std::size_t> out;
  for (std::size_t i : listed) {
    const std::size_t slot = slot_of[i];
    if (slot >= quota.size()) throw std::invalid_argument("choose_pruned: slot without a quota");
    if (taken[slot] < quota[slot]) {
      ++taken[slot];
      out.push_back(i);
    }
  }
  return out;
}

}  // namespace nas::pruning
