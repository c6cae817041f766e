// Internal: CachingEvaluator, the one place that knows what is already scored.
//
// Contract: wraps the backend's evaluator. A (architecture, proxy) pair is computed at most
// once per run: records come from (1) this run's own fresh results, (2) scores.csv rows of an
// earlier run in the same directory, (3) scores.csv rows of the directories named in
// run.reuse_scores. Rows of (2) and (3) count only when their config hash equals the proxy's
// (the hash covers the proxy's type, resolved parameters and version, the space, the data and
// batch, the master seed and the seed scheme), so a score from another seed or dataset is never
// taken; and only rows with status ok or non_finite count — an error or out-of-memory row is
// computed again. Every fresh record is appended to scores.csv (one write per architecture)
// before evaluate() returns. Results come back in input order with every proxy, whatever mix
// of cached and fresh records they hold, so callers see the same thing on a fresh and a
// resumed run.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nas/evaluator.h"
#include "run_files.h"

namespace nas::detail {

class CachingEvaluator final : public Evaluator {
 public:
  // `hashes`: proxy name -> config hash, for every proxy of `inner`. `writer` may be null (no
  // persistence).
  CachingEvaluator(std::unique_ptr<Evaluator> inner, std::map<std::string, std::string> hashes,
                   ScoresWriter* writer);

  // Offers earlier rows; returns how many were taken (matching hash, reusable status).
  std::size_t add_known(const std::vector<ScoreRow>& rows);

  std::vector<std::string> proxy_names() const override { return names_; }
  using Evaluator::evaluate;
  std::vector<Evaluation> evaluate_subset(const std::vector<Arch>& archs,
                                          const std::vector<std::size_t>& proxies) override;

  bool has(const std::string& arch, std::size_t proxy) const;
  // Architectures whose requested records were all known, and records computed, so far.
  std::size_t answered_from_cache() const { return answered_; }
  std::size_t computed() const { return computed_; }

 private:
  std::unique_ptr<Evaluator> inner_;
  std::vector<std::string> names_;
  std::map<std::string, std::size_t> index_;
  std::map<std::string, std::string> hashes_;
  ScoresWriter* writer_;
  std::map<std::pair<std::string, std::size_t>, ScoreRecord> known_;
  std::size_t answered_ = 0;
  std::size_t computed_ = 0;
};

}  // namespace nas::detail
