// `rank_sum`: the TE-NAS style vote: rank the table by each input proxy, add the ranks.
//
// For each input proxy k with sign s_k, the values s_k m_k(row) are ranked over the whole
// table in ascending order with average ranks for ties (1 = worst, n = best), so a
// lower-is-better proxy ("-name") is ranked descending in its raw values. NaN scores take the
// worst rank: they are ranked as -inf, tied with each other (and with a genuine -inf, which is
// already the worst value). rank() returns, per row, the sum of its K ranks: higher is better
// (TE-NAS adds ranks where 1 = best and takes the smallest sum; the order is the same, flipped
// to this framework's "higher is better" contract). compare(a, b) compares the two rows' rank
// sums over the current table: +1 when a's is larger. It counts, per proxy, the rows below and
// level with a and b (O(n K) per call, exact in integers: 2·rank = 2·#below + #level + 1), so
// no state is cached between calls and the table may grow between them.
//
// Parameter: `proxies`, signed names "+NAME" (higher is better, the default) or "-NAME".
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "nas/error.h"
#include "nas/metrics.h"
#include "nas/plugin.h"
#include "nas/vote.h"
#include "vote_inputs.h"

namespace {

constexpr double kWorst = -std::numeric_limits<double>::infinity();

class RankSumVote : public nas::Vote {
 public:
  explicit RankSumVote(const nas::Params& p)
      : inputs_(nas_votes::parse_signed_inputs(p.get_string_list("proxies"), "rank_sum")),
        names_(nas_votes::names_of(inputs_)) {
    if (inputs_.empty()) {
      throw nas::UsageError("vote 'rank_sum' needs `proxies: [+NAME, -NAME, ...]`");
    }
  }

  std::vector<std::string> inputs() const override { return names_; }

  int compare(const nas::ScoreTable& table, std::size_t a, std::size_t b) const override {
    const auto cols = nas_votes::columns_of(table, names_, "rank_sum");
    std::int64_t twice_a = 0, twice_b = 0;
    for (std::size_t k = 0; k < cols.size(); ++k) {
      const double va = value(table, a, cols[k], inputs_[k].sign);
      const double vb = value(table, b, cols[k], inputs_[k].sign);
      std::int64_t below_a = 0, level_a = 0, below_b = 0, level_b = 0;
      for (std::size_t r = 0; r < table.rows(); ++r) {
        const double v = value(table, r, cols[k], inputs_[k].sign);
        below_a += v < va ? 1 : 0;
        level_a += v == va ? 1 : 0;
        below_b += v < vb ? 1 : 0;
        level_b += v == vb ? 1 : 0;
      }
      twice_a += 2 * below_a + level_a + 1;
      twice_b += 2 * below_b + level_b + 1;
    }
    return twice_a > twice_b ? 1 : (twice_a < twice_b ? -1 : 0);
  }

  std::vector<double> rank(const nas::ScoreTable& table) const override {
    const auto cols = nas_votes::columns_of(table, names_, "rank_sum");
    std::vector<double> sum(table.rows(), 0.0);
    for (std::size_t k = 0; k < cols.size(); ++k) {
      std::vector<double> v(table.rows());
      for (std::size_t r = 0; r < table.rows(); ++r)
        v[r] = value(table, r, cols[k], inputs_[k].sign);
      const std::vector<double> ranks = nas::average_ranks(v);
      for (std::size_t r = 0; r < table.rows(); ++r) sum[r] += ranks[r];
    }
    return sum;
  }

 private:
  // The sign-applied score, NaN mapped to the worst value.
  static double value(const nas::ScoreTable& table, std::size_t row, std::size_t col, double sign) {
    const double v = table.get(row, col);
    return std::isnan(v) ? kWorst : sign * v;
  }

  std::vector<nas_votes::SignedInput> inputs_;
  std::vector<std::string> names_;
};

void register_rank_sum(nas::PluginRegistrar& r) {
  nas::ParamSchema schema;
  schema.add_string_list("proxies", {},
                         "signed proxy names: +NAME (higher is better, the default) or -NAME");
  r.add_vote("rank_sum",
             "sum of per-proxy average ranks (TE-NAS style); NaN ranks worst; higher is better",
             schema, [](const nas::Params& p) { return std::make_shared<RankSumVote>(p); });
}

}  // namespace

NAS_PLUGIN("vote_rank_sum", "1.0.0", register_rank_sum)
