// `pruning`: TE-NAS's pruning-by-importance search (Chen, Gong, Wang, "Neural Architecture
// Search on ImageNet in Four GPU Hours: A Theoretically Inspired Perspective", ICLR 2021;
// VITA-Group/TENAS prune_tenas.py, main and prune_func_rank) over the space's supernet.
//
//   alive <- every choice of every slot, less the `exclude` choices (TE-NAS: `none`)
//   while some slot has more than one survivor:                          (one round)
//     s0 <- scores of the supernet `alive`                      (ctx.evaluate_supernet)
//     for each slot with more than one survivor, each surviving choice o (enumeration order):
//       s_o <- scores of the supernet `alive` less o
//     per proxy k of `proxies`:
//       v_o <- round(change(s0_k, s_o,k), precision)   change(a, b) = (a - b) / |a|
//              (numpy's rounding for the proxies in `numpy_rounding`, default ntk_cond, and
//              Python's for the others, as the reference's numbers are numpy or Python floats)
//       rank the v_o of all candidates of the round together: sorted by significant-figure
//       rounding, descending when k is lower-better (the condition number: removing o lowered
//       it most), ascending when higher-better (the region count: removing o raised it most);
//       equal values share a rank (pruning_rank.h has the exact rule)
//     per slot, prune the min(prune_number, survivors - 1) candidates with the smallest rank
//     sum (ties: the first proxy's sorted order)
//   for each group of space.supernet_groups() with more than `keep` live slots (DARTS: a
//   node's incoming edges, keep 2; prune_func_rank_group, in group order):
//     s0 <- scores of the supernet `alive`
//     for each live slot of the group: s_e <- scores of `alive` with the slot emptied
//     rank as above over the group's slots; all but the `keep` with the highest rank sums go
//     at once (the reference's rankings_sum[:-num_per_group])
//   result <- space.decode_supernet(alive); evaluated, the best, one trace row
// The slots are the space's supernet_decisions() (NB201: its decisions(); DARTS: 14 edges x 8
// ops per cell, not its (input, op) decision view).
//
// Rank 0 for proxy k goes to the op whose removal moves k most in k's better direction: that op
// is the least important and goes first. Scores that are not finite (NaN, infinite, or a proxy
// that failed) count as `nan_score`, as the reference turns a NaN condition number into 100000.
// The strategy draws nothing at random: a killed run answers every supernet scored before from
// the run directory (evaluate_supernet persists them) and ends where it would have ended.
// On NAS-Bench-201 with `none` excluded each edge has 4 candidates, so three rounds score
// (1 + 24) + (1 + 18) + (1 + 12) = 57 supernets. On DARTS with prune_number 3 (TE-NAS's for
// CIFAR-10) two op rounds and the edge groups score (1 + 28 x 7) + (1 + 28 x 4) +
// 2 ((1 + 3) + (1 + 4) + (1 + 5)) = 340 (338 distinct).
//
// Departures from the reference, each deliberate:
// * Each supernet is scored once, by the pipeline's proxies, with the seeds of its own name
//   (weights, batch, the proxies' random draws): a round's current supernet is measured once
//   and every candidate's change is taken against that one measurement. The reference measures
//   the pair (current, current less o) anew for every candidate and repeat, on one shared
//   batch, the candidate's weights copied from the current network, and draws the
//   linear-region inputs from the same seed every time. Here the two scores of a change carry
//   independent noise.
// * Repeated measurement is the proxies' own `repeats` (ntk_cond, linear_regions): the change
//   is taken between repeat-averaged scores and rounded once. The reference rounds each
//   repeat's change and averages the rounded changes.
// * The networks are the pipeline's: ntk_cond measures the space's network as a supernet at
//   the pipeline's size (search_space width/depth; configs/te_nas_nb201.yaml sets the
//   reference's C = 3, N = 1, and darts has its own supernet_* parameters); linear_regions
//   builds its thin one-cell network as the reference does. Both re-initialise Kaiming-normal
//   (fan-in) before each repeat; the reference meant fan-out for the NTK and fan-in for the
//   regions, but its init_model call matches no method and keeps PyTorch's default init (each
//   proxy's file says more). Any proxy the pipeline computes may be used, each in its declared
//   direction; the reference has exactly these two.
// * Every non-finite score becomes `nan_score`, because the context reports NaN for any score
//   that is not a finite number; the reference maps only a NaN condition number to 100000
//   (numpy's nan_to_num: infinities to +-1.8e308) and its region counts are always finite. A
//   proxy with no finite score on any supernet of a round is an error (it does not apply to
//   supernets, like `params` with `count: analytic`, or failed; scores.csv says which); in
//   the reference all its changes would tie and the pruning would follow enumeration order.
// * The change divides by |s0| (the reference by s0; the same for its positive scores), so a
//   proxy with negative scores keeps its direction; where s0 is 0 it is s0 - s_o.
// * The number pruned per slot is min(prune_number, that slot's survivors - 1); the reference
//   computes it from the first edge's survivors for every edge (the same on NB201, whose edges
//   shrink in step).
// * `exclude` generalises the reference's removal of `none` before the first round to any
//   list of choice names (default [none], which reproduces it).
// * The result is evaluated like any architecture (one unit of budget, a row of the table and
//   the trace, set as best); the reference looks it up in the benchmark.
// * Edge groups (prune_func_rank_group): a round's current supernet is the one after the
//   groups pruned before it, for every proxy. The reference's NTK compares against the
//   network it set up before the first group (its alphas copied once, so later groups'
//   "current" still holds the edges removed earlier), while its region count and the
//   candidates use the current alphas. A candidate empties the whole slot (the reference
//   removes its one remaining op, which after the op rounds is the same). The reference
//   skips a group by its size (edges <= num_per_group); here by its live slots, the same
//   after op rounds, which leave every edge alive.
// * The supernets of a round are scored one after another (one evaluate_supernet call each),
//   not side by side.
#include <cmath>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "nas/error.h"
#include "nas/plugin.h"
#include "nas/search_space.h"
#include "nas/strategy.h"
#include "pruning_rank.h"

