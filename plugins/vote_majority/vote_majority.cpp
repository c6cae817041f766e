// `majority`: the WRCor reference's pairwise majority vote (the SJW and SPW voting proxies).
//
// Comparison (kunjing96/ZSNAS-WRCor `search.py` NAS.cmp and `nasbench201_correlations.ipynb`
// hard_vote): for rows a and b and the K input proxies with signs s_k,
//   d_k = s_k (m_k(a) - m_k(b));
//   compare(a, b) = +1 if #{d_k > 0} > K/2, -1 if #{d_k < 0} > K/2, else 0.
// A NaN difference (a NaN score on either side, or inf - inf) counts for neither side, exactly
// as numpy's `ret > 0` / `ret < 0` do. Implemented as s_k m_k(a) > s_k m_k(b), which is the same
// test for every double (finite differences of distinct doubles are never 0, and the
// infinities and NaN fall on the same side). The relation is antisymmetric but NOT transitive
// (three proxies can produce a > b > c > a), so search strategies call compare() directly.
//
// Parameters:
// * `preset`: "" (none), `sjw` = +synflow +jacov +wrcor (the reference's NB201 signs), or
//   `spw` = +synflow +pnorm +wrcor. PNorm is not in the reference code; the best-supported
//   reading (plugins/l2_norm) is the parameter norm `l2_norm` (Σ over Conv/Linear of ||W||_F). The
//   preset reads a column named `pnorm`: compute it with `{type: l2_norm, name: pnorm}` (or a proxy
//   registered as `pnorm`). A preset and a `proxies` list are mutually exclusive.
// * `proxies`: signed names, "+synflow", "-jacov", or plain names (= +). The names are the
//   proxies' names in the pipeline. The reference's NB101 notebook uses -jacob_cor, for example.
// * `ranking`: how rank() turns the intransitive relation into one score per row:
//   - `copeland` (default): wins - losses over all other rows (ties count 0). Independent of row
//     order. Cost: every pair is compared once, O(n² K) time and O(n K) memory; majority over K
//     proxies does not decompose into per-proxy sorts, so there is no O(n log n) shortcut in
//     general. The loop runs over column-major, sign-applied doubles and vectorises: about
//     0.3-0.5 s for n = 15,625 (all of NB201) and K = 3 on one core (measured in tests/test_votes).
//   - `sort`: the reference's table ranking: sort the rows ascending with the comparison
//     ("a before b iff compare(a, b) < 0") and use each row's 0-based position as its score
//     (so the best row scores n - 1). The reference sorts with Python's `sorted` (TimSort) over
//     cmp_to_key; we use our own stable top-down merge sort (split at n/2, left run first on a
//     tie), O(n log n K), deterministic on every platform and well defined for an intransitive
//     comparator (std::stable_sort and std::sort require a strict weak order). Because the
//     relation is intransitive, the positions depend on the input (row) order and on the sort
//     algorithm: they match TimSort's whenever the relation happens to be a weak order on the
//     rows, but not in general.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nas/error.h"
#include "nas/plugin.h"
#include "nas/vote.h"
#include "vote_inputs.h"

namespace {

using nas_votes::SignedInput;

class MajorityVote : public nas::Vote {
 public:
  explicit MajorityVote(const nas::Params& p) {
    const std::string& preset = p.get_string("preset");
    const auto& listed = p.get_string_list("proxies");
    if (!preset.empty() && !listed.empty()) {
      throw nas::UsageError(
          "vote 'majority': give either `preset` or `proxies`, not both (preset '" + preset +
          "' means " + (preset == "sjw" ? "+synflow +jacov +wrcor" : "+synflow +pnorm +wrcor") +
          ")");
    }
    if (preset == "sjw") {
      inputs_ = nas_votes::parse_signed_inputs({"+synflow", "+jacov", "+wrcor"}, "majority");
    } else if (preset == "spw") {
      inputs_ = nas_votes::parse_signed_inputs({"+synflow", "+pnorm", "+wrcor"}, "majority");
    } else if (!preset.empty()) {
      throw nas::UsageError("vote 'majority': unknown preset '" + preset +
                            "'; valid presets: sjw, spw");
    } else {
      inputs_ = nas_votes::parse_signed_inputs(listed, "majority");
    }
    if (inputs_.empty()) {
      throw nas::UsageError(
          "vote 'majority' needs proxies: set `preset: sjw` (synflow, jacov, wrcor), "
          "`preset: spw` (synflow, pnorm, wrcor) or `proxies: [+NAME, -NAME, ...]`");
    }
    const std::string& ranking = p.get_string("ranking");
    if (ranking != "copeland" && ranking != "sort") {
      throw nas::UsageError("vote 'majority': `ranking` is '" + ranking +
                            "'; valid values: copeland, sort");
    }
    sort_ranking_ = ranking == "sort";
    names_ = nas_votes::names_of(inputs_);
  }

  std::vector<std::string> inputs() const override { return names_; }

  int compare(const nas::ScoreTable& table, std::size_t a, std::size_t b) const override {
    const std::vector<std::size_t> cols = nas_votes::columns_of(table, names_, "majority");
    int pos = 0, neg = 0;
    for (std::size_t k = 0; k < cols.size(); ++k) {
      const double x = inputs_[k].sign * table.get(a, cols[k]);
      const double y = inputs_[k].sign * table.get(b, cols[k]);
      pos += x > y ? 1 : 0;
      neg += x < y ? 1 : 0;
    }
    const int K = static_cast<int>(cols.size());
    if (2 * neg > K) return -1;  // the reference tests "< 0" first; both cannot hold
    if (2 * pos > K) return 1;
    return 0;
  }

