// `regularized_evolution`: aging evolution (Real et al., "Regularized Evolution for Image
// Classifier Architecture Search", AAAI 2019) as the WRCor reference runs it
// (kunjing96/ZSNAS-WRCor, search.py, Evolved_NAS.run); with the `majority` vote's `sjw` preset
// this is RE-SJW.
//
//   population <- `population` random architectures, evaluated in order; best tracked
//   repeat `cycles` times:
//     tournament <- `sample` members of the population, drawn without replacement
//     parent     <- scan the tournament left to right, replacing the incumbent only when a later
//                   member wins strictly (Python's max() under cmp_to_key, as the reference)
//     child      <- space.mutate(parent)       (NB201: one edge changes to another op)
//     population.append(child); population.pop_oldest()
//     best       <- child unless the old best wins strictly (a tie goes to the newer)
//
// Departures from the reference, each deliberate:
// * An architecture evaluated before (by this search, an earlier stage or run) is not scored
//   again: its recorded scores answer, and it costs no budget. The reference re-scores it on a
//   fresh random batch. It still takes its place in the population and counts as a cycle.
// * The initial population is submitted as one batch, so the evaluator scores it in parallel;
//   the incumbent is then updated in submission order, which is the reference's order.
// * The search stops early when the budget of distinct architectures is spent (the reference
//   has no budget: 64 + N evaluations).
// * Children that violate the space's constraints (a FLOPs limit) are mutated again from the
//   same parent, up to `max_resamples` times, as the reference loops until the FLOPs fit;
//   initial members are resampled likewise.
// * The reference's commented-out mutation-probability decay is not offered.
#include <deque>
#include <memory>
#include <optional>

#include "nas/error.h"
#include "nas/plugin.h"
#include "nas/search_space.h"
#include "nas/strategy.h"

namespace {

class RegularizedEvolution : public nas::Strategy {
 public:
  explicit RegularizedEvolution(const nas::Params& p)
      : population_size_(p.get_int("population")),
        sample_size_(p.get_int("sample")),
        cycles_(p.get_int("cycles")),
        max_resamples_(p.get_int("max_resamples")) {
    if (sample_size_ > population_size_) {
      throw nas::UsageError("regularized_evolution: sample (" + std::to_string(sample_size_) +
                            ") is larger than population (" + std::to_string(population_size_) +
                            "); a tournament draws without replacement from the population");
    }
  }

  void search(nas::SearchContext& ctx) override {
    if (population_size_ > ctx.budget()) {
      throw nas::UsageError("regularized_evolution: population (" +
                            std::to_string(population_size_) + ") is larger than the budget (" +
                            std::to_string(ctx.budget()) +
                            "): the initial population alone would not fit");
    }
    std::deque<std::size_t> population;  // rows of the table, oldest first
    std::optional<std::size_t> best;
    auto consider = [&](std::size_t row) {
      if (!best || ctx.compare(*best, row) <= 0) best = row;
      ctx.set_best(*best);
    };

    std::vector<nas::Arch> initial;
    for (std::int64_t i = 0; i < population_size_; ++i) initial.push_back(draw_valid(ctx));
    for (const nas::Candidate& c : ctx.evaluate(initial)) {
      population.push_back(c.row);
      consider(c.row);
    }
    if (static_cast<std::int64_t>(population.size()) < population_size_) return;

    for (std::int64_t cycle = 0; cycle < cycles_ && ctx.budget_left(); ++cycle) {
      const std::size_t parent = tournament(ctx, population);
      const nas::Arch child = mutate_valid(ctx, ctx.table().archs()[parent]);
      const std::vector<nas::Candidate> answer = ctx.evaluate({child});
      if (answer.empty()) return;  // the budget ran out
      population.push_back(answer.front().row);
      population.pop_front();
      consider(answer.front().row);
    }
  }

 private:
  // `sample_size_` distinct members in draw order (a partial Fisher-Yates shuffle of the
  // positions), then the reference's left-to-right max.
  std::size_t tournament(nas::SearchContext& ctx, const std::deque<std::size_t>& population) {
    std::vector<std::size_t> positions(population.size());
    for (std::size_t i = 0; i < positions.size(); ++i) positions[i] = i;
    std::optional<std::size_t> winner;
    for (std::int64_t k = 0; k < sample_size_; ++k) {
      const auto remaining = static_cast<std::int64_t>(positions.size()) - k;
      const std::size_t pick = static_cast<std::size_t>(k + ctx.rng().below(remaining));
      std::swap(positions[static_cast<std::size_t>(k)], positions[pick]);
      const std::size_t row = population[positions[static_cast<std::size_t>(k)]];
      if (!winner || ctx.compare(row, *winner) > 0) winner = row;
    }
    return *winner;
  }

  nas::Arch draw_valid(nas::SearchContext& ctx) const {
    for (std::int64_t attempt = 0;; ++attempt) {
      nas::Arch a = ctx.space().sample(ctx.rng());
      if (ctx.space().satisfies_constraints(a, ctx.net_spec())) return a;
      if (attempt >= max_resamples_) {
        throw nas::Error("regularized_evolution: no architecture satisfying the space's "
                         "constraints in " + std::to_string(max_resamples_ + 1) + " samples");
      }
    }
  }

  nas::Arch mutate_valid(nas::SearchContext& ctx, const nas::Arch& parent) const {
    for (std::int64_t attempt = 0;; ++attempt) {
      nas::Arch a = ctx.space().mutate(parent, ctx.rng());
      if (ctx.space().satisfies_constraints(a, ctx.net_spec())) return a;
      if (attempt >= max_resamples_) {
        throw nas::Error("regularized_evolution: no mutation of '" + parent.str() +
                         "' satisfies the space's constraints in " +
                         std::to_string(max_resamples_ + 1) + " tries");
      }
    }
  }

  std::int64_t population_size_;
  std::int64_t sample_size_;
  std::int64_t cycles_;
  std::int64_t max_resamples_;
};

void register_regularized_evolution(nas::PluginRegistrar& r) {
  nas::ParamSchema schema;
  schema.add_int("population", 64, "architectures alive at once (the reference's 64)",
                 nas::between(1, 1e7));
  schema.add_int("sample", 10, "tournament size, drawn without replacement (the reference's 10)",
                 nas::between(1, 1e7));
  schema.add_int("cycles", 1000, "mutations after the initial population (the reference's N)",
                 nas::between(0, 1e9));
  schema.add_int("max_resamples", 10000,
                 "samples or mutations tried for one architecture that satisfies the constraints",
                 nas::between(0, 1e9));
  r.add_strategy("regularized_evolution",
                 "aging evolution: tournament parent by the vote, one mutation, oldest dies "
                 "(RE-SJW with the sjw vote)",
                 schema,
                 [](const nas::Params& p) { return std::make_shared<RegularizedEvolution>(p); });
}

}  // namespace

NAS_PLUGIN("regularized_evolution", "1.0.0", register_regularized_evolution)
