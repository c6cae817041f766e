// The report of a training run: its final metrics and a training-curve plot.
//
// Contract: write_training_report() reads DIR/train_log.csv and DIR/final_metrics.json (what
// nas/trainer.h writes) and writes DIR/report.md: the test top-1 and top-5, the best validation
// top-1 and its epoch, parameters, FLOPs, epochs, steps and wall time, then the curve
// DIR/plots/training_curve.<png|svg>: the training loss against the step (the `train` rows:
// running means since each epoch began) above the train and validation top-1 against the step.
// Plots follow ReportOptions as the correlation report does, and never fail the report: a
// missing gnuplot or a failed plot is a warning, listed in report.md. The returned summary is
// the metrics table as Markdown, for a report that embeds it. A missing or corrupt file is
// nas::UsageError naming it.
#pragma once

#include <string>
#include <vector>

#include "nas/report.h"

namespace nas {

struct TrainingReport {
  std::string summary;                // the Markdown metrics table
  std::string curve;                  // the plot's path relative to DIR ("" when not drawn)
  std::vector<std::string> warnings;  // also in report.md
};

TrainingReport write_training_report(const std::string& dir, const ReportOptions& options = {});

}  // namespace nas
