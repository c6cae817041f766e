// Correlation report; see nas/report.h for the contract.
#include "nas/report.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "gnuplot.h"
#include "nas/error.h"
#include "nas/paths.h"
#include "nas/vote.h"
#include "nas/metrics.h"

namespace nas {

namespace fs = std::filesystem;

CorrelationReport correlate(const std::vector<ScoreColumn>& columns,
                            const std::vector<double>& truth) {
  CorrelationReport report;
  report.archs = truth.size();
  for (double t : truth) report.with_truth += std::isfinite(t) ? 1 : 0;
  report.oracle_top_small_mean_truth = top_k_mean_truth(truth, truth, report.top_small);
  report.oracle_top_large_mean_truth = top_k_mean_truth(truth, truth, report.top_large);
  for (const auto& c : columns) {
    if (c.values.size() != truth.size()) {
      throw Error("report: column '" + c.name + "' has " + std::to_string(c.values.size()) +
                  " values for " + std::to_string(truth.size()) + " architectures");
    }
    if (!c.mask.empty() && c.mask.size() != truth.size()) {
      throw Error("report: column '" + c.name + "' has a mask of " + std::to_string(c.mask.size()) +
                  " rows for " + std::to_string(truth.size()) + " architectures");
    }
    // The judged rows: all, or those the mask selects.
    std::vector<double> values, target;
    values.reserve(truth.size());
    target.reserve(truth.size());
    for (std::size_t i = 0; i < truth.size(); ++i) {
      if (!c.mask.empty() && !c.mask[i]) continue;
      values.push_back(c.values[i]);
      target.push_back(truth[i]);
    }
    ProxyCorrelation row;
    row.name = c.name;
    row.higher_is_better = c.higher_is_better;
    row.rows = values.size();
    row.masked = !c.mask.empty();
    for (double v : values) row.non_finite += std::isfinite(v) ? 0 : 1;
    row.pairs = count_finite_pairs(values, target);
    row.spearman = spearman(values, target);
    row.kendall = kendall_tau_b(values, target);
    row.pearson = pearson(values, target);
    row.rmse_linear = rmse_after_linear_fit(values, target);
    std::vector<double> oriented = values;
    if (!c.higher_is_better) {
      for (double& v : oriented) v = -v;
    }
    row.top_small_precision = top_k_precision(oriented, target, report.top_small);
    row.top_large_precision = top_k_precision(oriented, target, report.top_large);
    row.top_small_mean_truth = top_k_mean_truth(oriented, target, report.top_small);
    row.top_large_mean_truth = top_k_mean_truth(oriented, target, report.top_large);
    report.rows.push_back(row);
  }
  return report;
}

namespace {

std::string printf_double(const char* format, double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}
std::string fixed(double v) { return printf_double("%+.3f", v); }
std::string plain(double v) { return printf_double("%.3f", v); }
std::string percent(double fraction) { return printf_double("%g", fraction * 100.0) + "%"; }
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw Error(path + ": cannot open for writing");
  out << text;
  out.flush();
  if (!out) throw Error(path + ": write failed");
}

std::string correlation_json(const CorrelationReport& r) {
  nlohmann::json j;
  j["benchmark"] = r.benchmark;
  j["column"] = r.column;
  j["archs"] = r.archs;
  j["with_truth"] = r.with_truth;
  j["top_small_fraction"] = r.top_small;
  j["top_large_fraction"] = r.top_large;
  j["oracle_top_small_mean_truth"] = number(r.oracle_top_small_mean_truth);
  j["oracle_top_large_mean_truth"] = number(r.oracle_top_large_mean_truth);
  j["proxies"] = nlohmann::json::array();
  for (const auto& row : r.rows) {
    j["proxies"].push_back({{"name", row.name},
                            {"higher_is_better", row.higher_is_better},
                            {"rows", row.rows},
                            {"held_out_only", row.masked},
                            {"pairs", row.pairs},
                            {"non_finite", row.non_finite},
                            {"spearman", number(row.spearman)},
                            {"kendall", number(row.kendall)},
                            {"pearson", number(row.pearson)},
                            {"rmse_linear", number(row.rmse_linear)},
                            {"top_small_precision", number(row.top_small_precision)},
                            {"top_large_precision", number(row.top_large_precision)},
                            {"top_small_mean_truth", number(row.top_small_mean_truth)},
                            {"top_large_mean_truth", number(row.top_large_mean_truth)}});
  }
  return j.dump(2) + "\n";
}

std::string metric_notes(const CorrelationReport& r) {
  std::string out;
  out +=
      "* Spearman (average ranks), Kendall tau-b and Pearson are signed and use the rows where "
      "both the score and the truth are finite (`pairs`): a lower-is-better proxy should be "
      "negative.\n";
  out += "* RMSE: root mean squared error of `" + r.column +
         "` predicted from the score by a least-squares line.\n";
  out += "* P@" + percent(r.top_small) + ", P@" + percent(r.top_large) +
         ": top-k precision, |top k by score ∩ top k by truth| / k, with k = ceil(" +
         percent(r.top_small) + " or " + percent(r.top_large) +
         " of the pairs); mean@k: the mean truth of the k best by score (an oracle reaches " +
         plain(r.oracle_top_small_mean_truth) + " and " + plain(r.oracle_top_large_mean_truth) +
         " over all rows with truth). Both follow the column's direction (`better`).\n";
  bool any_masked = false;
  for (const auto& row : r.rows) any_masked = any_masked || row.masked;
  if (any_masked) {
    out +=
        "* Columns marked *(held-out)* are fitted votes, judged only on the rows their fit "
        "did not use (`rows`).\n";
  }
  return out;
}

}  // namespace

