// `nas report RUN_DIR`; see nas/report_command.h for the contract.
#include "nas/report_command.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>

#include "config_yaml.h"
#include "nas/error.h"
#include "nas/ground_truth.h"
#include "nas/plugin_loader.h"
#include "nas/proxy.h"
#include "nas/registry.h"
#include "run_files.h"

namespace nas {

namespace fs = std::filesystem;

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

namespace {

struct ProxyEntry {
  std::string type;
  std::string name;
  bool higher_is_better = true;
};

std::vector<std::string> plugin_dirs(const std::string& file, const YAML::Node& root) {
  std::vector<std::string> out;
  if (const YAML::Node run = root["run"]; run && run.IsMap()) {
    for (auto& p : detail::get_string_list(file, run, "plugin_paths", "run")) out.push_back(p);
  }
  if (const YAML::Node plugins = root["plugins"]; plugins && plugins.IsMap()) {
    for (auto& p : detail::get_string_list(file, plugins, "paths", "plugins")) out.push_back(p);
  }
  return out;
}

// Copies the files `vote.save()` writes into `dir`, skipping names that already exist there.
void save_vote_state(const Vote& vote, const std::string& dir, std::vector<std::string>* written,
                     std::vector<std::string>* notes) {
  std::random_device rd;
  const fs::path temp = fs::temp_directory_path() /
                        ("nas_vote_state_" + std::to_string(rd()) + "_" + std::to_string(rd()));
  std::error_code ec;
  fs::create_directories(temp, ec);
  if (ec) throw Error(temp.string() + ": cannot create (" + ec.message() + ")");
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
  const std::string config_path = (fs::path(dir) / "config.resolved.yaml").string();
  const std::string scores_path = (fs::path(dir) / "scores.csv").string();
  {
    std::vector<std::string> missing;
    if (!fs::is_regular_file(config_path)) missing.push_back("config.resolved.yaml");
    if (!fs::is_regular_file(scores_path)) missing.push_back("scores.csv");
    if (!missing.empty()) {
      throw UsageError(dir + " is not a complete run directory: it has no " +
                       join(missing, " and no ") + " (`nas run` writes both); nothing was written");
    }
  }
  if (!options.benchmark.empty() && !options.path.empty()) {
    throw UsageError("nas report: give a ground-truth benchmark or a path, not both");
  }
  const std::string& f = config_path;
  YAML::Node root;
  try {
    root = YAML::LoadFile(config_path);
  } catch (const YAML::ParserException& e) {
    throw UsageError(config_path + ":" + std::to_string(e.mark.line + 1) +
                     ": malformed YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw UsageError(config_path + ": cannot read YAML: " + e.msg);
  }
  if (!root.IsMap()) throw UsageError(config_path + ": not a YAML mapping of sections");

  std::vector<std::string> dirs = plugin_dirs(f, root);
  dirs.insert(dirs.end(), options.plugin_paths.begin(), options.plugin_paths.end());
  load_plugins(dirs);
  Registry& reg = Registry::global();
  std::vector<std::string> notes;

  // Ground truth: options first, then the config.
  std::string gt_benchmark, gt_path, gt_column, gt_arch_column = "arch";
  const YAML::Node g = root["ground_truth"];
  if (g) detail::require_map(f, g, "ground_truth");
  if (g) {
    gt_benchmark = detail::get_string(f, g, "benchmark", "ground_truth", "");
    gt_path = detail::get_string(f, g, "path", "ground_truth", "");
    // `column` may be a list; the report is for its first entry unless --column says otherwise.
    const auto columns = detail::get_string_list(f, g, "column", "ground_truth");
    if (!columns.empty()) gt_column = columns.front();
    gt_arch_column = detail::get_string(f, g, "arch_column", "ground_truth", "arch");
  }
  if (!options.benchmark.empty() || !options.path.empty()) {
    gt_benchmark = options.benchmark;
    gt_path = options.path;
    if (g) gt_arch_column = "arch";  // the config's arch column belongs to its own table
  }
  if (!options.column.empty()) gt_column = options.column;
  if (!options.arch_column.empty()) gt_arch_column = options.arch_column;
  if (gt_benchmark.empty() && gt_path.empty()) {
    throw UsageError(config_path +
                     " has no ground_truth section and no ground truth was given: pass a "
                     "benchmark (valid: " +
                     (reg.benchmarks.names().empty() ? std::string("none loaded")
                                                     : join(reg.benchmarks.names())) +
                     ") or a CSV path, and a column; nothing was written");
  }
  if (gt_column.empty()) {
    throw UsageError(
        "nas report: no ground-truth column: give one (e.g. cifar10_valid_test); "
        "nothing was written");
  }
  std::string table_path = gt_path;
  if (!gt_benchmark.empty()) table_path = reg.benchmarks.get(gt_benchmark).create(Params())->path;
  std::unique_ptr<GroundTruth> truth_table;
  try {
    truth_table = std::make_unique<GroundTruth>(table_path, gt_column, gt_arch_column);
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError(std::string("ground truth: ") + e.what());
  }

  // Proxies named by the config, with their directions.
  std::string space_name;
  if (const YAML::Node s = root["search_space"]; s && s.IsMap() && s["type"]) {
    space_name = detail::get_string(f, s, "type", "search_space", "");
  }
  std::vector<ProxyEntry> proxies;
  if (const YAML::Node list = root["proxies"]; list && list.IsSequence()) {
    for (const auto& p : list) {
      ProxyEntry e;
      if (p.IsScalar()) {
        e.type = p.Scalar();
        e.name = e.type;
      } else {
        detail::require_map(f, p, "proxies");
        e.type = detail::get_string(f, p, "type", "proxies", "");
        e.name = detail::get_string(f, p, "name", "proxies", e.type);
      }
      // Copy-constructed, never assigned: assigning a missing key's (invalid) node throws.
      const YAML::Node params = p.IsScalar() ? YAML::Node() : p["params"];
      if (const auto* c = reg.proxies.find(e.type)) {
        try {
          const Params values =
              detail::to_params(f, params, c->schema, "proxy '" + e.type + "' (proxies)");
          e.higher_is_better = c->create(values)->info().higher_is_better;
        } catch (const std::exception& ex) {
          notes.push_back("proxy '" + e.name + "': could not be created to read its direction (" +
                          ex.what() + "); treated as higher-is-better");
        }
      } else {
        notes.push_back("proxy '" + e.name + "': its plugin ('" + e.type +
                        "') is not loaded; treated as higher-is-better");
      }
      proxies.push_back(e);
    }
  }

  // Scores: last row per (arch, proxy) wins; proxies the config does not name are ignored.
  const std::vector<detail::ScoreRow> rows = detail::read_scores(scores_path);
  std::set<std::string> configured;
  for (const auto& p : proxies) configured.insert(p.name);
  if (proxies.empty()) {  // an old or hand-written config: take the proxies from the file
    for (const auto& r : rows) {
      if (configured.insert(r.record.proxy).second) {
        proxies.push_back({r.record.proxy, r.record.proxy, true});
        notes.push_back("proxy '" + r.record.proxy +
                        "': not in the config; treated as higher-is-better");
      }
    }
  }
  std::vector<std::string> names;
  for (const auto& p : proxies) names.push_back(p.name);
  ScoreTable table(names);
  std::set<std::string> ignored;
  for (const auto& r : rows) {
    if (!configured.count(r.record.proxy)) {
      ignored.insert(r.record.proxy);
      continue;
    }
    table.set(Arch(space_name, r.arch), r.record.proxy, r.record.score);
  }
  if (!ignored.empty()) {
    notes.push_back("scores.csv rows of proxies the config does not name were ignored: " +
                    join(std::vector<std::string>(ignored.begin(), ignored.end())));
  }
  if (table.rows() == 0) throw UsageError(scores_path + ": no scores of the configured proxies");

  std::vector<double> truth(table.rows(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t r = 0; r < table.rows(); ++r) {
    double t;
    if (truth_table->lookup(table.archs()[r], &t)) truth[r] = t;
  }

  std::vector<ScoreColumn> columns;
  for (std::size_t c = 0; c < proxies.size(); ++c) {
    columns.push_back(
        {proxies[c].name, proxies[c].higher_is_better,
         table.column_values(static_cast<std::size_t>(table.column(proxies[c].name)))});
  }

  // The votes (`vote`, then `votes`), recomputed (and refitted) from the config.
  std::vector<YAML::Node> vote_nodes;
  if (const YAML::Node v = root["vote"]) vote_nodes.push_back(v);
  if (const YAML::Node vs = root["votes"]; vs && vs.IsSequence()) {
    for (const auto& v : vs) vote_nodes.push_back(v);
  }
  std::vector<std::pair<std::string, std::shared_ptr<Vote>>> fitted;
  for (const YAML::Node& v : vote_nodes) {
    detail::require_map(f, v, "vote");
    const std::string type = detail::get_string(f, v, "type", "vote", "");
    const std::string name = detail::get_string(f, v, "name", "vote", type);
    const auto& component = reg.votes.get(type);
    const Params params =
        detail::to_params(f, v["params"], component.schema, "vote '" + type + "' (vote)");
    std::shared_ptr<Vote> vote = component.create(params);
    for (const auto& input : vote->inputs()) {
      if (table.column(input) < 0) {
        throw UsageError(detail::where(f, v) + ": vote '" + type + "' needs proxy '" + input +
                         "', which the run did not compute (computed: " + join(names) + ")");
      }
    }
    if (vote->needs_fit()) {
      vote->fit(table, truth);
      notes.push_back("vote '" + name + "' was refitted on the ground truth; it is judged on " +
                      "its held-out rows only");
      fitted.push_back({name, vote});
    }
    columns.push_back(vote_report_column(*vote, name, table));
  }

  CorrelationReport report = correlate(columns, truth);
  report.benchmark = gt_benchmark.empty() ? table_path : gt_benchmark;
  report.column = gt_column;

  // ---- Write. ----
  ReportOptions ro;
  ro.plot_format = options.plot_format;
  ro.gnuplot = options.gnuplot;
  std::string run_name;
  if (const YAML::Node run = root["run"];
      run && run.IsMap() && run["name"] && run["name"].IsScalar())
    run_name = run["name"].Scalar();
  ro.title = "Correlation report" + (run_name.empty() ? std::string() : ": " + run_name);
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
