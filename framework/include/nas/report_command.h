// `nas report RUN_DIR`: rebuilds the correlation report of a run directory from its files.
//
// Contract: report_run_dir() reads RUN_DIR/config.resolved.yaml (for the proxies, the vote,
// the search space's name, plugin paths and the ground_truth section) and RUN_DIR/scores.csv
// (long format; when an (architecture, proxy) pair appears more than once, the last row wins,
// and rows of proxies the config no longer names are ignored), builds the score table,
// recomputes the vote when the config has one (created from the registry with the config's
// params; a vote that needs fitting, such as `fusion`, is fitted on the ground truth again and
// judged on its held-out rows), and writes correlation.json, correlation.md, plots/ and
// report.md (see nas/report.h). Ground truth comes from the options when given (they override
// the config), else from the config's ground_truth section; a benchmark name is resolved
// through the plugins' benchmark tables, a path is used as written (relative to the current
// directory, as `nas run` did). A proxy's direction (higher or lower is better) comes from its
// plugin; when the plugin is not loaded, the column is treated as higher-is-better and
// report.md says so.
//
// Errors: a missing directory, a missing config.resolved.yaml or scores.csv, no ground truth
// (neither configured nor given), an unknown benchmark or column, or no scores are
// nas::UsageError naming what is missing; a corrupt file or a vote that cannot be fitted is
// nas::Error. Everything is computed before the first file is written, so on any error the run
// directory is left exactly as it was. Fitted vote state (fusion_weights.json) is written only
// when the run directory has no file of that name yet, so the weights a run searched with are
// never replaced.
#pragma once

#include <string>
#include <vector>

#include "nas/report.h"
#include "nas/score_table.h"
#include "nas/vote.h"

namespace nas {

struct ReportCommandOptions {
  std::string benchmark;    // a registered benchmark table; overrides the config's ground_truth
  std::string path;         // a CSV table; overrides the config's ground_truth
  std::string column;       // the ground-truth column; overrides ground_truth.column
  std::string arch_column;  // the CSV's architecture column ("" = the config's, else "arch")
  std::vector<std::string> plugin_paths;  // more plugin directories
  std::string plot_format = "png";        // png, svg or none
  std::string gnuplot = "gnuplot";        // the gnuplot program ("" = no plots)
};

struct ReportCommandResult {
  CorrelationReport report;
  ReportFiles files;
};

ReportCommandResult report_run_dir(const std::string& dir,
                                   const ReportCommandOptions& options = {});

// The report column of a vote that is ready to rank (fitted already when it needs fitting):
// its rank() as values, higher is better, and its held_out() rows as the mask when they are not
// all rows (so a fitted vote is judged on the rows its fit did not use). Named "vote:<name>", as
// the pipeline names it. Shared by `nas run` and `nas report` so both judge votes the same way.
ScoreColumn vote_report_column(const Vote& vote, const std::string& name, const ScoreTable& table);

}  // namespace nas
