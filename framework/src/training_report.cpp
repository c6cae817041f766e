// The training report; see nas/training_report.h for the contract.
#include "nas/training_report.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gnuplot.h"
#include "nas/csv.h"
#include "nas/error.h"
#include "run_files.h"

namespace nas {

namespace fs = std::filesystem;

namespace {

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

TrainingReport write_training_report(const std::string& dir, const ReportOptions& options) {
  const std::string log_path = dir + "/train_log.csv";
  const std::string metrics_path = dir + "/final_metrics.json";
  nlohmann::json m;
  CsvTable log;
  try {
    m = nlohmann::json::parse(read_text_file(metrics_path));
    log = read_csv(log_path);
  } catch (const std::exception& e) {
    throw UsageError(std::string("training report: ") + e.what());
  }
  TrainingReport report;
  try {
    std::ostringstream md;
    md << "| metric | value |\n|---|---|\n"
       << "| test top-1 | " << fixed(m.at("test_top1").get<double>(), 2) << " % |\n"
       << "| test top-5 | " << fixed(m.at("test_top5").get<double>(), 2) << " % |\n";
    if (m.at("best_validation_epoch").get<std::int64_t>() > 0) {
      md << "| best validation top-1 | " << fixed(m.at("best_validation_top1").get<double>(), 2)
         << " % (epoch " << m.at("best_validation_epoch").get<std::int64_t>() << ") |\n";
    }
    md << "| parameters | " << m.at("params").get<std::int64_t>() << " |\n"
       << "| FLOPs | " << fixed(m.at("flops").get<double>() / 1e6, 1) << " M |\n"
       << "| epochs, steps | " << m.at("epochs").get<std::int64_t>() << ", "
       << m.at("steps").get<std::int64_t>() << " |\n"
       << "| wall time | " << fixed(m.at("seconds").get<double>(), 1) << " s |\n";
    report.summary = md.str();
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(metrics_path + ": " + e.what());
  }

  // The curve's data: step, loss and top-1 of the train rows; step and top-1 of validation.
  std::string train_rows, validation_rows;
  try {
    const std::size_t step = log.column("step"), split = log.column("split"), loss = log.column("loss"),
              top1 = log.column("top1");
    for (const auto& row : log.rows) {
      const auto& kind = row[split];
      const auto& s = row[step];
      if (kind == "train") {
        train_rows += s + " " + row[loss] + " " +
                      row[top1] + "\n";
      } else if (kind == "validation") {
        validation_rows += s + " " + row[top1] + "\n";
      }
    }
  } catch (const std::exception& e) {
    throw UsageError(log_path + ": " + e.what());
  }

  if (train_rows.empty()) {
    report.warnings.push_back("no training curve: " + log_path + " has no train rows");
  } else if (const auto terminal = detail::plot_terminal(options, &report.warnings)) {
    std::error_code ec;
    fs::create_directories(fs::path(dir) / "plots", ec);
    const std::string image = "plots/training_curve." + terminal->extension;
    const std::string out = fs::absolute(fs::path(dir) / image).string();
    const bool drawn = !ec && detail::run_gnuplot(
                                  options.gnuplot,
                                  [&](const std::string& temp) {
                                    detail::GnuplotJob job;
                                    job.data["train.dat"] = train_rows;
                                    job.data["validation.dat"] = validation_rows;
                                    std::ostringstream gp;
                                    gp << terminal->line << "\nset output "
                                       << detail::gp_quote(out) << "\n"
                                       << "set multiplot layout 2,1\nset grid\nset key top right\n"
                                       << "set ylabel 'loss'\nunset xlabel\n"
                                       << "plot " << detail::gp_quote(temp + "/train.dat")
                                       << " using 1:2 with linespoints pt 7 ps 0.4 title "
                                          "'train loss (running mean)'\n"
                                       << "set ylabel 'top-1 (%)'\nset xlabel 'step'\n"
                                       << "set key bottom right\n"
                                       << "plot " << detail::gp_quote(temp + "/train.dat")
                                       << " using 1:3 with linespoints pt 7 ps 0.4 title "
                                          "'train (running mean)'"
                                       << (validation_rows.empty()
                                               ? std::string()
                                               : ", " + detail::gp_quote(temp + "/validation.dat") +
                                                     " using 1:2 with linespoints pt 5 ps 0.6 "
                                                     "title 'validation'")
                                       << "\nunset multiplot\n";
                                    job.script = gp.str();
                                    return job;
                                  },
                                  &report.warnings);
    if (ec) report.warnings.push_back("plots failed: " + dir + "/plots: " + ec.message());
    if (drawn && fs::exists(out)) report.curve = image;
  }

  std::string md = "# Training report\n\n" + report.summary;
  if (!report.curve.empty()) md += "\n![training curve](" + report.curve + ")\n";
  if (!report.warnings.empty()) {
    md += "\n## Warnings\n\n";
    for (const auto& w : report.warnings) md += "* " + w + "\n";
  }
  md += "\nThe log: [train_log.csv](train_log.csv); the metrics: "
        "[final_metrics.json](final_metrics.json).\n";
  detail::write_file_atomic(dir + "/report.md", md);
  return report;
}

}  // namespace nas
