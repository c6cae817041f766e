// Strategy: searches a space through a SearchContext.
//
// Contract: a strategy draws every random choice from context.rng(), submits candidates with
// context.evaluate() (which scores them, charges the budget, records the search trace and
// persists every score as it arrives), compares candidates with context.compare() (the
// configured vote, which may be intransitive) or context.fitness() (a scalar, for strategies
// that need a reward), and reports its incumbent with context.set_best(). It stops when
// context.budget_left() is false (or earlier, by its own rule). Candidates it draws should
// satisfy context.space().satisfies_constraints(arch, context.net_spec()); the context does
// not re-check them.
//
// Resuming: a strategy that is deterministic in its Rng needs nothing else. When a killed run
// is restarted, the context answers already-scored architectures from the run directory
// instead of recomputing them and charges the budget exactly as the first run did, so the
// replay reaches the point of interruption at no cost and continues to the same end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nas/arch.h"
#include "nas/score_table.h"
#include "nas/seed.h"

namespace nas {

class SearchSpace;
struct NetSpec;

// One answer of SearchContext::evaluate().
struct Candidate {
  std::size_t row;  // in table()
  bool fresh;       // true: new to this search, charged one unit of budget by this call
};

class SearchContext {
 public:
  virtual ~SearchContext();
  virtual const SearchSpace& space() const = 0;
  // The network the pipeline builds (input size, classes), for constraints such as FLOPs.
  virtual const NetSpec& net_spec() const = 0;
  virtual Rng& rng() = 0;

  // Scores the architectures and returns one Candidate per architecture, in order, for the
  // longest prefix of `archs` that the budget allows:
  // * an architecture already evaluated by this search, or repeated within `archs`, costs
  //   nothing and comes back with its row and fresh = false;
  // * every other architecture costs one unit of budget (fresh = true), also when its scores
  //   were already known (the score stage, an earlier run, run.reuse_scores): the budget counts
  //   distinct architectures the search looked at, not computations, so a resumed search
  //   spends it exactly like an uninterrupted one;
  // * when the budget runs out part-way, the answer stops before the first architecture that
  //   would exceed it (so it is shorter than `archs`; empty once budget_left() is false).
  // Submitting several candidates in one call lets the evaluator score them in parallel.
  virtual std::vector<Candidate> evaluate(const std::vector<Arch>& archs) = 0;

  // Scores the space's supernet (SearchSpace::build_supernet) with the given survivors per
  // slot of supernet_decisions() on every proxy of the pipeline: one score per table() column, in
  // its order, NaN where a proxy failed or does not apply to a supernet (an analytic count of a
  // discrete cell, say). It costs no budget and adds no row to table(); its scores are persisted
  // and answered from the run directory on resume like any architecture's. Throws nas::Error when
  // the space has no supernet or `alive` does not fit its decisions.
  virtual std::vector<double> evaluate_supernet(const std::vector<std::vector<bool>>& alive) = 0;

  virtual const ScoreTable& table() const = 0;
  // +1: row a better, -1: row b better, 0: tie (per the vote; without a vote, per the first
  // proxy in its declared direction, NaN losing to any number).
  virtual int compare(std::size_t a, std::size_t b) const = 0;
  // A scalar per row, higher is better: with a vote, the vote's rank() of the row over the
  // whole current table (each vote documents its rank: Copeland wins minus losses, rank sum,
  // z-score sum, the fitted prediction), which for table-relative ranks changes as the table
  // grows, so a reward built on it is non-stationary; without a vote, the first proxy's score,
  // negated when lower is better, -inf when it is NaN.
  virtual double fitness(std::size_t row) const = 0;
  // Whether a larger score of table() column `column` means a better architecture (each
  // proxy's declared direction), for strategies that build their own reward from raw scores
  // (REINFORCE's z-score sum).
  virtual bool higher_is_better(std::size_t column) const = 0;

  virtual void set_best(std::size_t row) = 0;
  virtual std::int64_t budget() const = 0;  // distinct architectures allowed
  virtual std::int64_t used() const = 0;    // distinct architectures evaluated so far
  bool budget_left() const { return used() < budget(); }
  std::int64_t remaining() const { return budget() - used(); }
};

class Strategy {
 public:
  virtual ~Strategy();
  virtual void search(SearchContext& context) = 0;
};

}  // namespace nas
