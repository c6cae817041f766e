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

class Communicator;

enum class LogFormat { kText, kJsonLines };

// One of `count` deterministic shards of a score stage, counted from 0 (so that a Slurm job
// array's SLURM_ARRAY_TASK_ID can be passed as it is).
//
// Contract: a sharded run scores only the score stage's architectures at positions p with
// p % count == index (the stage's own order: sampled, enumerated or listed), into the
// directory `<run.out_dir>-shard-<index>-of-<count>`, which it writes like any run (resumable,
// locked) plus shard.json. Round-robin positions spread the space's costly corners over every
// shard. Votes are not fitted, and the search, report and train stages do not run: they need
// every score, and `nas merge` (nas/merge_command.h) builds the whole run from the shards.
struct Shard {
  int index = 0;
  int count = 1;
};

// Reads "i/N" (0 <= i < N); throws nas::UsageError saying what was expected.
Shard parse_shard(const std::string& text);

struct RunOptions {
  LogFormat log_format = LogFormat::kText;
  bool progress = true;    // a progress bar when stderr is a terminal
  bool force_new = false;  // a changed configuration starts over in a new directory
  std::optional<Shard> shard;  // score one shard of the score stage only
  // A distributed run (nas/distributed.h): rank 0 runs the pipeline and writes the run
  // directory; the other ranks only train with it (the `train` stage) and write nothing.
  Communicator* communicator = nullptr;
};

struct PipelineConfig;  // the validated configuration (internal)

std::shared_ptr<PipelineConfig> load_pipeline(const std::string& path,
                                              const std::vector<std::string>& overrides);
// run.out_dir as the file and overrides set it (relative to the working directory).
std::string pipeline_out_dir(const PipelineConfig& config);
// Runs the stages; returns the run directory.
std::string run_pipeline(const PipelineConfig& config, const RunOptions& options);

// The train stage's device ("cpu" without a train stage): what a distributed run's process
// group must serve (Gloo, or NCCL for cuda).
std::string training_device(const PipelineConfig& config);
// Call before run_pipeline() in a process a launcher may have started as one of several
// (`mpirun -np K nas run ...`). Creates the configured evaluator backend and lets it decide
// (EvaluatorBackend::serve_if_worker, nas/evaluator.h): in a worker process it serves the
// coordinator and returns the exit status, and the caller must exit with it without running
// the pipeline; in the process that runs the pipeline it returns nullopt. Under a launcher with
// more than one rank (OMPI_COMM_WORLD_SIZE or PMI_SIZE above 1), a pipeline whose evaluator
// runs everything in-process (`local`) would run K copies into one directory: rank 0
// (OMPI_COMM_WORLD_RANK or PMI_RANK 0) throws a UsageError saying to set
// `run.evaluator: {type: mpi}`; every other rank returns 2 without a word, so the job prints
// the error once. It returns after kLocalUnderLauncherQuietSeconds, which the launcher cuts
// short when rank 0 exits with the error (mpirun then stops the other ranks), so that a rank
// that is quicker than rank 0 cannot end the job before rank 0 has said why.
inline constexpr double kLocalUnderLauncherQuietSeconds = 5;

// This process's place under an MPI launcher (Open MPI's OMPI_COMM_WORLD_RANK and _SIZE, else
// PMI_RANK and PMI_SIZE); nullopt when there is none or it started one rank.
struct LauncherRank {
  int rank = 0;
  int size = 1;
};
std::optional<LauncherRank> launcher_rank();
std::optional<int> serve_if_worker(const PipelineConfig& config);

// A commented pipeline file with every section, for `nas config template`.
std::string pipeline_template();

}  // namespace nas
