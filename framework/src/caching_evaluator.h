// Internal: CachingEvaluator, the one place that knows what is already scored.
//
// Contract: wraps the backend's evaluator. A (architecture, proxy) pair is computed at most
// once per run: records come from (1) this run's own fresh results, (2) scores.csv rows of an
// earlier run in the same directory, (3) scores.csv rows of the directories named in
// run.reuse_scores. Rows of (2) and (3) count only when their config hash equals the proxy's
// (the hash covers the proxy's type, resolved parameters and version, the space, the data and
// batch, the master seed, the seed scheme and the sharing level below), so a score from
// another seed or dataset is never taken; and only rows with status ok or non_finite count —
// an error or out-of-memory row is computed again. Every fresh record is appended to
// scores.csv (one write per architecture) before evaluate() returns. Results come back in
// input order with every proxy, whatever mix of cached and fresh records they hold, so callers
// see the same thing on a fresh and a resumed run.
//
// Sharing (run.dedup; nas/network_identity.h): each proxy has a level. For a proxy at a level
// coarser than kArch, architectures are grouped by the space's network_key at that level and
// each (class, proxy) pair is computed at most once: the backend scores the class's
// representative (SearchSpace::representative), whose seeds derive from its own string, so it
// scores exactly as it would with sharing off, and every member gets that record (score,
// seed, status, seconds). Members submitted in one batch share one computation. Each member's
// record is still written to scores.csv as that member's own row, so resume and reuse work per
// architecture; a row taken from disk also answers its class. At kArch a class is one
// architecture, and nothing changes.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "nas/evaluator.h"
#include "nas/network_identity.h"
#include "nas/search_space.h"
#include "run_files.h"

namespace nas::detail {

class CachingEvaluator final : public Evaluator {
 public:
  // Which proxies share scores between equivalent architectures, and the space that says which
  // architectures are equivalent. No space: nothing is shared.
  struct Sharing {
    std::shared_ptr<const SearchSpace> space;
    std::map<std::string, NetworkIdentity> levels;  // proxy name -> level (absent: kArch)
  };

  // `hashes`: proxy name -> config hash, for every proxy of `inner`. `writer` may be null (no
  // persistence).
  CachingEvaluator(std::unique_ptr<Evaluator> inner, std::map<std::string, std::string> hashes,
                   ScoresWriter* writer, Sharing sharing = {});

  // Offers earlier rows; returns how many were taken (matching hash, reusable status). Rows not
  // `in_this_run` (run.reuse_scores) are appended to this run's scores.csv when first used, so
  // that the run directory alone holds every score its table and report show.
  std::size_t add_known(const std::vector<ScoreRow>& rows, bool in_this_run = true);

  std::vector<std::string> proxy_names() const override { return names_; }
  using Evaluator::evaluate;
  std::vector<Evaluation> evaluate_subset(const std::vector<Arch>& archs,
                                          const std::vector<std::size_t>& proxies) override;

  bool has(const std::string& arch, std::size_t proxy) const;
  // Architectures whose requested records were all known, and records computed, so far.
  std::size_t answered_from_cache() const { return answered_; }
  std::size_t computed() const { return computed_; }
  // Architectures (representatives) the backend scored, and records an architecture took from
  // an equivalent one, so far.
  std::size_t networks_computed() const { return networks_; }
  std::size_t shared() const { return shared_; }

 private:
  NetworkIdentity level(std::size_t proxy) const { return levels_[proxy]; }
  std::string class_key(const Arch& arch, std::size_t proxy) const;
  Arch representative(const Arch& arch, std::size_t proxy) const;

  std::unique_ptr<Evaluator> inner_;
  std::vector<std::string> names_;
  std::map<std::string, std::size_t> index_;
  std::map<std::string, std::string> hashes_;
  ScoresWriter* writer_;
  std::shared_ptr<const SearchSpace> space_;
  std::vector<NetworkIdentity> levels_;                               // per proxy index
  std::map<std::pair<std::string, std::size_t>, ScoreRecord> known_;  // (arch, proxy)
  std::set<std::pair<std::string, std::size_t>> not_yet_written_;     // reused, not in scores.csv
  struct ClassRecord {
    ScoreRecord record;
    std::string source;  // the architecture it was computed (or read from disk) for
  };
  std::map<std::pair<std::string, std::size_t>, ClassRecord> by_class_;  // (class key, proxy)
  // While evaluate_subset runs: what each (representative, proxy) record settles.
  std::map<std::pair<std::string, std::size_t>, std::string> job_class_;
  std::function<void(const std::string&, std::size_t)> on_class_record_;
  std::size_t answered_ = 0;
  std::size_t computed_ = 0;
  std::size_t networks_ = 0;
  std::size_t shared_ = 0;
};

}  // namespace nas::detail
