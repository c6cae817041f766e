// Internal: the validated pipeline configuration, one struct per YAML section.
//
// Contract: load_pipeline() (nas/pipeline.h) fills a PipelineConfig from a YAML file plus
// overrides and validates every key, type, range and component name before any work starts.
// Every component appears as a ComponentConfig with its parameters resolved against the
// component's schema (defaults filled in), so fingerprints, config.resolved.yaml and the run
// manifest all see the same values. Relative input paths (score.file, ground_truth.path,
// plugin paths) are resolved against the pipeline file's folder; run.out_dir is relative to
// the working directory (outputs go where the command runs).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nas/params.h"
#include "nas/pipeline.h"
#include "nas/trainer.h"

namespace nas {

struct ComponentConfig {
  std::string type;
  std::string name;   // how results refer to it (defaults to type)
  Params params;      // resolved: every schema key, defaults filled in
  std::string where;  // "file:line" where it was configured, for messages
};

// run.dedup: how far architectures that are one network share a score. kAuto: each proxy at
// the level it declares (ProxyInfo::identity); kStructure: at most at kStructure (relabelled
// cells only); kNone: every architecture is scored as its own network.
enum class Dedup { kAuto, kStructure, kNone };
const char* to_string(Dedup dedup);

struct RunSection {
  std::string name;
  std::string out_dir;
  std::uint64_t seed = 0;
  int workers = 1;
  int torch_threads = 1;
  std::string device = "cpu";
  std::string device_where;  // "file:line" of run.device (the pipeline file when defaulted)
  std::vector<std::string> plugin_paths;
  std::vector<std::string> reuse_scores;  // other run directories whose matching scores count
  ComponentConfig evaluator;              // run.evaluator, `local` by default
  Dedup dedup = Dedup::kAuto;
};

enum class ArchSource { kSample, kAll, kFile };

struct ScoreStage {
  ArchSource archs = ArchSource::kSample;
  std::int64_t count = 100;
  std::string file;
};

struct SearchStage {
  ComponentConfig strategy;
  std::int64_t budget = 100;
  // strategy.seed: the seed of the strategy's random choices alone; unset: run.seed. The scores
  // still follow run.seed, so several search seeds can share one scored table.
  std::optional<std::uint64_t> seed;
};

struct GroundTruthSection {
  std::string benchmark;  // a registered table's name, or empty
  std::string path;       // the CSV read (the benchmark's file when benchmark is set)
  std::string arch_column = "arch";
  std::vector<std::string> columns;  // the first one fits votes and names the root report
};

// The train stage: trains one architecture (train.arch, or the search's best) after the
// other stages, into DIR/train/.
struct TrainStage {
  TrainOptions options;                 // seed, threads and device come from the run section
  std::string arch;                     // empty: the search stage's best architecture
  std::optional<ComponentConfig> data;  // train.data; unset: the pipeline's data section
  int width = 0;  // NetSpec overrides for a reduced network; 0: the space's published one
  int depth = 0;
  std::string where;  // "file:line" of the section
};

struct PipelineConfig {
  std::string path;  // the pipeline file
  YAML::Node root;   // the document with overrides applied
  RunSection run;
  std::optional<ComponentConfig> data;
  std::int64_t batch_size = 64;
  ComponentConfig space;
  // search_space.width and .depth: the base channels and cells per stage of every network the
  // run scores (NetSpec width/depth; TE-NAS measures a C = 3, N = 1 NB201 supernet). 0: the
  // space's published network. Training keeps its own (train.width/depth).
  int net_width = 0;
  int net_depth = 0;
  std::vector<ComponentConfig> proxies;
  std::optional<std::size_t> vote;     // index into votes of the strategy's vote
  std::vector<ComponentConfig> votes;  // every vote reported: `vote` first, then `votes`
  std::optional<ScoreStage> score;
  std::optional<SearchStage> search;
  std::optional<GroundTruthSection> ground_truth;
  std::optional<TrainStage> train;

  // The document as it ran: every section with defaults and resolved parameters filled in.
  YAML::Node resolved() const;
};

// The fingerprint of a component's resolved parameters ("{a: 1, b: x}").
std::string params_fingerprint(const Params& params);
// Resolved parameters as a YAML map.
YAML::Node params_node(const Params& params);

}  // namespace nas
