// `fusion`: the Fusion Indicator (Tran, Ali & Bae, IEEE Access 9, 2021): a weighted sum of
// standardised indicator scores whose weights are fitted to accuracy by least squares.
//
// The paper body could not be read (and no code of the paper was found), so this is the
// best-supported reading, stated here in full:
// * Inputs (`proxies`): by default the four FI indicators jacov (Jacobian correlation),
//   sensitivity (output sensitivity), linear_regions (TE-NAS) and ntk_cond (TE-NAS NTK
//   condition number). No signs are needed: the fit learns them ("+"/"-" prefixes are accepted
//   and ignored).
// * Transform (`log`, default [ntk_cond, linear_regions]): the heavy-tailed ones go through the
//   signed log (log x for x > 0, -log(-x) for x < 0, -inf for 0) before standardising.
// * Split: the candidate rows are those with a finite target and finite (transformed) inputs.
//   They are ordered by architecture string, shuffled with Rng(derive_seed(split_seed,
//   "fusion-split")) (Fisher-Yates), and the first round(train_fraction × candidates) train; the
//   split therefore depends on the set of architectures and the seed, not on row order.
//   held_out() marks every other row (reports judge the vote on those only).
// * Standardisation: z_k = (t_k - mean_k) / std_k with mean and population std of each input on
//   the training rows (stored with the weights).
// * Fit: ordinary least squares with a bias, y ≈ b + Σ w_k z_k, optionally with an L2 penalty
//   `ridge` · Σ w_k² (the bias is not penalised). The (K+1)×(K+1) normal equations are formed
//   and solved in double with a Cholesky factorisation written here (K is a handful, so the
//   normal equations are well conditioned after standardisation; a singular system — collinear
//   inputs — is an error that suggests `ridge`).
// * rank(row) = the predicted target, NaN when an input is not finite; compare() orders by it
//   with NaN below everything.
// * save(run_dir) writes run_dir/fusion_weights.json: inputs, transforms, means, stds, weights,
//   bias, training size, split seed, train fraction, ridge and the training architectures.
//   `weights_file: PATH` loads such a file instead of fitting (needs_fit() is then false and
//   fit() keeps the loaded weights); its inputs and transforms must match `proxies` and `log`,
//   and held_out() then excludes the architectures the file was trained on.
// Errors (nas::Error): no finite targets, fewer training rows than inputs + 2, an input constant
// on the training split (named), collinear inputs, a missing or mismatched weights file.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "nas/error.h"
#include "nas/plugin.h"
#include "nas/seed.h"
#include "nas/vote.h"
#include "vote_inputs.h"

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kWeightsFileName = "fusion_weights.json";

std::string list(const std::vector<std::string>& v) { return "[" + nas::join(v) + "]"; }

