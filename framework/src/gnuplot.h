// Internal: drawing with gnuplot, for the correlation report and the training report.
//
// Contract: plots are never worth failing a run for. plot_terminal() picks gnuplot's terminal
// for the options' format (pngcairo, else png; or svg), or returns nothing and adds a warning
// saying why (plots disabled, gnuplot missing with the Debian package to install, a terminal
// gnuplot lacks). run_gnuplot() makes a temporary folder, asks `plan` for the script and its
// data files (named relative to that folder, which `plan` receives so that the script can name
// them), writes them, runs gnuplot and removes the folder; any failure (a write, gnuplot's
// exit status with the first lines it printed) is a warning and false.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nas/report.h"

namespace nas::detail {

struct PlotTerminal {
  std::string line;       // "set terminal ..."
  std::string extension;  // png or svg
};

std::optional<PlotTerminal> plot_terminal(const ReportOptions& options,
                                          std::vector<std::string>* warnings);

struct GnuplotJob {
  std::string script;
  std::map<std::string, std::string> data;  // file name in the temporary folder -> content
};

bool run_gnuplot(const std::string& gnuplot,
                 const std::function<GnuplotJob(const std::string& temp)>& plan,
                 std::vector<std::string>* warnings);

// A gnuplot single-quoted string (a quote is doubled).
std::string gp_quote(const std::string& text);

}  // namespace nas::detail
