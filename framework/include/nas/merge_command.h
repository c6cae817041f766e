// `nas merge OUT_DIR SHARD_DIR...`: joins the shards of a score stage into one run directory.
//
// Contract: merge_shards() reads each SHARD_DIR that `nas run PIPELINE --shard i/N` wrote
// (shard.json, run.json, rows.txt, scores.csv) and checks, before anything is written, that
// they are the N shards of one configuration: every shard finished (its rows.txt exists), the
// same N and the same number of score-stage positions everywhere, each index 0..N-1 exactly
// once, and the same scores configuration (run.json's keys; the same proxies). It then writes
// OUT_DIR as the unsharded run would have after its score stage: rows.txt in the score stage's
// own order (shard p % N's row p / N at position p), scores.csv with every shard's rows in
// that order, run.json (fitted votes marked as fitted on all rows) and config.resolved.yaml
// from shard 0 (with run.out_dir set to OUT_DIR), and merge.json naming the shards. When the
// run has ground truth it then writes the report exactly as `nas report OUT_DIR` does
// (nas/report_command.h), which equals the report of one unsharded run.
//
// OUT_DIR must be new or empty. The pipeline's search and train stages are not run; running
// the pipeline with `run.out_dir=OUT_DIR` resumes from the merged scores and runs them.
//
// Errors: a missing, unfinished, duplicated or foreign shard, or a non-empty OUT_DIR, is
// nas::UsageError naming the directory and what to do; a corrupt file is nas::UsageError
// naming the file (and line). Nothing is written into OUT_DIR unless every check passes.
#pragma once

#include <string>
#include <vector>

#include "nas/report_command.h"

namespace nas {

struct MergeResult {
  std::size_t shards = 0;
  std::size_t rows = 0;         // architectures in the merged table
  std::size_t score_rows = 0;   // lines of the merged scores.csv
  bool reported = false;        // the run has ground truth and its report was written
  ReportCommandResult report;   // when reported
};

MergeResult merge_shards(const std::string& out_dir, const std::vector<std::string>& shard_dirs,
                         const ReportCommandOptions& report_options = {});

}  // namespace nas
