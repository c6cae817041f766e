// Pipelines: a YAML file that names components and stages, run into a run directory.
//
// Contract: load_pipeline() reads the file, applies `key.path=value` overrides, and validates
// everything before any work starts: unknown sections or keys, wrong types, out-of-range
// numbers, unknown plugin names and bad parameters are nas::UsageError naming the file, the
// line and the key, with the valid choices. Relative input paths in the file (score.file,
// ground_truth.path, plugin paths, run.reuse_scores) are relative to the file's folder;
// run.out_dir is relative to the working directory.
//
// run_pipeline() then creates every component, checks the data (a missing or corrupt dataset
// is a UsageError before any score), locks the run directory (a second run into it is
// refused), and runs the stages the file names, in order: `score` (sampled, all, or listed
// architectures), fitting the votes that learn, `search` (a strategy with a budget), and the
// correlation report when `ground_truth` is given. Every score is appended to
// <out_dir>/scores.csv as it arrives; every write is checked, and a failed write stops the run
// with an error naming the file while the rows already written stay valid. Re-running the same
// pipeline into the same directory resumes: scores whose configuration matches are reused
// (failed ones are computed again), nothing computed is lost, and the results equal an
// uninterrupted run. A re-run whose configuration changes what scores mean (seed, space, data,
// a proxy's parameters) is refused naming the keys that differ, unless RunOptions::force_new,
// which starts over in a new directory beside it. Files written: run.json (the manifest `nas
// report` reads), config.resolved.yaml (every default filled in), scores.csv, rows.txt,
// env.json, correlation.json + correlation.md + report.md (with ground truth),
// search_trace.csv and best_arch.txt (with a strategy), votes/<name>/ (fitted votes).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nas {

enum class LogFormat { kText, kJsonLines };

struct RunOptions {
  LogFormat log_format = LogFormat::kText;
  bool progress = true;    // a progress bar when stderr is a terminal
  bool force_new = false;  // a changed configuration starts over in a new directory
};

struct PipelineConfig;  // the validated configuration (internal)

std::shared_ptr<PipelineConfig> load_pipeline(const std::string& path,
                                              const std::vector<std::string>& overrides);
// Runs the stages; returns the run directory.
std::string run_pipeline(const PipelineConfig& config, const RunOptions& options);

// Call before run_pipeline() in a process a launcher may have started as one of several
// (`mpirun -np K nas run ...`). Creates the configured evaluator backend and lets it decide
// (EvaluatorBackend::serve_if_worker, nas/evaluator.h): in a worker process it serves the
// coordinator and returns the exit status, and the caller must exit with it without running
// the pipeline; in the process that runs the pipeline it returns nullopt. Under a launcher with
// more than one rank (OMPI_COMM_WORLD_SIZE or PMI_SIZE above 1), a pipeline whose evaluator
// runs everything in-process (`local`) would run K copies into one directory: that is a
// UsageError saying to set `run.evaluator: {type: mpi}`.
std::optional<int> serve_if_worker(const PipelineConfig& config);

// A commented pipeline file with every section, for `nas config template`.
std::string pipeline_template();

}  // namespace nas
