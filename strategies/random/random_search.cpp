// `random`: random search. Samples architectures from the space with the context's Rng,
// evaluates them in batches until the budget is spent, and keeps the best one by the vote.
// As in the WRCor reference (R-SJW), a candidate that ties the incumbent replaces it, so a
// tie goes to the newest candidate; `keep_first_on_tie` reverses that.
#include <memory>
#include <optional>

#include "nas/plugin.h"
#include "nas/search_space.h"
#include "nas/strategy.h"

namespace {

class RandomSearch : public nas::Strategy {
 public:
  explicit RandomSearch(const nas::Params& p)
      : batch_(p.get_int("batch")),
        keep_first_(p.get_bool("keep_first_on_tie")),
        max_resamples_(p.get_int("max_resamples")) {}

  void search(nas::SearchContext& ctx) override {
    std::optional<std::size_t> best;
    std::int64_t idle = 0;  // consecutive batches that found nothing new (tiny spaces)
    while (ctx.budget_left()) {
      std::vector<nas::Arch> batch;
      const std::int64_t want = std::min<std::int64_t>(batch_, ctx.remaining());
      for (std::int64_t i = 0; i < want; ++i) {
        nas::Arch a = ctx.space().sample(ctx.rng());
        if (!ctx.space().satisfies_constraints(a, ctx.net_spec())) {
          if (++idle > max_resamples_) return;
          --i;
          continue;
        }
        batch.push_back(a);
      }
      const std::int64_t before = ctx.used();
      for (const nas::Candidate& candidate : ctx.evaluate(batch)) {
        const std::size_t row = candidate.row;
        if (!best) {
          best = row;
          continue;
        }
        const int c = ctx.compare(row, *best);
        if (c > 0 || (c == 0 && !keep_first_ && row != *best)) best = row;
      }
      if (best) ctx.set_best(*best);
      if (ctx.used() == before && ++idle > max_resamples_) return;  // space exhausted
    }
  }

 private:
  std::int64_t batch_;
  bool keep_first_;
  std::int64_t max_resamples_;
};

void register_random(nas::PluginRegistrar& r) {
  nas::ParamSchema schema;
  schema.add_int("batch", 8, "architectures submitted to the evaluator at once",
                 nas::between(1, 65536));
  schema.add_bool("keep_first_on_tie", false,
                  "keep the incumbent on a tie (the reference replaces it)");
  schema.add_int("max_resamples", 10000,
                 "give up after this many samples that violate constraints or repeat",
                 nas::between(0, 1e9));
  r.add_strategy("random", "random search: sample, evaluate, keep the vote-best", schema,
                 [](const nas::Params& p) { return std::make_shared<RandomSearch>(p); });
}

}  // namespace

NAS_PLUGIN("random", "1.0.0", register_random)
