// `reinforce`: REINFORCE over the space's decision view, as the WRCor reference runs it
// (kunjing96/ZSNAS-WRCor, search.py, RL_NAS.run).
//
//   logits[s][c] <- init_scale * N(0,1)           one categorical per decision slot
//   warm-up: `warmup` random architectures, evaluated; over those whose signed scores sum to a
//            finite number: mean_k, std_k (population std, ddof 0) of each proxy's signed score
//   repeat `steps` times:
//     action <- one choice per slot from softmax(logits[s]); arch <- space.decode(action)
//     evaluate arch; best <- arch unless the old best wins strictly (ctx.compare)
//     reward <- sum_k (sign_k m_k - mean_k) / std_k   (sign_k = +1 if higher is better, else -1)
//     if reward is finite:
//       baseline.update(reward)                       (EMA with bias correction, `momentum`)
//       loss <- -log pi(action) * (reward - baseline); one Adam step (lr `lr`, torch defaults)
//
// The policy's arithmetic is reinforce_policy.h. Every random choice comes from the context's
// Rng: the initial logits by Box-Muller on rng.uniform() (slot by slot, choice by choice), the
// warm-up by space.sample(rng), each slot's choice by inverse CDF on one rng.uniform(). A
// killed run replays the same draws and scores, so it resumes to the same end.
//
// Departures from the reference, each deliberate:
// * The warm-up architectures cost budget, as every distinct evaluation does here; the
//   reference does not count them in N. They are submitted as one batch (scored in parallel)
//   and, as in the reference, take no part in the best-so-far or the policy.
// * An architecture evaluated before (by this search, an earlier stage or run) is answered
//   from the table at no cost; the reference re-scores it on a fresh random batch. It still
//   counts as a step, gives its reward and updates the policy.
// * The search stops early when the budget of distinct architectures is spent (the reference
//   has no budget: 100 + N evaluations).
// * A decision-view combination that decode() rejects, or an architecture that violates the
//   space's constraints (a FLOPs limit), is drawn again from the same policy, up to
//   `max_resamples` times (the reference loops without bound); the log-probability of the
//   accepted action is used, as the reference does for its FLOPs rejection.
// * The policy is the decision view's one categorical per slot for every space. For NB201 this
//   is the reference's 6x5 policy exactly; its NB101 (Bernoulli edges) and MobileNetV2 (stride
//   positions resampled until distinct) policies are not reproduced: those spaces' decision
//   views define what is learned.
// * The warm-up statistics need a spread: a proxy with standard deviation 0 over the finite
//   warm-up rows, or no finite row at all, is an error naming the proxy (the reference fails
//   with ZeroDivisionError or learns nothing from NaN rewards).
// * The policy runs in double precision (the reference's logits are float32).
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nas/error.h"
#include "nas/plugin.h"
#include "nas/search_space.h"
#include "nas/strategy.h"
#include "reinforce_policy.h"

namespace {

namespace rl = nas::reinforce;

class Reinforce : public nas::Strategy {
 public:
  explicit Reinforce(const nas::Params& p)
      : warmup_(p.get_int("warmup")),
        steps_(p.get_int("steps")),
        lr_(p.get_double("lr")),
        momentum_(p.get_double("momentum")),
        init_scale_(p.get_double("init_scale")),
        max_resamples_(p.get_int("max_resamples")) {}

  void search(nas::SearchContext& ctx) override {
    if (warmup_ >= ctx.budget()) {
      throw nas::UsageError("reinforce: warmup (" + std::to_string(warmup_) +
                            ") must be smaller than the budget (" + std::to_string(ctx.budget()) +
                            "): the warm-up architectures are charged to the budget and the "
                            "policy needs the rest");
    }
    const std::vector<nas::Decision> slots = ctx.space().decisions();
    if (slots.empty()) {
      throw nas::UsageError("reinforce: search space '" + ctx.space().name() +
                            "' has an empty decision view; the policy needs decision slots");
    }
    for (const auto& slot : slots) {
      if (slot.choices.empty()) {
        throw nas::UsageError("reinforce: decision slot '" + slot.name + "' of search space '" +
                              ctx.space().name() + "' has no choices");
      }
    }

    rl::Policy policy(initial_logits(ctx, slots), rl::AdamSettings{lr_, 0.9, 0.999, 1e-8},
                      momentum_);
    const Normaliser z = warm_up(ctx);

    std::optional<std::size_t> best;
    for (std::int64_t step = 0; step < steps_ && ctx.budget_left(); ++step) {
      std::vector<int> action;
      const nas::Arch arch = draw(ctx, policy, action);
      const std::vector<nas::Candidate> answer = ctx.evaluate({arch});
      if (answer.empty()) return;  // the budget ran out
      const std::size_t row = answer.front().row;
      if (!best || ctx.compare(*best, row) <= 0) best = row;
      ctx.set_best(*best);
      policy.update(action, z.reward(ctx.table().row(row)));
    }
  }

 private:
  // Per proxy column: the sign that makes higher better, and the warm-up mean and std of the
  // signed scores.
  struct Normaliser {
    std::vector<double> sign, mean, std;
    double reward(const std::vector<double>& scores) const {
      double r = 0.0;
      for (std::size_t k = 0; k < sign.size(); ++k) r += (sign[k] * scores[k] - mean[k]) / std[k];
      return r;
    }
  };