std::string format_report(const CorrelationReport& r) {
  std::string out = "Correlation with `" + r.column + "` (" + r.benchmark + "), " +
                    std::to_string(r.with_truth) + " of " + std::to_string(r.archs) +
                    " architectures in the table\n\n";
  const std::string s = percent(r.top_small), l = percent(r.top_large);
  out += "| proxy | better | Spearman | Kendall | Pearson | RMSE | P@" + s + " | P@" + l +
         " | mean@" + s + " | mean@" + l + " | pairs | non-finite |\n";
  out += "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& row : r.rows) {
    out += "| " + row.name + (row.masked ? " *(held-out)*" : "") + " | " +
           (row.higher_is_better ? "higher" : "lower") + " | " + fixed(row.spearman) + " | " +
           fixed(row.kendall) + " | " + fixed(row.pearson) + " | " + plain(row.rmse_linear) +
           " | " + plain(row.top_small_precision) + " | " + plain(row.top_large_precision) + " | " +
           plain(row.top_small_mean_truth) + " | " + plain(row.top_large_mean_truth) + " | " +
           std::to_string(row.pairs) + " | " + std::to_string(row.non_finite) + " |\n";
  }
  return out;
}

void write_report(const CorrelationReport& r, const std::string& dir) {
  write_file(dir + "/correlation.json", correlation_json(r));
  write_file(dir + "/correlation.md",
             "# Correlation report\n\n" + format_report(r) + "\n" + metric_notes(r));
}

namespace {

using detail::gp_quote;

std::string safe_file_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    out += ok ? c : '_';
  }
  return out.empty() ? std::string("column") : out;
}

struct PlotJob {
  std::string script;                                       // the gnuplot script
  std::map<std::string, std::string> data;                  // file name in the temp dir -> content
  std::vector<std::pair<std::string, std::string>> images;  // (caption, path relative to dir)
  std::vector<std::string> warnings;
};

// Builds the scripts and data in memory; nothing is written here.
PlotJob plan_plots(const CorrelationReport& report, const std::vector<ScoreColumn>& columns,
                   const std::vector<double>& truth, const std::string& dir,
                   const std::string& terminal, const std::string& extension,
                   const std::string& temp) {
  PlotJob job;
  std::ostringstream gp;
  gp << terminal << "\n";
  std::set<std::string> used;
  auto unique_name = [&](const std::string& base) {
    std::string name = base;
    for (int i = 2; used.count(name); ++i) name = base + "_" + std::to_string(i);
    used.insert(name);
    return name;
  };

  // Bar chart of oriented correlations.
  {
    std::ostringstream dat;
    for (const auto& row : report.rows) {
      const double sign = row.higher_is_better ? 1.0 : -1.0;
      auto value = [&](double v) {
        return std::isfinite(v) ? printf_double("%.6f", sign * v) : std::string("?");
      };
      std::string label = row.name + (row.masked ? " (held-out)" : "");
      for (char& c : label) c = c == '"' ? '\'' : c;
      dat << '"' << label << "\" " << value(row.spearman) << " " << value(row.kendall) << "\n";
    }
    job.data["bars.dat"] = dat.str();
    const std::string image = "plots/" + unique_name("correlation_bars") + "." + extension;
    gp << "set output " << gp_quote(dir + "/" + image) << "\n"
       << "set datafile missing '?'\n"
       << "set title "
       << gp_quote("Rank correlation with " + report.column +
                   " (sign flipped for lower-is-better columns)")
       << "\n"
       << "set style data histogram\nset style histogram clustered gap 1\n"
       << "set style fill solid 0.8 border -1\nset yrange [-1:1]\nset grid ytics\n"
       << "set xtics rotate by -30\nset key top right\n"
       << "plot " << gp_quote(temp + "/bars.dat") << " using 2:xtic(1) title 'Spearman', '' "
       << "using 3 title 'Kendall tau-b'\n"
       << "reset\n";
    job.images.push_back({"Spearman and Kendall per column", image});
  }

  // One scatter per column: score percentile rank vs truth.
  for (std::size_t c = 0; c < columns.size() && c < report.rows.size(); ++c) {
    const ScoreColumn& col = columns[c];
    const ProxyCorrelation& row = report.rows[c];
    std::vector<double> score, target;
    for (std::size_t i = 0; i < truth.size(); ++i) {
      if (!col.mask.empty() && !col.mask[i]) continue;
      if (!std::isfinite(col.values[i]) || !std::isfinite(truth[i])) continue;
      score.push_back(col.higher_is_better ? col.values[i] : -col.values[i]);
      target.push_back(truth[i]);
    }
    if (score.size() < 2) {
      job.warnings.push_back("no scatter plot for '" + col.name +
                             "': fewer than two rows with "
                             "a finite score and truth");
      continue;
    }
    const std::vector<double> ranks = average_ranks(score);
    const double n = static_cast<double>(score.size());
    std::ostringstream dat;
    for (std::size_t i = 0; i < score.size(); ++i) {
      dat << printf_double("%.6f", (ranks[i] - 1.0) / (n - 1.0)) << " "
          << printf_double("%.17g", target[i]) << "\n";
    }
    const std::string base = unique_name("scatter_" + safe_file_name(col.name));
    job.data[base + ".dat"] = dat.str();
    const std::string image = "plots/" + base + "." + extension;
    gp << terminal << "\n"
       << "set output " << gp_quote(dir + "/" + image) << "\n"
       << "set title "
       << gp_quote(col.name + (row.masked ? " (held-out rows)" : "") + ": Spearman " +
                   fixed(row.spearman) + ", Kendall " + fixed(row.kendall) + ", " +
                   std::to_string(row.pairs) + " pairs")
       << "\n"
       << "set xlabel 'score rank, percentile (right = predicted better)'\n"
       << "set ylabel " << gp_quote(report.column) << "\n"
       << "set xrange [0:1]\nset grid\nunset key\n"
       << "plot " << gp_quote(temp + "/" + base + ".dat")
       << " using 1:2 with points pt 7 ps 0.5 lc rgb '#601f77b4'\n"
       << "reset\n";
    job.images.push_back({col.name + (row.masked ? " (held-out rows)" : ""), image});
  }
  job.script = gp.str();
  return job;
}

}  // namespace