  std::vector<double> rank(const nas::ScoreTable& table) const override {
    return sort_ranking_ ? sort_positions(table) : copeland(table);
  }

 private:
  // Sign-applied values, one contiguous array per input proxy.
  std::vector<std::vector<double>> signed_columns(const nas::ScoreTable& table) const {
    const std::vector<std::size_t> cols = nas_votes::columns_of(table, names_, "majority");
    std::vector<std::vector<double>> x(cols.size(), std::vector<double>(table.rows()));
    for (std::size_t r = 0; r < table.rows(); ++r) {
      const std::vector<double>& row = table.row(r);
      for (std::size_t k = 0; k < cols.size(); ++k) x[k][r] = inputs_[k].sign * row[cols[k]];
    }
    return x;
  }

  std::vector<double> copeland(const nas::ScoreTable& table) const {
    const std::size_t n = table.rows();
    const auto x = signed_columns(table);
    const int K = static_cast<int>(x.size());
    std::vector<std::int64_t> score(n, 0);
    // For row a, count per later row b how many proxies favour a (pos) and b (neg); then
    // majority-test each pair. The inner loops run over contiguous doubles and vectorise.
    std::vector<std::int32_t> pos(n), neg(n);
    for (std::size_t a = 0; a + 1 < n; ++a) {
      const std::size_t m = n - a - 1;
      std::int32_t* __restrict p = pos.data();
      std::int32_t* __restrict q = neg.data();
      for (std::size_t j = 0; j < m; ++j) p[j] = q[j] = 0;
      for (int k = 0; k < K; ++k) {
        const double xa = x[k][a];
        const double* __restrict xb = x[k].data() + a + 1;
        for (std::size_t j = 0; j < m; ++j) {
          p[j] += xa > xb[j] ? 1 : 0;
          q[j] += xa < xb[j] ? 1 : 0;
        }
      }
      std::int64_t* __restrict sb = score.data() + a + 1;
      std::int64_t sa = 0;
      for (std::size_t j = 0; j < m; ++j) {
        const std::int64_t d = (2 * p[j] > K ? 1 : 0) - (2 * q[j] > K ? 1 : 0);
        sa += d;
        sb[j] -= d;
      }
      score[a] += sa;
    }
    return std::vector<double>(score.begin(), score.end());
  }

  std::vector<double> sort_positions(const nas::ScoreTable& table) const {
    const std::size_t n = table.rows();
    const auto x = signed_columns(table);
    const int K = static_cast<int>(x.size());
    // less(a, b): a sorts before b, i.e. compare(a, b) < 0 (b wins the majority).
    auto less = [&](std::size_t a, std::size_t b) {
      int neg = 0;
      for (int k = 0; k < K; ++k) neg += x[k][a] < x[k][b] ? 1 : 0;
      return 2 * neg > K;
    };
    std::vector<std::size_t> order(n), buffer(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    merge_sort(order, buffer, 0, n, less);
    std::vector<double> position(n);
    for (std::size_t i = 0; i < n; ++i) position[order[i]] = static_cast<double>(i);
    return position;
  }

  // Stable top-down merge sort of v[lo, hi): left half [lo, mid), mid = lo + (hi - lo) / 2;
  // the merge takes the right element first only when less(right, left).
  template <class Less>
  static void merge_sort(std::vector<std::size_t>& v, std::vector<std::size_t>& buffer,
                         std::size_t lo, std::size_t hi, const Less& less) {
    if (hi - lo < 2) return;
    const std::size_t mid = lo + (hi - lo) / 2;
    merge_sort(v, buffer, lo, mid, less);
    merge_sort(v, buffer, mid, hi, less);
    std::size_t i = lo, j = mid, k = lo;
    while (i < mid && j < hi) buffer[k++] = less(v[j], v[i]) ? v[j++] : v[i++];
    while (i < mid) buffer[k++] = v[i++];
    while (j < hi) buffer[k++] = v[j++];
    for (std::size_t t = lo; t < hi; ++t) v[t] = buffer[t];
  }

  std::vector<SignedInput> inputs_;
  std::vector<std::string> names_;
  bool sort_ranking_ = false;
};

void register_majority(nas::PluginRegistrar& r) {
  nas::ParamSchema schema;
  schema.add_string("preset", "",
                    "sjw = +synflow +jacov +wrcor; spw = +synflow +pnorm +wrcor "
                    "(pnorm: an l2_norm proxy named pnorm); empty: use `proxies`",
                    {"", "sjw", "spw"});
  schema.add_string_list("proxies", {},
                         "signed proxy names: +NAME (higher is better, the default) or -NAME");
  schema.add_string("ranking", "copeland",
                    "rank(): copeland = wins - losses over all pairs (order independent); "
                    "sort = the reference's comparison sort, positions as scores",
                    {"copeland", "sort"});
  r.add_vote("majority",
             "pairwise majority of signed proxies (WRCor SJW/SPW); ranks by Copeland score "
             "or by the reference's comparison sort",
             schema, [](const nas::Params& p) { return std::make_shared<MajorityVote>(p); });
}

}  // namespace

NAS_PLUGIN("vote_majority", "1.0.0", register_majority)
