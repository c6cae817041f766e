// `nas merge`; see nas/merge_command.h for the contract.
#include "nas/merge_command.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "nas/csv.h"
#include "nas/error.h"
#include "run_files.h"
#include "run_manifest.h"

namespace nas {

namespace fs = std::filesystem;

namespace {

struct ShardDir {
  std::string dir;
  int index = 0, count = 0;
  std::int64_t positions = 0;
  std::vector<std::string> fitted_votes;
  detail::RunManifest manifest;
  std::vector<std::string> rows;  // rows.txt, in order
};

std::string read_or_refuse(const std::string& path) {
  try {
    return read_text_file(path);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

ShardDir read_shard(const std::string& dir) {
  ShardDir s;
  s.dir = dir;
  if (!fs::is_directory(dir)) throw UsageError(dir + ": no such shard directory");
  const std::string shard_path = (fs::path(dir) / "shard.json").string();
  if (!fs::is_regular_file(shard_path)) {
    throw UsageError(dir + " is not a shard: it has no shard.json (`nas run PIPELINE.yaml --shard "
                           "i/N` writes one when the shard has finished; re-run it to finish)");
  }
  try {
    const auto j = nlohmann::json::parse(read_or_refuse(shard_path));
    s.index = j.at("shard").get<int>();
    s.count = j.at("of").get<int>();
    s.positions = j.at("positions").get<std::int64_t>();
    s.fitted_votes = j.at("fitted_votes").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(shard_path + ": not a shard file (" + std::string(e.what()) + ")");
  }
  s.manifest = detail::RunManifest::read((fs::path(dir) / "run.json").string());
  if (s.manifest.rows_file.empty()) {
    throw UsageError(dir + ": shard " + std::to_string(s.index) + "/" + std::to_string(s.count) +
                     " did not finish (run.json names no rows file): re-run it to finish");
  }
  std::istringstream in(read_or_refuse((fs::path(dir) / s.manifest.rows_file).string()));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) s.rows.push_back(line);
  return s;
}

std::vector<std::string> proxy_names(const detail::RunManifest& m) {
  std::vector<std::string> names;
  for (const auto& p : m.proxies) names.push_back(p.component.name);
  return names;
}

// Refuses shards that are not the N shards of one configuration; returns them by index.
std::vector<ShardDir> check_shards(std::vector<ShardDir> shards) {
  const ShardDir& first = shards.front();
  std::map<int, std::string> by_index;
  for (const auto& s : shards) {
    if (s.count != first.count || s.positions != first.positions) {
      throw UsageError(s.dir + " is shard " + std::to_string(s.index) + "/" +
                       std::to_string(s.count) + " of " + std::to_string(s.positions) +
                       " architectures, but " + first.dir + " is shard " +
                       std::to_string(first.index) + "/" + std::to_string(first.count) + " of " +
                       std::to_string(first.positions) + ": they are not shards of one run");
    }
    const std::vector<std::string> diffs = detail::score_differences(first.manifest, s.manifest);
    if (!diffs.empty() || proxy_names(s.manifest) != proxy_names(first.manifest)) {
      throw UsageError(s.dir + " was scored under another configuration than " + first.dir +
                       (diffs.empty() ? " (other proxies: " + join(proxy_names(s.manifest)) +
                                            " against " + join(proxy_names(first.manifest)) + ")"
                                      : "; its keys differ: " + join(diffs, "; ")));
    }
    auto [it, fresh] = by_index.emplace(s.index, s.dir);
    if (!fresh) {
      throw UsageError("shard " + std::to_string(s.index) + "/" + std::to_string(s.count) +
                       " is given twice: " + it->second + " and " + s.dir);
    }
    const std::int64_t expected = (s.positions - s.index + s.count - 1) / s.count;
    if (static_cast<std::int64_t>(s.rows.size()) != expected) {
      throw UsageError(s.dir + ": shard " + std::to_string(s.index) + "/" +
                       std::to_string(s.count) + " lists " + std::to_string(s.rows.size()) +
                       " architectures in " + s.manifest.rows_file + " where it should have " +
                       std::to_string(expected));
    }
  }
  std::vector<std::string> missing;
  for (int i = 0; i < first.count; ++i)
    if (!by_index.count(i)) missing.push_back(std::to_string(i));
  if (!missing.empty()) {
    throw UsageError("shard(s) " + join(missing) + " of " + std::to_string(first.count) +
                     " are missing: give every shard directory (<out_dir>-shard-<i>-of-" +
                     std::to_string(first.count) + ")");
  }
  std::vector<ShardDir> ordered(shards.size());
  for (auto& s : shards) ordered[static_cast<std::size_t>(s.index)] = std::move(s);
  return ordered;
}

std::string merged_config(const ShardDir& shard0, const std::string& out_dir) {
  const std::string path = (fs::path(shard0.dir) / "config.resolved.yaml").string();
  YAML::Node root;
  try {
    root = YAML::Load(read_or_refuse(path));
  } catch (const YAML::Exception& e) {
    throw UsageError(path + ": " + e.what());
  }
  if (root["run"]) root["run"]["out_dir"] = out_dir;
  YAML::Emitter e;
  e << root;
  return "# merged by `nas merge` from " + std::to_string(shard0.count) + " shards of " +
         std::to_string(shard0.positions) + " architectures: every default filled in\n" +
         std::string(e.c_str()) + "\n";
}

}  // namespace

MergeResult merge_shards(const std::string& out_dir, const std::vector<std::string>& shard_dirs,
                         const ReportCommandOptions& report_options) {
  // ---- Every check before the first write. ----
  if (shard_dirs.empty()) throw UsageError("nas merge: give the shard directories to join");
  std::error_code ec;
  if (fs::exists(out_dir, ec) &&
      (!fs::is_directory(out_dir, ec) || !fs::is_empty(out_dir, ec))) {
    throw UsageError(out_dir + " is not empty: `nas merge` writes a new run directory; give a "
                               "new or empty OUT_DIR");
  }
  std::vector<ShardDir> read;
  for (const auto& dir : shard_dirs) read.push_back(read_shard(dir));
  const std::vector<ShardDir> shards = check_shards(std::move(read));
  const ShardDir& first = shards.front();

  // The score stage's order: position p is shard p % N's row p / N.
  const auto count = static_cast<std::size_t>(first.count);
  const auto positions = static_cast<std::size_t>(first.positions);
  std::vector<std::string> rows;
  for (std::size_t p = 0; p < positions; ++p) rows.push_back(shards[p % count].rows[p / count]);

  // Every shard's scores.csv lines, grouped by architecture and put in the merged order.
  std::map<std::string, std::vector<std::string>> lines_of;
  std::vector<std::string> unlisted;  // rows of architectures outside the table (kept)
  const std::set<std::string> listed(rows.begin(), rows.end());
  std::size_t score_rows = 0;
  for (const auto& s : shards) {
    const std::string path = (fs::path(s.dir) / "scores.csv").string();
    const detail::ScoresFile file = detail::read_scores_file(path);
    if (!file.dropped_line.empty()) {
      throw UsageError(path + ": its last line is incomplete; re-run shard " +
                       std::to_string(s.index) + "/" + std::to_string(s.count) + " to repair it");
    }
    for (const auto& row : file.rows) {
      std::string line = detail::format_score_row(row.arch, row.record, row.config_hash);
      (listed.count(row.arch) ? lines_of[row.arch] : unlisted).push_back(std::move(line));
      ++score_rows;
    }
  }
  std::string scores = std::string(detail::kScoresHeader) + "\n";
  for (const auto& a : rows)
    for (const auto& line : lines_of[a]) scores += line;
  for (const auto& line : unlisted) scores += line;

  detail::RunManifest manifest = first.manifest;
  manifest.rows_file = "rows.txt";
  for (auto& v : manifest.votes) {
    for (const auto& name : first.fitted_votes)
      if (v.component.name == name) v.fit_rows = rows.size();
  }
  const std::string config = merged_config(first, out_dir);
  nlohmann::json merge;
  merge["shards"] = nlohmann::json::array();
  for (const auto& s : shards) {
    merge["shards"].push_back(
        {{"dir", fs::absolute(s.dir, ec).string()}, {"shard", s.index}, {"rows", s.rows.size()}});
  }
  merge["of"] = first.count;
  merge["rows"] = rows.size();

  // ---- Writes. ----
  fs::create_directories(out_dir, ec);
  if (ec) throw UsageError(out_dir + ": cannot create the run directory (" + ec.message() + ")");
  detail::RunDirLock lock(out_dir);
  std::string rows_text;
  for (const auto& a : rows) rows_text += a + "\n";
  detail::write_file_atomic(out_dir + "/scores.csv", scores);
  detail::write_file_atomic(out_dir + "/rows.txt", rows_text);
  detail::write_file_atomic(out_dir + "/config.resolved.yaml", config);
  detail::write_file_atomic(out_dir + "/merge.json", merge.dump(2) + "\n");
  detail::write_file_atomic(out_dir + "/run.json", manifest.to_json());

  MergeResult result;
  result.shards = shards.size();
  result.rows = rows.size();
  result.score_rows = score_rows;
  if (!manifest.gt_benchmark.empty() || !manifest.gt_path.empty() ||
      !report_options.benchmark.empty() || !report_options.path.empty()) {
    result.report = report_run_dir(out_dir, report_options);
    result.reported = true;
  }
  return result;
}

}  // namespace nas
