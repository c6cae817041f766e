// Correlation report: how well each proxy (and vote) ranks architectures against ground truth.
//
// Contract: correlate() takes score columns and the matching ground-truth values (NaN where an
// architecture is missing from the table) and computes, per column, over the rows where both
// the score and the truth are finite:
// * signed Spearman, Kendall tau-b and Pearson. Signs are raw: a lower-is-better proxy shows a
//   negative correlation;
// * the RMSE of the truth predicted from the score by a least-squares line (the FI paper's
//   RMSE; in the truth's units);
// * top-k precision (|top-k by score ∩ top-k by truth| / k) and the mean truth of the top k by
//   score, for k = ceil(1% of the pairs) and k = ceil(10% of the pairs) (CorrelationReport's
//   top_small / top_large; at least 1). These are oriented: a lower-is-better column is
//   negated first, so its best scores are its lowest;
// * the number of pairs used and the number of non-finite scores.
// A column may carry a mask (ScoreColumn::mask, true = judge this row): a fitted vote such as
// the Fusion Indicator is judged on its held-out rows only, so every statistic of that column,
// its non-finite count included, covers the masked rows.
// write_report() writes correlation.json and correlation.md into a directory;
// write_full_report() also draws plots with gnuplot (when it is installed) and writes a
// Markdown summary, report.md, that links them. Plot failures never throw: they become warning
// lines in report.md.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "nas/score_table.h"

namespace nas {

struct ProxyCorrelation {
  std::string name;
  bool higher_is_better = true;
  std::size_t pairs = 0;
  std::size_t non_finite = 0;
  double spearman = 0.0;
  double kendall = 0.0;
  double pearson = 0.0;
  // Added with the extended report (NaN when undefined, e.g. a constant column).
  std::size_t rows = 0;  // rows judged: every row, or the masked (held-out) ones
  bool masked = false;   // judged on a subset given by ScoreColumn::mask
  double rmse_linear = std::numeric_limits<double>::quiet_NaN();
  double top_small_precision = std::numeric_limits<double>::quiet_NaN();
  double top_large_precision = std::numeric_limits<double>::quiet_NaN();
  double top_small_mean_truth = std::numeric_limits<double>::quiet_NaN();
  double top_large_mean_truth = std::numeric_limits<double>::quiet_NaN();
};

struct CorrelationReport {
  std::string benchmark;  // table path or name
  std::string column;
  std::size_t archs = 0;       // architectures scored
  std::size_t with_truth = 0;  // of which the table knows
  std::vector<ProxyCorrelation> rows;
  // The top-k fractions used (k = ceil(fraction × pairs)).
  double top_small = 0.01;
  double top_large = 0.10;
  // The best possible mean truth of the top k over all rows with truth (what an oracle scores).
  double oracle_top_small_mean_truth = std::numeric_limits<double>::quiet_NaN();
  double oracle_top_large_mean_truth = std::numeric_limits<double>::quiet_NaN();
};

struct ScoreColumn {
  std::string name;
  bool higher_is_better = true;
  std::vector<double> values;
  // Empty: judge every row. Otherwise one flag per row: true = judge it (e.g. Vote::held_out).
  std::vector<bool> mask = {};
};

CorrelationReport correlate(const std::vector<ScoreColumn>& columns,
                            const std::vector<double>& truth);
std::string format_report(const CorrelationReport& report);  // a Markdown table
void write_report(const CorrelationReport& report, const std::string& dir);

struct ReportOptions {
  // "png" (gnuplot's pngcairo terminal when it has one, else its libgd png), "svg", or "none".
  std::string plot_format = "png";
  // The gnuplot program; "" disables plots. Looked up on PATH unless it holds a '/'.
  std::string gnuplot = "gnuplot";
  std::string title;               // heading of report.md (default: "Correlation report")
  std::vector<std::string> notes;  // extra lines for report.md (e.g. how votes were recomputed)
};

struct ReportFiles {
  std::vector<std::string> written;   // paths of the files written
  std::vector<std::string> warnings;  // also listed in report.md
};

// correlation.json, correlation.md, plots/ (a scatter per column and a bar chart of Spearman
// and Kendall) and report.md. `columns` and `truth` are those given to correlate().
//
// Scatter plots show, per column, the score's rank as a percentile (0 = worst, 1 = best,
// oriented by higher_is_better; average ranks for ties) against the raw truth, over the judged
// rows with finite score and truth. Ranks rather than raw scores because proxy scales span many
// orders of magnitude, can be negative (log-determinants, -κ) and differ per column; the rank
// axis is what Spearman measures and keeps every plot comparable. The bar chart shows oriented
// correlations (× -1 for lower-is-better columns), so a taller bar is a better ranking.
ReportFiles write_full_report(const CorrelationReport& report,
                              const std::vector<ScoreColumn>& columns,
                              const std::vector<double>& truth, const std::string& dir,
                              const ReportOptions& options = {});

class Vote;
// The report column of a vote that is ready to rank (fitted already when it needs fitting):
// its rank() as values, higher is better, and its held_out() rows as the mask when they are not
// all rows (so a fitted vote is judged on the rows its fit did not use). Named "vote:<name>", as
// the pipeline names it. Shared by `nas run` and `nas report` so both judge votes the same way.
ScoreColumn vote_report_column(const Vote& vote, const std::string& name, const ScoreTable& table);

}  // namespace nas
