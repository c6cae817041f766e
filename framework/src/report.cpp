#include "nas/report.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nas/error.h"
#include "nas/metrics.h"

namespace nas {

CorrelationReport correlate(const std::vector<ScoreColumn>& columns,
                            const std::vector<double>& truth) {
  CorrelationReport report;
  report.archs = truth.size();
  for (double t : truth) report.with_truth += std::isfinite(t) ? 1 : 0;
  for (const auto& c : columns) {
    if (c.values.size() != truth.size()) {
      throw Error("report: column '" + c.name + "' has " + std::to_string(c.values.size()) +
                  " values for " + std::to_string(truth.size()) + " architectures");
    }
    ProxyCorrelation row;
    row.name = c.name;
    row.higher_is_better = c.higher_is_better;
    for (double v : c.values) row.non_finite += std::isfinite(v) ? 0 : 1;
    row.pairs = count_finite_pairs(c.values, truth);
    row.spearman = spearman(c.values, truth);
    row.kendall = kendall_tau_b(c.values, truth);
    row.pearson = pearson(c.values, truth);
    report.rows.push_back(row);
  }
  return report;
}

namespace {
std::string fixed(double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.3f", v);
  return buf;
}
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }
}  // namespace

std::string format_report(const CorrelationReport& r) {
  std::string out = "Correlation with `" + r.column + "` (" + r.benchmark + "), " +
                    std::to_string(r.with_truth) + " of " + std::to_string(r.archs) +
                    " architectures in the table\n\n";
  out += "| proxy | better | Spearman | Kendall | Pearson | pairs | non-finite |\n";
  out += "|---|---|---:|---:|---:|---:|---:|\n";
  for (const auto& row : r.rows) {
    out += "| " + row.name + " | " + (row.higher_is_better ? "higher" : "lower") + " | " +
           fixed(row.spearman) + " | " + fixed(row.kendall) + " | " + fixed(row.pearson) + " | " +
           std::to_string(row.pairs) + " | " + std::to_string(row.non_finite) + " |\n";
  }
  return out;
}

void write_report(const CorrelationReport& r, const std::string& dir) {
  nlohmann::json j;
  j["benchmark"] = r.benchmark;
  j["column"] = r.column;
  j["archs"] = r.archs;
  j["with_truth"] = r.with_truth;
  j["proxies"] = nlohmann::json::array();
  for (const auto& row : r.rows) {
    j["proxies"].push_back({{"name", row.name},
                            {"higher_is_better", row.higher_is_better},
                            {"pairs", row.pairs},
                            {"non_finite", row.non_finite},
                            {"spearman", number(row.spearman)},
                            {"kendall", number(row.kendall)},
                            {"pearson", number(row.pearson)}});
  }
  std::ofstream(dir + "/correlation.json") << j.dump(2) << "\n";
  std::ofstream(dir + "/correlation.md") << "# Correlation report\n\n" << format_report(r);
}

}  // namespace nas
