// `zscore`: the mean of standardised, signed proxy scores (the WRCor notebooks' `soft_vote`
// with z-scores, and the reward of the reference's RL search).
//
// For each input proxy k: t_k = T_k(m_k), where T_k is the NASLib-style signed log (log x for
// x > 0, -log(-x) for x < 0, -inf for 0) when k is listed in `log`, else the identity; then
// z_k = s_k (t_k - mean_k) / std_k, with mean_k and std_k (population, ddof 0, as numpy's
// masked std) over the finite t_k of the whole table. rank(row) = mean of the row's z_k that are
// not NaN; a +-inf score gives a +-inf z and is kept (as in the reference); a row whose z are
// all NaN scores NaN, and compare() ranks NaN below everything (two NaN rows tie). A proxy with
// fewer than two finite values, or a constant one, has no spread: its z is NaN for every row
// (it drops out of every mean). compare(a, b) recomputes the column statistics over the current
// table (O(n K) per call) and compares the two rows' scores.
//
// Parameters: `proxies` (signed names "+NAME" / "-NAME"), `log` (names among them to
// log-transform first, e.g. [synflow]).
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "nas/error.h"
#include "nas/plugin.h"
#include "nas/vote.h"
#include "vote_inputs.h"

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct ColumnStats {
  double mean = kNaN;
  double std = kNaN;  // NaN: no spread, the column drops out
};

class ZScoreVote : public nas::Vote {
 public:
  explicit ZScoreVote(const nas::Params& p)
      : inputs_(nas_votes::parse_signed_inputs(p.get_string_list("proxies"), "zscore")),
        names_(nas_votes::names_of(inputs_)) {
    if (inputs_.empty())
      throw nas::UsageError("vote 'zscore' needs `proxies: [+NAME, -NAME, ...]`");
    const auto& logged = p.get_string_list("log");
    nas_votes::require_subset(logged, names_, "zscore", "log");
    for (const auto& in : inputs_) {
      bool l = false;
      for (const auto& name : logged) l = l || name == in.name;
      log_.push_back(l);
    }
  }

  std::vector<std::string> inputs() const override { return names_; }

  int compare(const nas::ScoreTable& table, std::size_t a, std::size_t b) const override {
    const auto cols = nas_votes::columns_of(table, names_, "zscore");
    const auto stats = column_stats(table, cols);
    const double x = score(table, a, cols, stats);
    const double y = score(table, b, cols, stats);
    const bool nx = std::isnan(x), ny = std::isnan(y);
    if (nx || ny) return nx && ny ? 0 : (nx ? -1 : 1);
    return x > y ? 1 : (x < y ? -1 : 0);
  }

  std::vector<double> rank(const nas::ScoreTable& table) const override {
    const auto cols = nas_votes::columns_of(table, names_, "zscore");
    const auto stats = column_stats(table, cols);
    std::vector<double> out(table.rows());
    for (std::size_t r = 0; r < table.rows(); ++r) out[r] = score(table, r, cols, stats);
    return out;
  }

 private:
  double transformed(const nas::ScoreTable& table, std::size_t row, std::size_t col,
                     std::size_t k) const {
    const double v = table.get(row, col);
    return log_[k] ? nas_votes::signed_log(v) : v;
  }

  std::vector<ColumnStats> column_stats(const nas::ScoreTable& table,
                                        const std::vector<std::size_t>& cols) const {
    std::vector<ColumnStats> out(cols.size());
    for (std::size_t k = 0; k < cols.size(); ++k) {
      double sum = 0.0;
      std::size_t n = 0;
      for (std::size_t r = 0; r < table.rows(); ++r) {
        const double t = transformed(table, r, cols[k], k);
        if (std::isfinite(t)) {
          sum += t;
          ++n;
        }
      }
      if (n < 2) continue;
      const double mean = sum / static_cast<double>(n);
      double ss = 0.0;
      for (std::size_t r = 0; r < table.rows(); ++r) {
        const double t = transformed(table, r, cols[k], k);
        if (std::isfinite(t)) ss += (t - mean) * (t - mean);
      }
      const double sd = std::sqrt(ss / static_cast<double>(n));
      if (sd > 0.0) out[k] = {mean, sd};
    }
    return out;
  }

  double score(const nas::ScoreTable& table, std::size_t row, const std::vector<std::size_t>& cols,
               const std::vector<ColumnStats>& stats) const {
    double sum = 0.0;
    std::size_t n = 0;
    for (std::size_t k = 0; k < cols.size(); ++k) {
      if (std::isnan(stats[k].std)) continue;
      const double z =
          inputs_[k].sign * (transformed(table, row, cols[k], k) - stats[k].mean) / stats[k].std;
      if (std::isnan(z)) continue;
      sum += z;
      ++n;
    }
    return n == 0 ? kNaN : sum / static_cast<double>(n);  // +inf + -inf gives NaN: ranked last
  }

  std::vector<nas_votes::SignedInput> inputs_;
  std::vector<std::string> names_;
  std::vector<bool> log_;
};

void register_zscore(nas::PluginRegistrar& r) {
  nas::ParamSchema schema;
  schema.add_string_list("proxies", {},
                         "signed proxy names: +NAME (higher is better, the default) or -NAME");
  schema.add_string_list("log", {},
                         "proxies to log-transform before standardising (log x for x > 0, "
                         "-log(-x) for x < 0), e.g. [synflow]");
  r.add_vote("zscore", "mean of standardised signed proxy scores (soft vote); higher is better",
             schema, [](const nas::Params& p) { return std::make_shared<ZScoreVote>(p); });
}

}  // namespace

NAS_PLUGIN("vote_zscore", "1.0.0", register_zscore)
