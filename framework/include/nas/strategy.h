// Strategy: searches a space through a SearchContext.
//
// Contract: a strategy draws every random choice from context.rng(), submits candidates in
// batches with context.evaluate() (which scores them, charges the budget, records the search
// trace and persists every score as it arrives), compares candidates with context.compare()
// (the configured vote, which may be intransitive), and reports its incumbent with
// context.set_best(). It stops when context.budget_left() is false. Resuming: a strategy that
// is deterministic in its Rng needs nothing else; when a killed run is restarted, the context
// answers already-scored architectures from the run directory instead of recomputing them, so
// the replay reaches the point of interruption at no cost and continues.
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

class SearchContext {
 public:
  virtual ~SearchContext();
  virtual const SearchSpace& space() const = 0;
  virtual Rng& rng() = 0;
  // Scores archs (duplicates of earlier ones are not charged twice) and returns their rows in
  // table().
  virtual std::vector<std::size_t> evaluate(const std::vector<Arch>& archs) = 0;
  virtual const ScoreTable& table() const = 0;
  // +1: row a better, -1: row b better, 0: tie (per the vote).
  virtual int compare(std::size_t a, std::size_t b) const = 0;
  virtual void set_best(std::size_t row) = 0;
  virtual std::int64_t budget() const = 0;  // evaluations allowed
  virtual std::int64_t used() const = 0;    // distinct evaluations so far
  bool budget_left() const { return used() < budget(); }
  std::int64_t remaining() const { return budget() - used(); }
};

class Strategy {
 public:
  virtual ~Strategy();
  virtual void search(SearchContext& context) = 0;
};

}  // namespace nas
