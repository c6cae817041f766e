// Vote: turns several proxies' scores into one comparison and one ranking.
//
// Contract: a vote names the proxies it reads (inputs()); the pipeline refuses a vote whose
// inputs were not computed. compare(a, b) returns +1 when a is better, -1 when b is, 0 for a
// tie; it need not be transitive (a pairwise majority is not), so strategies compare
// candidates with it directly, and rank() offers a deterministic total score for whole tables
// (higher = better; the method is documented per vote). A vote that learns (the Fusion
// Indicator) is fitted with fit() on scores plus ground truth before use; others ignore fit().
// A fitted vote says which rows it trained on (held_out() false for them) so reports judge
// it on the others only, and writes what it learned into the run directory with save(), in a
// form a later pipeline can load through the vote's own parameters.
#pragma once

#include <string>
#include <vector>

#include "nas/score_table.h"

namespace nas {

class Vote {
 public:
  virtual ~Vote();
  virtual std::vector<std::string> inputs() const = 0;
  // Rows of `table`.
  virtual int compare(const ScoreTable& table, std::size_t a, std::size_t b) const = 0;
  virtual std::vector<double> rank(const ScoreTable& table) const = 0;
  virtual bool needs_fit() const { return false; }
  // targets[i] is the ground truth of row i (NaN when unknown).
  virtual void fit(const ScoreTable& table, const std::vector<double>& targets);
  // Per row: true when the row was not used by fit() (default: every row).
  virtual std::vector<bool> held_out(const ScoreTable& table) const;
  // Writes fitted state into `run_dir` (default: nothing to write).
  virtual void save(const std::string& run_dir) const;
};

}  // namespace nas