  rl::Logits initial_logits(nas::SearchContext& ctx,
                            const std::vector<nas::Decision>& slots) const {
    std::size_t total = 0;
    for (const auto& slot : slots) total += slot.choices.size();
    const std::vector<double> normals =
        rl::standard_normals(total, [&ctx] { return ctx.rng().uniform(); });
    rl::Logits logits;
    std::size_t next = 0;
    for (const auto& slot : slots) {
      std::vector<double> row;
      for (std::size_t c = 0; c < slot.choices.size(); ++c)
        row.push_back(init_scale_ * normals[next++]);
      logits.push_back(std::move(row));
    }
    return logits;
  }

  Normaliser warm_up(nas::SearchContext& ctx) const {
    std::vector<nas::Arch> sample;
    for (std::int64_t i = 0; i < warmup_; ++i) sample.push_back(random_valid(ctx));
    const std::vector<nas::Candidate> answer = ctx.evaluate(sample);
    const nas::ScoreTable& table = ctx.table();
    const std::size_t columns = table.proxies().size();
    Normaliser z;
    for (std::size_t k = 0; k < columns; ++k)
      z.sign.push_back(ctx.higher_is_better(k) ? 1.0 : -1.0);
    // The reference keeps a warm-up row when the sum of its signed scores is finite; a
    // repeated architecture counts once per draw, as it does there.
    std::vector<std::vector<double>> rows;
    for (const nas::Candidate& c : answer) {
      std::vector<double> signed_scores(columns);
      double sum = 0.0;
      for (std::size_t k = 0; k < columns; ++k) {
        signed_scores[k] = z.sign[k] * table.get(c.row, k);
        sum += signed_scores[k];
      }
      if (std::isfinite(sum)) rows.push_back(std::move(signed_scores));
    }
    if (rows.empty()) {
      throw nas::Error("reinforce: none of the " + std::to_string(answer.size()) +
                       " warm-up architectures has finite scores on every proxy, so the "
                       "reward cannot be normalised");
    }
    const double n = static_cast<double>(rows.size());
    for (std::size_t k = 0; k < columns; ++k) {
      double mean = 0.0;
      for (const auto& r : rows) mean += r[k];
      mean /= n;
      double var = 0.0;
      for (const auto& r : rows) var += (r[k] - mean) * (r[k] - mean);
      const double sd = std::sqrt(var / n);
      if (!(sd > 0.0)) {
        throw nas::Error("reinforce: proxy '" + table.proxies()[k] +
                         "' has the same score on all " + std::to_string(rows.size()) +
                         " finite warm-up architectures (standard deviation 0), and the reward "
                         "divides by it; raise warmup or drop the proxy");
      }
      z.mean.push_back(mean);
      z.std.push_back(sd);
    }
    return z;
  }

  nas::Arch random_valid(nas::SearchContext& ctx) const {
    for (std::int64_t attempt = 0;; ++attempt) {
      nas::Arch a = ctx.space().sample(ctx.rng());
      if (ctx.space().satisfies_constraints(a, ctx.net_spec())) return a;
      if (attempt >= max_resamples_) {
        throw nas::Error(
            "reinforce: no random architecture satisfying the space's constraints "
            "in " +
            std::to_string(max_resamples_ + 1) + " samples");
      }
    }
  }

  // An action from the policy whose architecture decode() accepts and the constraints allow.
  nas::Arch draw(nas::SearchContext& ctx, const rl::Policy& policy,
                 std::vector<int>& action) const {
    std::string last_reason;
    for (std::int64_t attempt = 0; attempt <= max_resamples_; ++attempt) {
      action = policy.sample([&ctx] { return ctx.rng().uniform(); });
      try {
        nas::Arch a = ctx.space().decode(action);
        if (ctx.space().satisfies_constraints(a, ctx.net_spec())) return a;
        last_reason = "'" + a.str() + "' violates the space's constraints";
      } catch (const nas::Error& e) {
        last_reason = e.what();
      }
    }
    throw nas::Error("reinforce: the policy drew no valid architecture in " +
                     std::to_string(max_resamples_ + 1) + " tries (last: " + last_reason + ")");
  }

  std::int64_t warmup_;
  std::int64_t steps_;
  double lr_;
  double momentum_;
  double init_scale_;
  std::int64_t max_resamples_;
};

void register_reinforce(nas::PluginRegistrar& r) {
  nas::ParamSchema schema;
  schema.add_int("warmup", 100,
                 "random architectures whose scores give each proxy's mean and std for the "
                 "reward (the reference's 100; charged to the budget here); at least 2, since "
                 "the reward divides by each proxy's spread",
                 nas::between(2, 1e7));
  schema.add_int("steps", 1000, "policy samples, one update each (the reference's N)",
                 nas::between(1, 1e9));
  schema.add_double("lr", 1e-3, "Adam learning rate (the reference's 0.001)",
                    nas::greater_than(0));
  schema.add_double("momentum", 0.9,
                    "momentum of the moving-average reward baseline "
                    "(the reference's EMA_momentum)",
                    nas::from_below(0, 1));
  schema.add_double("init_scale", 1e-3,
                    "initial logits are init_scale * N(0,1) (the reference's 1e-3)",
                    nas::at_least(0));
  schema.add_int("max_resamples", 10000,
                 "draws tried for one architecture that decode() accepts and the constraints "
                 "allow",
                 nas::between(0, 1e9));
  r.add_strategy("reinforce",
                 "REINFORCE: a categorical policy per decision slot, Adam, moving-average "
                 "baseline, reward = sum of proxy z-scores over a warm-up sample",
                 schema, [](const nas::Params& p) { return std::make_shared<Reinforce>(p); });
}

}  // namespace

NAS_PLUGIN("reinforce", "1.0.0", register_reinforce)
