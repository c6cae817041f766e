// Pipelines: a YAML file that names components and stages, run into a run directory.
//
// Contract: load_pipeline() reads the file, applies `key.path=value` overrides, and validates
// everything before any work starts: unknown sections or keys, wrong types, unknown plugin
// names and bad parameters are nas::UsageError naming the file, the line and the key, with
// the valid choices. run_pipeline() then runs the stages that the file names, in order:
// `score` (score sampled, all, or listed architectures), `search` (a strategy with a budget),
// and the correlation report when `ground_truth` is given. Every score is appended to
// <out_dir>/scores.csv as it arrives; re-running the same pipeline into the same directory
// reuses those scores (same proxy, version and seed) instead of recomputing them, so an
// interrupted run resumes, and nothing computed is lost. Files written: config.resolved.yaml,
// scores.csv, correlation.json + correlation.md (with ground truth), search_trace.csv and
// best_arch.txt (with a strategy), env.json.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace nas {

enum class LogFormat { kText, kJsonLines };

struct RunOptions {
  LogFormat log_format = LogFormat::kText;
  bool progress = true;  // a progress bar when stderr is a terminal
};

struct PipelineConfig;  // opaque: the validated configuration

std::shared_ptr<PipelineConfig> load_pipeline(const std::string& path,
                                              const std::vector<std::string>& overrides);
// Runs the stages; returns the run directory.
std::string run_pipeline(const PipelineConfig& config, const RunOptions& options);

// A commented pipeline file with every section, for `nas config template`.
std::string pipeline_template();

}  // namespace nas