// Solves A x = b for a symmetric positive definite A (row-major n×n) by Cholesky. Returns false
// when A is not numerically positive definite.
bool cholesky_solve(std::vector<double> A, std::vector<double> b, std::size_t n,
                    std::vector<double>* x) {
  double scale = 0.0;
  for (std::size_t i = 0; i < n; ++i) scale = std::max(scale, std::abs(A[i * n + i]));
  const double tiny = 1e-12 * std::max(scale, 1e-300);
  for (std::size_t j = 0; j < n; ++j) {
    double d = A[j * n + j];
    for (std::size_t k = 0; k < j; ++k) d -= A[j * n + k] * A[j * n + k];
    if (!(d > tiny)) return false;
    const double l = std::sqrt(d);
    A[j * n + j] = l;
    for (std::size_t i = j + 1; i < n; ++i) {
      double s = A[i * n + j];
      for (std::size_t k = 0; k < j; ++k) s -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = s / l;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {  // L y = b
    for (std::size_t k = 0; k < i; ++k) b[i] -= A[i * n + k] * b[k];
    b[i] /= A[i * n + i];
  }
  for (std::size_t i = n; i-- > 0;) {  // Lᵀ x = y
    for (std::size_t k = i + 1; k < n; ++k) b[i] -= A[k * n + i] * b[k];
    b[i] /= A[i * n + i];
  }
  *x = std::move(b);
  return true;
}

class FusionVote : public nas::Vote {
 public:
  explicit FusionVote(const nas::Params& p)
      : train_fraction_(p.get_double("train_fraction")),
        split_seed_(p.get_int("split_seed")),
        ridge_(p.get_double("ridge")),
        weights_file_(p.get_string("weights_file")) {
    names_ =
        nas_votes::names_of(nas_votes::parse_signed_inputs(p.get_string_list("proxies"), "fusion"));
    if (names_.empty())
      throw nas::UsageError("vote 'fusion' needs at least one proxy in `proxies`");
    const auto& logged = p.get_string_list("log");
    nas_votes::require_subset(logged, names_, "fusion", "log");
    for (const auto& n : names_)
      log_.push_back(std::find(logged.begin(), logged.end(), n) != logged.end());
    if (!weights_file_.empty()) load(weights_file_);
  }

  std::vector<std::string> inputs() const override { return names_; }
  bool needs_fit() const override { return weights_file_.empty(); }

  void fit(const nas::ScoreTable& table, const std::vector<double>& targets) override {
    if (!needs_fit()) return;  // weights loaded from `weights_file` stay as they are
    if (targets.size() != table.rows()) {
      throw nas::Error("vote 'fusion': fit() got " + std::to_string(targets.size()) +
                       " targets for " + std::to_string(table.rows()) + " rows");
    }
    const auto cols = nas_votes::columns_of(table, names_, "fusion");
    const std::size_t K = names_.size();

    std::size_t finite_targets = 0;
    std::vector<std::size_t> candidates;
    for (std::size_t r = 0; r < table.rows(); ++r) {
      if (!std::isfinite(targets[r])) continue;
      ++finite_targets;
      bool ok = true;
      for (std::size_t k = 0; k < K && ok; ++k)
        ok = std::isfinite(transformed(table, r, cols[k], k));
      if (ok) candidates.push_back(r);
    }
    if (finite_targets == 0) {
      throw nas::Error("vote 'fusion': no finite ground-truth target among the " +
                       std::to_string(table.rows()) +
                       " scored architectures; the fit needs accuracies (ground_truth)");
    }
    // Split: by architecture string, then a seeded Fisher-Yates shuffle.
    std::sort(candidates.begin(), candidates.end(), [&](std::size_t a, std::size_t b) {
      return table.archs()[a].str() < table.archs()[b].str();
    });
    nas::Rng rng(nas::derive_seed(static_cast<std::uint64_t>(split_seed_), "fusion-split"));
    for (std::size_t i = candidates.size(); i > 1; --i) {
      const auto j = static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(i)));
      std::swap(candidates[i - 1], candidates[j]);
    }
    const auto n_train = static_cast<std::size_t>(
        std::llround(train_fraction_ * static_cast<double>(candidates.size())));
    if (n_train < K + 2) {
      throw nas::Error("vote 'fusion': " + std::to_string(n_train) + " training rows (" +
                       std::to_string(candidates.size()) +
                       " rows with a finite target and finite inputs × train_fraction " +
                       format(train_fraction_) + "); fitting " + std::to_string(K) +
                       " weights and a bias needs at least " + std::to_string(K + 2));
    }
    std::vector<std::size_t> train(candidates.begin(),
                                   candidates.begin() + static_cast<std::ptrdiff_t>(n_train));

    // Standardise on the training rows.
    std::vector<double> means(K), stds(K);
    for (std::size_t k = 0; k < K; ++k) {
      double sum = 0.0;
      for (std::size_t r : train) sum += transformed(table, r, cols[k], k);
      means[k] = sum / static_cast<double>(n_train);
      double ss = 0.0;
      for (std::size_t r : train) {
        const double d = transformed(table, r, cols[k], k) - means[k];
        ss += d * d;
      }
      stds[k] = std::sqrt(ss / static_cast<double>(n_train));
      if (!(stds[k] > 0.0) ||
          stds[k] <= 1e-12 * std::max(1.0, std::abs(means[k]))) {  // constant up to rounding
        throw nas::Error("vote 'fusion': input '" + names_[k] + "'" +
                         (log_[k] ? " (log-transformed)" : "") + " is constant on the " +
                         std::to_string(n_train) +
                         " training rows; drop it from `proxies` or score more architectures");
      }
    }
    // Normal equations of [1, z_1 .. z_K] with the penalty on the weights only.
    const std::size_t P = K + 1;
    std::vector<double> A(P * P, 0.0), b(P, 0.0), x(P);
    for (std::size_t r : train) {
      x[0] = 1.0;
      for (std::size_t k = 0; k < K; ++k)
        x[k + 1] = (transformed(table, r, cols[k], k) - means[k]) / stds[k];
      for (std::size_t i = 0; i < P; ++i) {
        b[i] += x[i] * targets[r];
        for (std::size_t j = 0; j < P; ++j) A[i * P + j] += x[i] * x[j];
      }
    }
    for (std::size_t i = 1; i < P; ++i) A[i * P + i] += ridge_;
    std::vector<double> solution;
    if (!cholesky_solve(A, b, P, &solution)) {
      throw nas::Error("vote 'fusion': the inputs " + list(names_) +
                       " are collinear on the training split; drop one or set `ridge` > 0");
    }
    bias_ = solution[0];
    weights_.assign(solution.begin() + 1, solution.end());
    means_ = std::move(means);
    stds_ = std::move(stds);
    training_size_ = n_train;
    training_archs_.clear();
    for (std::size_t r : train) training_archs_.insert(table.archs()[r].str());
    fitted_ = true;
  }

  std::vector<bool> held_out(const nas::ScoreTable& table) const override {
    std::vector<bool> out(table.rows(), true);
    for (std::size_t r = 0; r < table.rows(); ++r)
      out[r] = training_archs_.count(table.archs()[r].str()) == 0;
    return out;
  }

  int compare(const nas::ScoreTable& table, std::size_t a, std::size_t b) const override {
    const auto cols = columns(table);
    const double x = predict(table, a, cols), y = predict(table, b, cols);
    const bool nx = std::isnan(x), ny = std::isnan(y);
    if (nx || ny) return nx && ny ? 0 : (nx ? -1 : 1);
    return x > y ? 1 : (x < y ? -1 : 0);
  }

  std::vector<double> rank(const nas::ScoreTable& table) const override {
    const auto cols = columns(table);
    std::vector<double> out(table.rows());
    for (std::size_t r = 0; r < table.rows(); ++r) out[r] = predict(table, r, cols);
    return out;
  }

  void save(const std::string& run_dir) const override {
    if (!fitted_) return;
    nlohmann::json j;
    j["vote"] = "fusion";
    j["format"] = 1;
    j["inputs"] = names_;
    std::vector<std::string> transforms;
    for (bool l : log_) transforms.push_back(l ? "signed_log" : "identity");
    j["transforms"] = transforms;
    j["means"] = means_;
    j["stds"] = stds_;
    j["weights"] = weights_;
    j["bias"] = bias_;
    j["training_size"] = training_size_;
    j["split_seed"] = split_seed_;
    j["train_fraction"] = train_fraction_;
    j["ridge"] = ridge_;
    j["training_archs"] = std::vector<std::string>(training_archs_.begin(), training_archs_.end());
    const std::string path = (std::filesystem::path(run_dir) / kWeightsFileName).string();
    const std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      if (!out) throw nas::Error(tmp + ": cannot open for writing");
      out << j.dump(2) << "\n";
      if (!out) throw nas::Error(tmp + ": write failed");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw nas::Error(path + ": cannot write (" + ec.message() + ")");
  }

 private:
  static std::string format(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
  }

  std::vector<std::size_t> columns(const nas::ScoreTable& table) const {
    if (!fitted_) {
      throw nas::Error(
          "vote 'fusion' has not been fitted: it needs ground truth (a `ground_truth` section, "
          "fitted before use) or saved weights (`weights_file`)");
    }
    return nas_votes::columns_of(table, names_, "fusion");
  }

  double transformed(const nas::ScoreTable& table, std::size_t row, std::size_t col,
                     std::size_t k) const {
    const double v = table.get(row, col);
    return log_[k] ? nas_votes::signed_log(v) : v;
  }

  double predict(const nas::ScoreTable& table, std::size_t row,
                 const std::vector<std::size_t>& cols) const {
    double y = bias_;
    for (std::size_t k = 0; k < cols.size(); ++k) {
      const double t = transformed(table, row, cols[k], k);
      if (!std::isfinite(t)) return kNaN;
      y += weights_[k] * (t - means_[k]) / stds_[k];
    }
    return y;
  }

  void load(const std::string& path) {
    const std::string what = "vote 'fusion': weights_file " + path;
    std::ifstream in(path);
    if (!in) throw nas::UsageError(what + ": cannot open (no such file?)");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
      throw nas::UsageError(what + ": not valid JSON (" + e.what() + ")");
    }
    auto field = [&](const char* key) -> const nlohmann::json& {
      if (!j.is_object() || !j.contains(key)) {
        throw nas::UsageError(what + ": missing key `" + key + "` (is it a fusion_weights.json?)");
      }
      return j.at(key);
    };
    std::vector<std::string> inputs, transforms;
    std::vector<double> means, stds, weights;
    double bias = 0.0;
    try {
      inputs = field("inputs").get<std::vector<std::string>>();
      transforms = field("transforms").get<std::vector<std::string>>();
      means = field("means").get<std::vector<double>>();
      stds = field("stds").get<std::vector<double>>();
      weights = field("weights").get<std::vector<double>>();
      bias = field("bias").get<double>();
    } catch (const nas::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw nas::UsageError(what + ": a field has the wrong type (" + e.what() + ")");
    }
    const std::size_t K = inputs.size();
    if (transforms.size() != K || means.size() != K || stds.size() != K || weights.size() != K) {
      throw nas::UsageError(what +
                            ": inputs, transforms, means, stds and weights differ in length");
    }
    std::vector<std::string> sorted_file = inputs, sorted_mine = names_;
    std::sort(sorted_file.begin(), sorted_file.end());
    std::sort(sorted_mine.begin(), sorted_mine.end());
    if (sorted_file != sorted_mine) {
      throw nas::UsageError(what + " was fitted on inputs " + list(inputs) + " but `proxies` is " +
                            list(names_) + "; set `proxies` to match or refit");
    }
    means_.assign(names_.size(), 0.0);
    stds_.assign(names_.size(), 1.0);
    weights_.assign(names_.size(), 0.0);
    for (std::size_t i = 0; i < K; ++i) {
      const auto k = static_cast<std::size_t>(std::find(names_.begin(), names_.end(), inputs[i]) -
                                              names_.begin());
      const bool file_log = transforms[i] == "signed_log";
      if (!file_log && transforms[i] != "identity") {
        throw nas::UsageError(what + ": unknown transform '" + transforms[i] + "' for '" +
                              inputs[i] + "' (valid: identity, signed_log)");
      }
      if (file_log != log_[k]) {
        throw nas::UsageError(what + ": input '" + inputs[i] + "' was fitted " +
                              (file_log ? "with" : "without") + " the log transform but `log` " +
                              (log_[k] ? "lists" : "does not list") + " it");
      }
      if (!std::isfinite(means[i]) || !(stds[i] > 0.0) || !std::isfinite(stds[i]) ||
          !std::isfinite(weights[i])) {
        throw nas::UsageError(what + ": input '" + inputs[i] +
                              "' has a non-finite mean or weight, or a std that is not > 0");
      }
      means_[k] = means[i];
      stds_[k] = stds[i];
      weights_[k] = weights[i];
    }
    if (!std::isfinite(bias)) throw nas::UsageError(what + ": the bias is not finite");
    bias_ = bias;
    if (j.contains("training_size") && j["training_size"].is_number_unsigned())
      training_size_ = j["training_size"].get<std::size_t>();
    if (j.contains("training_archs") && j["training_archs"].is_array()) {
      for (const auto& a : j["training_archs"]) {
        if (a.is_string()) training_archs_.insert(a.get<std::string>());
      }
    }
    fitted_ = true;
  }

  std::vector<std::string> names_;
  std::vector<bool> log_;
  double train_fraction_;
  std::int64_t split_seed_;
  double ridge_;
  std::string weights_file_;

  bool fitted_ = false;
  std::vector<double> means_, stds_, weights_;
  double bias_ = 0.0;
  std::size_t training_size_ = 0;
  std::set<std::string> training_archs_;
};

