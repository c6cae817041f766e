// `nas report RUN_DIR`: rebuilds the correlation report of a run directory from its files.
//
// Contract: report_run_dir() reads RUN_DIR/run.json (the manifest `nas run` writes: proxies
// with their directions and config hashes, votes with their parameters and what they were
// fitted on, the ground truth, the table's row order in rows.txt) and RUN_DIR/scores.csv (long
// format; only rows whose proxy and config hash match the manifest count, so rows of another
// configuration are never mixed in; when a pair appears more than once, the last row wins). It
// rebuilds the score table in the run's row order, recomputes the votes (a vote the run fitted
// is fitted again on exactly the rows and ground-truth column it was fitted on), and writes
// correlation.json, correlation.md, plots/ and report.md (see nas/report.h): for the run's own
// ground truth the result equals the report the run wrote. Ground truth comes from the options
// when given (they override the manifest), else from the manifest; a benchmark name is
// resolved through the loaded plugins' tables, else the path the run used. Plugin code is
// loaded only from the user's own environment (the default directories, $NAS_PLUGIN_PATH and
// `plugin_paths`), never from paths named inside the run directory; only votes need it.
//
// Errors: a missing directory, a missing run.json or scores.csv, no ground truth (neither
// recorded nor given), an unknown benchmark or column, a vote whose plugin is not loaded, or no
// scores are nas::UsageError naming what is missing; a corrupt file or a vote that cannot be
// fitted is nas::Error. Everything is computed before the first file is written, so on any
// error the run directory is left exactly as it was. Fitted vote state (fusion_weights.json)
// is written only when the run directory has no file of that name yet, so the weights a run
// searched with are never replaced.
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


}  // namespace nas
