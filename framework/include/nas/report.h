// Correlation report: how well each proxy (and vote) ranks architectures against ground truth.
//
// Contract: correlate() takes score columns and the matching ground-truth values (NaN where an
// architecture is missing from the table) and computes, per column, signed Spearman, Kendall
// tau-b and Pearson over the finite pairs, the number of pairs used and the number of
// non-finite scores. Signs are raw: a lower-is-better proxy shows a negative correlation.
// write_report() writes correlation.json and correlation.md into a directory.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace nas {

struct ProxyCorrelation {
  std::string name;
  bool higher_is_better = true;
  std::size_t pairs = 0;
  std::size_t non_finite = 0;
  double spearman = 0.0;
  double kendall = 0.0;
  double pearson = 0.0;
};

struct CorrelationReport {
  std::string benchmark;  // table path or name
  std::string column;
  std::size_t archs = 0;       // architectures scored
  std::size_t with_truth = 0;  // of which the table knows
  std::vector<ProxyCorrelation> rows;
};

struct ScoreColumn {
  std::string name;
  bool higher_is_better = true;
  std::vector<double> values;
};

CorrelationReport correlate(const std::vector<ScoreColumn>& columns,
                            const std::vector<double>& truth);
std::string format_report(const CorrelationReport& report);  // a Markdown table
void write_report(const CorrelationReport& report, const std::string& dir);

}  // namespace nas