namespace {

namespace pr = nas::pruning;
using Alive = std::vector<std::vector<bool>>;

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

int survivors(const std::vector<bool>& slot) {
  int n = 0;
  for (bool b : slot) n += b ? 1 : 0;
  return n;
}

class Pruning : public nas::Strategy {
 public:
  explicit Pruning(const nas::Params& p)
      : proxies_(p.get_string_list("proxies")),
        exclude_(p.get_string_list("exclude")),
        numpy_rounding_(p.get_string_list("numpy_rounding").begin(),
                        p.get_string_list("numpy_rounding").end()),
        prune_number_(static_cast<int>(p.get_int("prune_number"))),
        precision_(static_cast<int>(p.get_int("precision"))),
        nan_score_(p.get_double("nan_score")) {
    if (proxies_.empty()) {
      throw nas::UsageError("pruning: proxies must name at least one proxy of the pipeline");
    }
    std::set<std::string> seen;
    for (const auto& name : proxies_) {
      if (!seen.insert(name).second) {
        throw nas::UsageError("pruning: proxies lists '" + name + "' twice");
      }
    }
    // The schema has no finite-only range without bounds, so this one is checked here.
    if (!std::isfinite(nan_score_)) {
      throw nas::UsageError("pruning: nan_score must be a finite number");
    }
  }

