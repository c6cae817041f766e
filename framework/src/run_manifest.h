// Internal: run.json, what a run directory was made with.
//
// Contract: `nas run` writes the manifest before the first score and again at the end; `nas
// report` reads it (never the YAML) and so needs no plugin code for the proxies: their
// directions and config hashes are in it. It records the components with their resolved
// parameters, each proxy's version, direction, config hash and sharing level, the votes (which one
// guided the search, and for a fitted vote how many leading table rows it was fitted on), the
// ground truth, and the file listing the score table's rows in the run's order (rows.txt).
// scores_key() lists the settings that scores depend on, flattened to "key -> value": two
// manifests whose keys disagree (a proxy present in both with other parameters, another seed,
// space or dataset) describe runs whose scores must not be mixed; search_key() lists what a
// search's trace and result depend on besides.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nas/evaluation_job.h"

namespace nas::detail {

struct ManifestProxy {
  ComponentSpec component;
  std::string version;
  bool higher_is_better = true;
  std::string config_hash;
  // The NetworkIdentity level its scores were shared at (run.dedup and the proxy's declared
  // level): "arch" when every architecture was scored on its own.
  std::string dedup = "arch";
};

struct ManifestVote {
  ComponentSpec component;
  bool guides_search = false;
  std::optional<std::size_t> fit_rows;  // fitted on the first fit_rows rows of the table
};

struct RunManifest {
  std::string name;
  std::uint64_t seed = 0;
  int seed_scheme = 0;
  ComponentSpec space;
  std::optional<ComponentSpec> data;
  std::int64_t batch_size = 64;
  int net_width = 0, net_depth = 0;  // search_space.width/depth; 0: the published network
  std::vector<ManifestProxy> proxies;
  std::vector<ManifestVote> votes;
  std::string gt_benchmark, gt_path, gt_arch_column = "arch";
  std::vector<std::string> gt_columns;
  // The search stage, when there is one: the strategy with its resolved parameters and budget.
  std::optional<ComponentSpec> strategy;
  std::int64_t budget = 0;
  std::optional<std::uint64_t> search_seed;  // strategy.seed, when set
  std::string rows_file;  // "" until the run has finished writing its table order
  std::string nas_version;

  std::string to_json() const;
  // Throws nas::UsageError naming `path` and the field.
  static RunManifest read(const std::string& path);

  std::map<std::string, std::string> scores_key() const;
  // What a search's course depends on beyond its scores: the strategy, its parameters and
  // budget, and the vote guiding it. Empty without a search stage.
  std::map<std::string, std::string> search_key() const;
};

// "key: old -> new" for each setting that differs between two manifests' scores_key(),
// ignoring proxies present in only one of them (adding a proxy to a run is allowed), and for
// each that differs in search_key() when both runs search (a search may be added to a run that
// only scored, or left out of a re-run that only reports).
std::vector<std::string> score_differences(const RunManifest& before, const RunManifest& now);

}  // namespace nas::detail
