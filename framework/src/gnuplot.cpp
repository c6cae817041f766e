// Drawing with gnuplot; see gnuplot.h for the contract.
#include "gnuplot.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "nas/error.h"
#include "nas/paths.h"

namespace nas::detail {

namespace fs = std::filesystem;

namespace {

// POSIX shell single-quoting.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool command_ok(const std::string& command) { return std::system(command.c_str()) == 0; }

bool program_exists(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  return command_ok("command -v " + shell_quote(program) + " >/dev/null 2>&1");
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.flush();
  if (!out) throw Error(path + ": cannot write");
}

}  // namespace

std::string gp_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::optional<PlotTerminal> plot_terminal(const ReportOptions& options,
                                          std::vector<std::string>* warnings) {
  if (options.plot_format == "none" || options.gnuplot.empty()) {
    warnings->push_back("plots disabled");
    return std::nullopt;
  }
  if (!program_exists(options.gnuplot)) {
    warnings->push_back("plots skipped: gnuplot ('" + options.gnuplot +
                        "') was not found; install gnuplot (Debian: gnuplot-nox)");
    return std::nullopt;
  }
  auto has = [&](const std::string& terminal) {
    return command_ok(shell_quote(options.gnuplot) + " -e " +
                      shell_quote("set terminal " + terminal) + " </dev/null >/dev/null 2>&1");
  };
  if (options.plot_format == "svg") {
    if (has("svg")) return PlotTerminal{"set terminal svg noenhanced size 800,600 background rgb 'white'", "svg"};
    warnings->push_back("plots skipped: gnuplot has no svg terminal");
    return std::nullopt;
  }
  if (has("pngcairo")) return PlotTerminal{"set terminal pngcairo noenhanced size 800,600", "png"};
  if (has("png")) return PlotTerminal{"set terminal png noenhanced truecolor size 800,600", "png"};
  warnings->push_back(
      "plots skipped: gnuplot has neither the pngcairo nor the png terminal (try plot format "
      "svg)");
  return std::nullopt;
}

bool run_gnuplot(const std::string& gnuplot,
                 const std::function<GnuplotJob(const std::string& temp)>& plan,
                 std::vector<std::string>* warnings) {
  const std::string temp = make_temp_dir("nas_plot_");
  bool ok = false;
  try {
    const GnuplotJob job = plan(temp);
    for (const auto& [name, text] : job.data) write_text(temp + "/" + name, text);
    write_text(temp + "/plots.gp", job.script);
    const std::string log = temp + "/gnuplot.log";
    ok = command_ok(shell_quote(gnuplot) + " " + shell_quote(temp + "/plots.gp") + " </dev/null >" +
                    shell_quote(log) + " 2>&1");
    if (!ok) {
      std::ifstream in(log);
      std::string first, line;
      while (std::getline(in, line) && first.size() < 300) {
        if (!line.empty()) first += (first.empty() ? "" : " / ") + line;
      }
      warnings->push_back("plots failed: gnuplot reported: " + first);
    }
  } catch (const std::exception& e) {
    warnings->push_back(std::string("plots failed: ") + e.what());
    ok = false;
  }
  std::error_code ec;
  fs::remove_all(temp, ec);
  return ok;
}

}  // namespace nas::detail
