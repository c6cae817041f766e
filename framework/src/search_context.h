// Internal: the SearchContext a pipeline hands its strategy (see nas/strategy.h).
//
// It charges the budget, asks the (caching) evaluator for scores, enters rows into the score
// table in submission order, answers compare() and fitness() with the strategy's vote (or the
// first proxy), and writes search_trace.csv: one line per architecture the search charged, with
// its score under every proxy, `became_best` (1 when the strategy's vote made it the incumbent),
// the incumbent the strategy reported by the time of its next call (with its ground truth when
// there is one), and the seconds since the search began. finish() writes the last lines; every
// write is checked. On a resume the lines are the same except `seconds`.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nas/evaluator.h"
#include "nas/ground_truth.h"
#include "nas/search_space.h"
#include "nas/strategy.h"
#include "nas/vote.h"

namespace nas::detail {

// Adds an evaluation's scores to the table (the row is appended when new).
void record_in_table(ScoreTable& table, const Evaluation& evaluation);

struct SearchSettings {
  std::int64_t budget = 0;
  std::uint64_t seed = 0;  // the strategy's Rng: derive_seed(seed, "strategy")
  std::string trace_path;
  const Vote* vote = nullptr;  // null: the first proxy decides
  std::string first_proxy;
  std::map<std::string, bool> higher_is_better;  // per proxy name; every table column
  const GroundTruth* truth = nullptr;            // best_truth column of the trace when set
  std::function<void(std::int64_t)> on_charged;  // progress
};

class PipelineSearchContext final : public SearchContext {
 public:
  PipelineSearchContext(const SearchSpace& space, const NetSpec& spec, Evaluator& evaluator,
                        ScoreTable& table, SearchSettings settings);

  const SearchSpace& space() const override { return space_; }
  const NetSpec& net_spec() const override { return spec_; }
  Rng& rng() override { return rng_; }
  const ScoreTable& table() const override { return table_; }
  std::int64_t budget() const override { return settings_.budget; }
  std::int64_t used() const override { return static_cast<std::int64_t>(evaluated_.size()); }
  std::vector<Candidate> evaluate(const std::vector<Arch>& archs) override;
  std::vector<double> evaluate_supernet(const std::vector<std::vector<bool>>& alive) override;
  int compare(std::size_t a, std::size_t b) const override;
  double fitness(std::size_t row) const override;
  bool higher_is_better(std::size_t column) const override;
  void set_best(std::size_t row) override { best_ = row; }

  std::optional<std::size_t> best() const { return best_; }
  // Wall seconds since the context was made (the search began).
  double seconds() const;
  // Writes the trace's pending lines and closes it; throws nas::Error naming the file.
  void finish();

 private:
  void flush_trace();

  const SearchSpace& space_;
  NetSpec spec_;
  Evaluator& evaluator_;
  ScoreTable& table_;
  SearchSettings settings_;
  Rng rng_;
  std::set<std::string> evaluated_;
  std::vector<Arch> pending_;
  std::optional<std::size_t> best_;
  std::optional<std::size_t> reported_best_;  // the incumbent as of the last trace line
  std::chrono::steady_clock::time_point started_;
  std::ofstream trace_;
  std::int64_t step_ = 0;
  mutable std::size_t rank_rows_ = 0;  // table size the cached vote ranks belong to
  mutable std::vector<double> ranks_;
};

}  // namespace nas::detail
