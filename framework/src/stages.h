// Internal: a run's state and its stages (score, fit votes, search, report).
//
// Contract: open_run() creates every component, checks the data and the run directory, takes
// the directory's lock and refuses a resume whose scores would not match (see run_manifest.h)
// — all before the first score is computed. Each stage then works on the Run: the score stage
// scores the configured architectures in chunks, the vote stage fits the votes that learn on
// the table so far, the search stage runs the strategy, and the report stage writes the
// correlation report per ground-truth column. close_run() writes rows.txt and the final
// manifest. Rows enter the score table in the order the stages submit architectures, never in
// the order scores happen to be cached, so a resumed run ranks exactly like a fresh one.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caching_evaluator.h"
#include "config.h"
#include "nas/dataset.h"
#include "nas/ground_truth.h"
#include "nas/probe_engine.h"
#include "nas/score_table.h"
#include "nas/search_space.h"
#include "nas/strategy.h"
#include "nas/vote.h"
#include "progress.h"
#include "run_files.h"
#include "run_manifest.h"

namespace nas {
class Communicator;
}

namespace nas::detail {

struct Run {
  const PipelineConfig& cfg;
  std::string dir;
  std::unique_ptr<RunDirLock> lock;
  std::shared_ptr<SearchSpace> space;
  std::shared_ptr<Dataset> data;
  std::shared_ptr<Dataset> train_data;  // the train stage's: train.data, or `data`
  NetSpec spec;
  std::vector<ProxySlot> slots;  // for directions and versions; scoring goes through evaluator
  std::vector<std::shared_ptr<Vote>> votes;          // parallel to cfg.votes
  std::vector<std::unique_ptr<GroundTruth>> truths;  // one per ground-truth column
  std::shared_ptr<Strategy> strategy;
  RunManifest manifest;
  std::unique_ptr<ScoresWriter> writer;
  std::unique_ptr<CachingEvaluator> evaluator;
  ScoreTable table;
  Progress* progress = nullptr;
  std::vector<std::string> notes;  // said once at the end
  // The score stage scores only positions p with p % shard_count == shard_index.
  int shard_index = 0;
  int shard_count = 1;
  std::int64_t score_positions = 0;  // the whole score stage's architectures (every shard's)

  explicit Run(const PipelineConfig& c) : cfg(c) {}
  const GroundTruth* truth() const { return truths.empty() ? nullptr : truths.front().get(); }
};

std::unique_ptr<Run> open_run(const PipelineConfig& cfg, const RunOptions& options,
                              Progress& progress);
// A non-zero rank of a distributed run: the space and the training data only; no directory,
// no lock, no files (train_stage.cpp's follow_train_stage trains with rank 0).
std::unique_ptr<Run> open_follower(const PipelineConfig& cfg, Progress& progress);
void score_stage(Run& run);
void fit_votes_stage(Run& run);
void search_stage(Run& run);

// Where an architecture stands in a ground-truth column (higher is better): its value, 1 + the
// number of cells strictly better, the cells with a value, the cells tied with it (itself not
// counted) and the column's best value. found is false when the table lacks the architecture.
struct TruthStanding {
  bool found = false;
  double value = 0, best_value = 0;
  std::int64_t rank = 0, of = 0, ties = 0;
};
TruthStanding standing_in(const GroundTruth& truth, const Arch& arch);
void report_stage(Run& run);
// Trains train.arch, or the search's best architecture, into DIR/train/ (train_stage.cpp).
// In a distributed run (`comm`), rank 0 tells the other ranks, through the store, what to train
// (or that there is nothing to train, or that it failed) just before training with them.
void train_stage(Run& run, Communicator* comm = nullptr);
// Tells the other ranks that rank 0 will not train (`why`: null when the pipeline has no train
// stage, else rank 0's error; the others fail with it, a usage error as a usage error).
void release_followers(Communicator& comm, const std::exception* why);
// The other ranks: wait for rank 0's word, then train with it, writing nothing.
void follow_train_stage(Run& run, Communicator& comm);
void close_run(Run& run);
// DIR/shard.json of a sharded run (after close_run): which shard, of how many, how many
// positions the whole score stage has, and which votes a merge must fit.
void write_shard_file(const Run& run);

}  // namespace nas::detail