ReportFiles write_full_report(const CorrelationReport& report,
                              const std::vector<ScoreColumn>& columns,
                              const std::vector<double>& truth, const std::string& dir,
                              const ReportOptions& options) {
  if (columns.size() != report.rows.size()) {
    throw Error("report: " + std::to_string(columns.size()) + " columns for a report of " +
                std::to_string(report.rows.size()));
  }
  if (options.plot_format != "png" && options.plot_format != "svg" &&
      options.plot_format != "none") {
    throw UsageError("report: plot format '" + options.plot_format +
                     "' is not one of png, svg, none");
  }
  ReportFiles files;
  write_report(report, dir);
  files.written.push_back(dir + "/correlation.json");
  files.written.push_back(dir + "/correlation.md");

  // Plots: any failure is a warning.
  std::vector<std::pair<std::string, std::string>> images;
  if (const auto terminal = detail::plot_terminal(options, &files.warnings)) {
    std::error_code ec;
    fs::create_directories(fs::path(dir) / "plots", ec);
    if (ec) {
      files.warnings.push_back("plots failed: " + dir + "/plots: cannot create (" +
                               ec.message() + ")");
    } else {
      PlotJob job;
      const bool drawn = detail::run_gnuplot(
          options.gnuplot,
          [&](const std::string& temp) {
            job = plan_plots(report, columns, truth, fs::absolute(dir).string(), terminal->line,
                             terminal->extension, temp);
            return detail::GnuplotJob{job.script, job.data};
          },
          &files.warnings);
      for (auto& w : job.warnings) files.warnings.push_back(std::move(w));
      for (const auto& image : job.images) {
        if (drawn && fs::exists(fs::path(dir) / image.second)) {
          images.push_back(image);
          files.written.push_back(dir + "/" + image.second);
        }
      }
    }
  }

  std::string md =
      "# " + (options.title.empty() ? std::string("Correlation report") : options.title) + "\n\n";
  md += format_report(report) + "\n" + metric_notes(report);
  for (const auto& note : options.notes) md += "* " + note + "\n";
  md += "\nMachine-readable: [correlation.json](correlation.json).\n";
  if (!files.warnings.empty()) {
    md += "\n## Warnings\n\n";
    for (const auto& w : files.warnings) md += "* " + w + "\n";
  }
  if (!images.empty()) {
    md +=
        "\n## Plots\n\nScatter plots: the score's rank as a percentile (0 = worst, 1 = best, in "
        "the column's direction) against `" +
        report.column + "`, over the rows with a finite score and truth.\n";
    for (const auto& [caption, path] : images) {
      md += "\n### " + caption + "\n\n![" + caption + "](" + path + ")\n";
    }
  }
  write_file(dir + "/report.md", md);
  files.written.push_back(dir + "/report.md");
  return files;
}

ScoreColumn vote_report_column(const Vote& vote, const std::string& name, const ScoreTable& table) {
  ScoreColumn column;
  column.name = "vote:" + name;
  column.higher_is_better = true;
  column.values = vote.rank(table);
  std::vector<bool> held = vote.held_out(table);
  bool all = held.size() == table.rows();
  for (bool h : held) all = all && h;
  if (!all) column.mask = std::move(held);
  return column;
}

}  // namespace nas