  void search(nas::SearchContext& ctx) override {
    const nas::SearchSpace& space = ctx.space();
    if (!space.has_supernet()) {
      throw nas::UsageError("pruning: search space '" + space.name() +
                            "' has no supernet; pruning needs one");
    }
    const std::vector<nas::Decision> slots = space.supernet_decisions();
    if (slots.empty()) {
      throw nas::UsageError("pruning: search space '" + space.name() +
                            "' has an empty decision view; pruning needs decision slots");
    }
    const std::vector<std::size_t> columns = proxy_columns(ctx);
    Alive alive = initial_alive(space, slots);

    for (int round = 1;; ++round) {
      std::vector<std::size_t> slot_of, choice_of;  // the round's candidates
      std::vector<int> quota(slots.size(), 0);
      for (std::size_t d = 0; d < slots.size(); ++d) {
        const int left = survivors(alive[d]);
        if (left < 2) continue;
        quota[d] = std::min(prune_number_, left - 1);
        for (std::size_t c = 0; c < alive[d].size(); ++c) {
          if (!alive[d][c]) continue;
          slot_of.push_back(d);
          choice_of.push_back(c);
        }
      }
      if (slot_of.empty()) break;

      const std::vector<double> current = ctx.evaluate_supernet(alive);
      std::vector<std::vector<double>> without;  // [candidate][column]
      for (std::size_t i = 0; i < slot_of.size(); ++i) {
        Alive less = alive;
        less[slot_of[i]][choice_of[i]] = false;
        without.push_back(ctx.evaluate_supernet(less));
      }

      const std::vector<pr::Ranking> rankings =
          rank(ctx, columns, current, without, "round " + std::to_string(round));
      for (std::size_t i : pr::choose_pruned(slot_of, rankings, quota)) {
        alive[slot_of[i]][choice_of[i]] = false;
      }
    }

    // TE-NAS's prune_func_rank_group: per group in order, each live slot removed in turn (the
    // whole edge), ranked as above over the group's slots; all but the `keep` with the highest
    // rank sums go at once.
    for (const nas::SupernetGroup& group : space.supernet_groups()) {
      std::vector<std::size_t> live;
      for (std::size_t d : group.slots) {
        if (d < alive.size() && survivors(alive[d]) > 0) live.push_back(d);
      }
      if (static_cast<int>(live.size()) <= group.keep) continue;
      const std::vector<double> current = ctx.evaluate_supernet(alive);
      std::vector<std::vector<double>> without;
      for (std::size_t d : live) {
        Alive less = alive;
        less[d].assign(less[d].size(), false);
        without.push_back(ctx.evaluate_supernet(less));
      }
      const std::vector<pr::Ranking> rankings =
          rank(ctx, columns, current, without, "group " + group.name);
      const std::vector<std::size_t> one_slot(live.size(), 0);
      const std::vector<int> quota{static_cast<int>(live.size()) - group.keep};
      for (std::size_t i : pr::choose_pruned(one_slot, rankings, quota)) {
        alive[live[i]].assign(alive[live[i]].size(), false);
      }
    }

    const std::vector<nas::Candidate> answer = ctx.evaluate({space.decode_supernet(alive)});
    if (answer.empty()) throw nas::Error("pruning: no budget left to evaluate the result");
    ctx.set_best(answer.front().row);
  }

 private:
  double finite_or_nan_score(double x) const { return std::isfinite(x) ? x : nan_score_; }

  // Per proxy, the ranking of the candidates' rounded relative changes against `current`.
  std::vector<pr::Ranking> rank(const nas::SearchContext& ctx,
                                const std::vector<std::size_t>& columns,
                                const std::vector<double>& current,
                                const std::vector<std::vector<double>>& without,
                                const std::string& where) const {
    std::vector<pr::Ranking> rankings;
    for (std::size_t k = 0; k < columns.size(); ++k) {
      const std::size_t col = columns[k];
      bool any_finite = std::isfinite(current[col]);
      for (const auto& s : without) any_finite = any_finite || std::isfinite(s[col]);
      if (!any_finite) {
        throw nas::Error("pruning: proxy '" + proxies_[k] + "' gave no finite score on any of " +
                         "the " + std::to_string(without.size() + 1) + " supernets of " + where +
                         " (it does not apply to a supernet, or it failed: scores.csv has "
                         "each status and message)");
      }
      const double s0 = finite_or_nan_score(current[col]);
      const bool numpy = numpy_rounding_.count(proxies_[k]) > 0;
      std::vector<double> change;
      for (const auto& s : without) {
        const double c = pr::relative_change(s0, finite_or_nan_score(s[col]));
        const double v = numpy ? pr::numpy_round(c, precision_) : pr::python_round(c, precision_);
        if (!std::isfinite(v)) {
          throw nas::Error("pruning: proxy '" + proxies_[k] + "': the change of score in " + where +
                           " is not a finite number");
        }
        change.push_back(v);
      }
      rankings.push_back(pr::rank_changes(change, precision_, !ctx.higher_is_better(col)));
    }
    return rankings;
  }