void register_fusion(nas::PluginRegistrar& r) {
  nas::ParamSchema schema;
  schema.add_string_list("proxies", {"jacov", "sensitivity", "linear_regions", "ntk_cond"},
                         "indicators to fuse (no signs needed: the fit learns them)");
  schema.add_string_list("log", {"ntk_cond", "linear_regions"},
                         "inputs to log-transform (signed log) before standardising");
  schema.add_double("train_fraction", 0.5,
                    "fraction of the rows with ground truth used to fit (the rest are held out)",
                    nas::Range{0.0, 1.0, /*min_exclusive=*/true});
  schema.add_int("split_seed", 0, "seed of the train/held-out split", nas::at_least(0));
  schema.add_string("weights_file", "",
                    "a fusion_weights.json to load instead of fitting (empty: fit)");
  schema.add_double("ridge", 0.0, "L2 penalty on the weights (0: ordinary least squares)",
                    nas::at_least(0.0));
  r.add_vote("fusion",
             "Fusion Indicator: least-squares weighted sum of standardised indicators, fitted to "
             "ground truth on a training split (or loaded from weights_file)",
             schema, [](const nas::Params& p) { return std::make_shared<FusionVote>(p); });
}

}  // namespace

NAS_PLUGIN("vote_fusion", "1.0.0", register_fusion)
