// Rank and error metrics between proxy scores and ground truth.
//
// Contract: all functions take two equally long vectors and use only the pairs where both
// values are finite (NaN/inf pairs are dropped and can be counted with count_finite_pairs).
// Fewer than two usable pairs, or a constant input, gives NaN (the statistic is undefined),
// never an exception. Ties: spearman() uses average ranks (scipy.stats.spearmanr), kendall()
// is tau-b (scipy.stats.kendalltau default), computed in O(n log n).
#pragma once

#include <cstddef>
#include <vector>

namespace nas {

std::size_t count_finite_pairs(const std::vector<double>& x, const std::vector<double>& y);
// Average ranks (1-based), ties sharing the mean of their positions.
std::vector<double> average_ranks(const std::vector<double>& values);

double pearson(const std::vector<double>& x, const std::vector<double>& y);
double spearman(const std::vector<double>& x, const std::vector<double>& y);
double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y);
// Root mean squared error of y predicted from x by the least-squares line y ≈ a + b x.
double rmse_after_linear_fit(const std::vector<double>& x, const std::vector<double>& y);
// Plain RMSE between predictions and targets.
double rmse(const std::vector<double>& predicted, const std::vector<double>& target);
// |top-k by score ∩ top-k by truth| / k, with k = ceil(fraction * n) over usable pairs.
double top_k_precision(const std::vector<double>& score, const std::vector<double>& truth,
                       double fraction);
// Mean truth of the k best by score, k = ceil(fraction * n).
double top_k_mean_truth(const std::vector<double>& score, const std::vector<double>& truth,
                        double fraction);

}  // namespace nas