  // The table column of each proxy in `proxies`.
  std::vector<std::size_t> proxy_columns(const nas::SearchContext& ctx) const {
    const std::vector<std::string>& names = ctx.table().proxies();
    std::vector<std::size_t> out;
    for (const auto& name : proxies_) {
      const int col = ctx.table().column(name);
      if (col < 0) {
        throw nas::UsageError(
            "pruning: proxies: '" + name +
            "' is not computed by this pipeline; its proxies are: " + joined(names));
      }
      out.push_back(static_cast<std::size_t>(col));
    }
    return out;
  }

  Alive initial_alive(const nas::SearchSpace& space,
                      const std::vector<nas::Decision>& slots) const {
    Alive alive;
    std::set<std::string> known;
    std::vector<std::string> known_in_order;
    for (const auto& slot : slots) {
      if (slot.choices.empty()) {
        throw nas::UsageError("pruning: decision slot '" + slot.name + "' of search space '" +
                              space.name() + "' has no choices");
      }
      alive.emplace_back(slot.choices.size(), true);
      for (const auto& c : slot.choices) {
        if (known.insert(c).second) known_in_order.push_back(c);
      }
    }
    for (const auto& name : exclude_) {
      if (!known.count(name)) {
        throw nas::UsageError("pruning: exclude: '" + name + "' is no choice of search space '" +
                              space.name() + "'; its choices are: " + joined(known_in_order));
      }
      for (std::size_t d = 0; d < slots.size(); ++d) {
        for (std::size_t c = 0; c < slots[d].choices.size(); ++c) {
          if (slots[d].choices[c] == name) alive[d][c] = false;
        }
      }
    }
    for (std::size_t d = 0; d < slots.size(); ++d) {
      if (survivors(alive[d]) == 0) {
        throw nas::UsageError("pruning: exclude removes every choice of decision slot '" +
                              slots[d].name + "' (" + joined(slots[d].choices) + ")");
      }
    }
    return alive;
  }

  std::vector<std::string> proxies_;
  std::vector<std::string> exclude_;
  std::set<std::string> numpy_rounding_;
  int prune_number_;
  int precision_;
  double nan_score_;
};

void register_pruning(nas::PluginRegistrar& r) {
  nas::ParamSchema schema;
  schema.add_string_list("proxies", {"ntk_cond", "linear_regions"},
                         "the pipeline's proxies (by name) whose change ranks the ops "
                         "(TE-NAS: the NTK condition number and the linear-region count)");
  schema.add_string_list("exclude", {"none"},
                         "choices removed before the first round, never kept "
                         "(TE-NAS removes `none`)");
  schema.add_string_list("numpy_rounding", {"ntk_cond"},
                         "proxies whose change is rounded as numpy rounds a float64 (scale, "
                         "round half to even, unscale), as the reference rounds the NTK change; "
                         "the others' as Python rounds a float (its exact decimal value), as "
                         "the reference rounds the region-count change; names not in `proxies` "
                         "have no effect");
  schema.add_int("prune_number", 1,
                 "ops pruned per slot and round (TE-NAS: 1 on NB201, 3 on DARTS)",
                 nas::at_least(1));
  schema.add_int("precision", 3, "decimals a change is rounded to before ranking (TE-NAS: 3)",
                 nas::between(0, 15));
  schema.add_double("nan_score", 100000.0,
                    "the score that a non-finite or failed score counts as (TE-NAS: a NaN "
                    "condition number counts as 100000)");
  r.add_strategy("pruning",
                 "TE-NAS pruning: from the supernet, drop per slot and round the op whose "
                 "removal improves the proxies most (rank sum of their relative changes)",
                 schema, [](const nas::Params& p) { return std::make_shared<Pruning>(p); });
}

}  // namespace

NAS_PLUGIN("pruning", "1.0.0", register_pruning)
