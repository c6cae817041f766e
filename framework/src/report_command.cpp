// `nas report RUN_DIR`; see nas/report_command.h for the contract.
#include "nas/report_command.h"
#include "nas/search_space.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "nas/error.h"
#include "nas/ground_truth.h"
#include "nas/paths.h"
#include "nas/plugin_loader.h"
#include "nas/csv.h"
#include "nas/registry.h"
#include "run_files.h"
#include "run_manifest.h"

namespace nas {

namespace fs = std::filesystem;

namespace {

// Copies the files `vote.save()` writes into `dir`, skipping names that already exist there.
void save_vote_state(const Vote& vote, const std::string& dir, std::vector<std::string>* written,
                     std::vector<std::string>* notes) {
  const fs::path temp = make_temp_dir("nas_vote_state_");
  std::error_code ec;
  try {
    vote.save(temp.string());
    for (const auto& entry : fs::directory_iterator(temp)) {
      const fs::path target = fs::path(dir) / entry.path().filename();
      if (fs::exists(target)) {
        notes->push_back("the refitted vote's " + entry.path().filename().string() +
                         " was not written: the run directory already has one (the run's own)");
        continue;
      }
      fs::copy_file(entry.path(), target);
      written->push_back(target.string());
    }
  } catch (...) {
    fs::remove_all(temp, ec);
    throw;
  }
  fs::remove_all(temp, ec);
}

}  // namespace

ReportCommandResult report_run_dir(const std::string& dir, const ReportCommandOptions& options) {
  // ---- Everything that can fail on bad input happens before the first write. ----
  if (!fs::is_directory(dir)) throw UsageError(dir + ": no such run directory");
  const std::string manifest_path = (fs::path(dir) / "run.json").string();
  const std::string scores_path = (fs::path(dir) / "scores.csv").string();
  {
    std::vector<std::string> missing;
    if (!fs::is_regular_file(manifest_path)) missing.push_back("run.json");
    if (!fs::is_regular_file(scores_path)) missing.push_back("scores.csv");
    if (!missing.empty()) {
      throw UsageError(dir + " is not a complete run directory: it has no " +
                       join(missing, " and no ") + " (`nas run` writes both); nothing was written");
    }
  }
  if (!options.benchmark.empty() && !options.path.empty()) {
    throw UsageError("nas report: give a ground-truth benchmark or a path, not both");
  }
  const detail::RunManifest manifest = detail::RunManifest::read(manifest_path);

  // Plugin code comes only from the user's own environment (never from paths the run
  // directory names): the proxies' directions are in the manifest, and only votes need code.
  load_plugins(options.plugin_paths);
  Registry& reg = Registry::global();
  std::vector<std::string> notes;

  // Ground truth: options first, then the manifest.
  std::string gt_benchmark = manifest.gt_benchmark, gt_path = manifest.gt_path,
              gt_arch_column = manifest.gt_arch_column;
  std::string gt_column = manifest.gt_columns.empty() ? "" : manifest.gt_columns.front();
  if (!options.benchmark.empty() || !options.path.empty()) {
    gt_benchmark = options.benchmark;
    gt_path = options.path;
    gt_arch_column = "arch";  // the manifest's arch column belongs to its own table
  }
  if (!options.column.empty()) gt_column = options.column;
  if (!options.arch_column.empty()) gt_arch_column = options.arch_column;
  if (gt_benchmark.empty() && gt_path.empty()) {
    throw UsageError(manifest_path +
                     ": the run had no ground_truth section and no ground truth was given: pass "
                     "a benchmark (valid: " +
                     (reg.benchmark_names().empty() ? std::string("none loaded")
                                                    : join(reg.benchmark_names())) +
                     ") or a CSV path, and a column; nothing was written");
  }
  if (gt_column.empty()) {
    throw UsageError(
        "nas report: no ground-truth column: give one (e.g. cifar10_valid_test); "
        "nothing was written");
  }
  auto table_path_of = [&](const std::string& benchmark, const std::string& path) {
    if (benchmark.empty()) return path;
    if (const BenchmarkTable* b = reg.find_benchmark(benchmark)) return b->path;
    if (!path.empty() && benchmark == manifest.gt_benchmark) return path;  // as the run had it
    throw UsageError("nas report: unknown benchmark '" + printable(benchmark) + "'; valid: " +
                     join(reg.benchmark_names()));
  };
  auto load_truth = [&](const std::string& path, const std::string& column,
                        const std::string& arch_column) {
    try {
      return std::make_unique<GroundTruth>(path, column, arch_column);
    } catch (const UsageError&) {
      throw;
    } catch (const Error& e) {
      throw UsageError(std::string("ground truth: ") + e.what());
    }
  };
  const std::string table_path = table_path_of(gt_benchmark, gt_path);
  std::unique_ptr<GroundTruth> truth_table = load_truth(table_path, gt_column, gt_arch_column);

  // Scores: the rows of the run's own configuration (proxy and config hash); the last row of an
  // (architecture, proxy) pair wins.
  std::map<std::string, std::string> hash_of;
  std::vector<std::string> names;
  for (const auto& p : manifest.proxies) {
    hash_of[p.component.name] = p.config_hash;
    names.push_back(p.component.name);
  }
  const detail::ScoresFile file = detail::read_scores_file(scores_path);
  if (!file.dropped_line.empty()) notes.push_back("the incomplete last line of scores.csv was ignored");
  std::vector<const detail::ScoreRow*> rows;
  std::size_t ignored = 0;
  for (const auto& r : file.rows) {
    if (is_supernet_arch(Arch(manifest.space.type, r.arch))) continue;  // a pruning search's
    auto h = hash_of.find(r.record.proxy);
    if (h == hash_of.end() || h->second != r.config_hash) {
      ++ignored;
      continue;
    }
    rows.push_back(&r);
  }
  if (ignored) {
    notes.push_back(std::to_string(ignored) +
                    " rows of scores.csv belong to other configurations or proxies the run does "
                    "not name, and were ignored");
  }
  ScoreTable table(names);
  const std::string space = manifest.space.type;
  const std::string rows_path = (fs::path(dir) / manifest.rows_file).string();
  if (!manifest.rows_file.empty() && fs::is_regular_file(rows_path)) {
    // The run's own row order (votes such as a sort-ranked majority depend on it).
    std::istringstream in(read_text_file(rows_path));
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) table.set(Arch(space, line), names.front(),
                                   std::numeric_limits<double>::quiet_NaN());
    }
  } else {
    notes.push_back("the run did not finish (no rows file): rows are in scores.csv order");
  }
  for (const auto* r : rows) table.set(Arch(space, r->arch), r->record.proxy, r->record.score);
  if (rows.empty()) throw UsageError(scores_path + ": no scores of the run's configuration");

  auto truth_of = [&](const GroundTruth& gt) {
    std::vector<double> out(table.rows(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t r = 0; r < table.rows(); ++r) {
      double t;
      if (gt.lookup(table.archs()[r], &t)) out[r] = t;
    }
    return out;
  };
  const std::vector<double> truth = truth_of(*truth_table);

  std::vector<ScoreColumn> columns;
  for (const auto& p : manifest.proxies) {
    columns.push_back(
        {p.component.name, p.higher_is_better,
         table.column_values(static_cast<std::size_t>(table.column(p.component.name)))});
  }

  // The votes, created from the user's plugins with the run's parameters. A vote the run fitted
  // is fitted again on exactly the rows and ground truth it was fitted on then.
  std::vector<std::pair<std::string, std::shared_ptr<Vote>>> fitted;
  for (const auto& mv : manifest.votes) {
    const Component<Vote>* component = reg.votes.find(mv.component.type);
    if (!component) {
      throw UsageError("nas report: the run's vote '" + mv.component.name + "' needs the vote '" +
                       mv.component.type +
                       "', which no loaded plugin provides (valid votes: " +
                       join(reg.votes.names()) + "); nothing was written");
    }
    // The schema's defaults under the recorded values: a manifest lists every parameter the
    // run resolved, and a parameter added to the vote since then takes its default.
    Params params = Params::defaults(component->schema, "vote '" + mv.component.type + "'");
    for (const auto& [k, v] : mv.component.params.values()) params.set(k, v);
    std::shared_ptr<Vote> vote = component->create(params);
    for (const auto& input : vote->inputs()) {
      if (table.column(input) < 0) {
        throw UsageError(manifest_path + ": vote '" + mv.component.name + "' needs proxy '" +
                         input + "', which the run did not compute (computed: " + join(names) +
                         ")");
      }
    }
    if (vote->needs_fit()) {
      if (mv.fit_rows && !manifest.gt_columns.empty() && *mv.fit_rows <= table.rows()) {
        ScoreTable prefix(names);
        for (std::size_t r = 0; r < *mv.fit_rows; ++r) {
          for (std::size_t c = 0; c < names.size(); ++c)
            prefix.set(table.archs()[r], names[c], table.get(r, c));
        }
        const auto run_truth =
            load_truth(table_path_of(manifest.gt_benchmark, manifest.gt_path),
                       manifest.gt_columns.front(), manifest.gt_arch_column);
        std::vector<double> targets(prefix.rows(), std::numeric_limits<double>::quiet_NaN());
        for (std::size_t r = 0; r < prefix.rows(); ++r) {
          double t;
          if (run_truth->lookup(prefix.archs()[r], &t)) targets[r] = t;
        }
        vote->fit(prefix, targets);
        notes.push_back("vote '" + mv.component.name + "' was fitted as the run fitted it (its " +
                        "first " + std::to_string(*mv.fit_rows) + " rows, `" +
                        manifest.gt_columns.front() + "`); it is judged on its held-out rows");
      } else {
        vote->fit(table, truth);
        notes.push_back("vote '" + mv.component.name + "' was fitted on the ground truth of " +
                        "every row; it is judged on its held-out rows only");
      }
      fitted.push_back({mv.component.name, vote});
    }
    columns.push_back(vote_report_column(*vote, mv.component.name, table));
  }

  CorrelationReport report = correlate(columns, truth);
  report.benchmark = gt_benchmark.empty() ? table_path : gt_benchmark;
  report.column = gt_column;

  // ---- Write. ----
  ReportOptions ro;
  ro.plot_format = options.plot_format;
  ro.gnuplot = options.gnuplot;
  ro.title = "Correlation report" + (manifest.name.empty() ? std::string() : ": " + manifest.name);
  ro.notes = notes;
  ro.notes.push_back("rebuilt by `nas report` from " + std::to_string(rows.size()) +
                     " rows of scores.csv (" + std::to_string(table.rows()) +
                     " architectures; the last row of an architecture and proxy wins)");
  std::vector<std::string> state_notes, written;
  for (const auto& [name, vote] : fitted) {
    const std::string vote_dir = dir + "/votes/" + name;
    fs::create_directories(vote_dir);
    save_vote_state(*vote, vote_dir, &written, &state_notes);
  }
  ro.notes.insert(ro.notes.end(), state_notes.begin(), state_notes.end());
  ReportCommandResult result{report, write_full_report(report, columns, truth, dir, ro)};
  result.files.written.insert(result.files.written.end(), written.begin(), written.end());
  return result;
}

}  // namespace nas
