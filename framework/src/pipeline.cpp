// Orchestration: a pipeline's stages, in order, over one Run (see stages.h).
#include "nas/pipeline.h"

#include <chrono>
#include <cstdlib>
#include <thread>
#include <utility>

#include "config.h"
#include "nas/distributed.h"
#include "nas/error.h"
#include "nas/evaluator.h"
#include "nas/registry.h"
#include "progress.h"
#include "stages.h"

namespace nas {

std::optional<LauncherRank> launcher_rank() {
  // Open MPI's mpirun, else PMI (MPICH, Slurm and others): the rank count and this rank.
  for (const auto& [size_var, rank_var] :
       {std::pair{"OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"},
        std::pair{"PMI_SIZE", "PMI_RANK"}}) {
    if (const char* size = std::getenv(size_var)) {
      LauncherRank r;
      r.size = std::atoi(size);
      const char* rank = std::getenv(rank_var);
      r.rank = rank ? std::atoi(rank) : 0;
      if (r.size <= 1) return std::nullopt;
      return r;
    }
  }
  return std::nullopt;
}

std::optional<int> serve_if_worker(const PipelineConfig& cfg) {
  const std::optional<LauncherRank> launched = launcher_rank();
  const int ranks = launched ? launched->size : 1;
  if (ranks > 1 && cfg.run.evaluator.type == "local") {
    if (launched->rank != 0) {
      // Rank 0 says why; the others fail quietly (see the contract for the wait).
      std::this_thread::sleep_for(std::chrono::duration<double>(kLocalUnderLauncherQuietSeconds));
      return 2;
    }
    throw UsageError(
        "nas run is one of " + std::to_string(ranks) +
        " ranks (started by mpirun or another MPI launcher), but " + cfg.path +
        " scores with the `local` evaluator, which would run the whole pipeline " +
        std::to_string(ranks) +
        " times into one directory: set `run.evaluator: {type: mpi}` in the pipeline (or add "
        "the override run.evaluator.type=mpi), or run it without mpirun");
  }
  const Component<EvaluatorBackend>& c = Registry::global().evaluators.get(cfg.run.evaluator.type);
  std::shared_ptr<EvaluatorBackend> backend;
  try {
    backend = c.create(cfg.run.evaluator.params);
  } catch (const std::exception& e) {
    throw UsageError(cfg.run.evaluator.where + ": evaluator '" + cfg.run.evaluator.type +
                     "': " + e.what());
  }
  return backend->serve_if_worker();
}

std::string pipeline_out_dir(const PipelineConfig& cfg) { return cfg.run.out_dir; }

Shard parse_shard(const std::string& text) {
  const std::size_t slash = text.find('/');
  auto number = [&](const std::string& part, int* out) {
    if (part.empty() || part.size() > 6 ||
        part.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    *out = std::stoi(part);
    return true;
  };
  Shard s;
  if (slash == std::string::npos || !number(text.substr(0, slash), &s.index) ||
      !number(text.substr(slash + 1), &s.count) || s.count < 1 || s.index >= s.count) {
    throw UsageError("--shard '" + printable(text) +
                     "': expected i/N with 0 <= i < N, counted from 0 (e.g. 0/4 ... 3/4)");
  }
  return s;
}

namespace {

// Scores one shard of the score stage into its own directory (see Shard in nas/pipeline.h).
std::string run_shard(const PipelineConfig& cfg, const RunOptions& options) {
  const Shard shard = *options.shard;
  if (!cfg.score) {
    throw UsageError(cfg.path +
                     ": --shard splits the score stage, and the pipeline has no "
                     "`score` section (a search cannot be sharded: it decides one step from "
                     "the last)");
  }
  PipelineConfig shard_cfg = cfg;
  shard_cfg.run.out_dir = cfg.run.out_dir + "-shard-" + std::to_string(shard.index) + "-of-" +
                          std::to_string(shard.count);
  Progress progress(options.log_format == LogFormat::kJsonLines, options.progress);
  std::unique_ptr<detail::Run> run = detail::open_run(shard_cfg, options, progress);
  run->shard_index = shard.index;
  run->shard_count = shard.count;
  detail::score_stage(*run);
  detail::close_run(*run);
  detail::write_shard_file(*run);
  std::vector<std::string> later;
  if (cfg.search) later.push_back("search");
  if (cfg.train) later.push_back("train");
  for (const auto& note : run->notes) progress.message(note);
  std::string next = "shard " + std::to_string(shard.index) + "/" + std::to_string(shard.count) +
                     " scored into " + run->dir +
                     "; when every shard has, join them with `nas "
                     "merge OUT_DIR " +
                     cfg.run.out_dir + "-shard-*-of-" + std::to_string(shard.count) + "`";
  if (cfg.ground_truth) next += " (it writes the report)";
  if (!later.empty()) {
    next += ", then `nas run " + cfg.path + " run.out_dir=OUT_DIR` runs the " +
            join(later, " and ") + " stage on the merged scores";
  }
  progress.message(next);
  return run->dir;
}

}  // namespace

std::string run_pipeline(const PipelineConfig& cfg, const RunOptions& options) {
  if (options.shard) return run_shard(cfg, options);
  Progress progress(options.log_format == LogFormat::kJsonLines, options.progress);
  Communicator* comm = options.communicator;
  if (comm && comm->rank() != 0) {
    // Scoring and searching are rank 0's; the others wait for the architecture to train.
    std::unique_ptr<detail::Run> run = detail::open_follower(cfg, progress);
    detail::follow_train_stage(*run, *comm);
    return {};
  }
  std::unique_ptr<detail::Run> run;
  try {
    run = detail::open_run(cfg, options, progress);
    if (cfg.score) detail::score_stage(*run);
    detail::fit_votes_stage(*run);
    if (cfg.search) detail::search_stage(*run);
    detail::close_run(*run);
    if (cfg.ground_truth) detail::report_stage(*run);
  } catch (const std::exception& e) {
    if (comm) detail::release_followers(*comm, &e);
    throw;
  }
  if (cfg.train) {
    detail::train_stage(*run, comm);
  } else if (comm) {
    detail::release_followers(*comm, nullptr);
  }
  for (const auto& note : run->notes) progress.message(note);
  progress.message("results in " + run->dir);
  return run->dir;
}

std::string training_device(const PipelineConfig& cfg) {
  return cfg.train ? cfg.train->options.device : std::string("cpu");
}

std::string pipeline_template() {
  return R"(# nas pipeline: every section, with its defaults. `nas plugins inspect NAME` lists the
# parameters of any component.
run:
  name: my-run            # used for the default out_dir
  out_dir: runs/my-run    # scores.csv, reports and traces go here; re-running resumes
  seed: 0                 # master seed: every other seed derives from it
  torch_threads: 1        # intra-op threads per worker
  # workers: 2            # architectures scored at once (default: cores / torch_threads)
  # device: cpu           # cpu | cuda | cuda:N
  # plugin_paths: [path/to/more/plugins]      # relative to this file
  # reuse_scores: [runs/earlier]              # matching scores of other runs are reused
  # evaluator: {type: local}                  # how architectures are scored (mpi: on the
                                              # ranks of `mpirun -np K nas run ...`)
  # dedup: auto           # one network per class of equivalent architectures: auto (each
                          # proxy at its declared level) | structure | none
data:
  type: fashion_mnist     # or synthetic
  batch_size: 64
  params: {resize: 32, channels: 3}
search_space:
  type: nb201
  # width: 3              # every scored network's base channels and cells per stage
  # depth: 1              #   (default: the space's published network; TE-NAS: 3 and 1)
proxies:                  # each: {type: NAME, name: ALIAS (optional), params: {...}}
  - type: params
  - type: flops
# vote: {type: majority, params: {preset: sjw}}   # the strategy compares with it
# votes: [{type: zscore, name: z, params: {proxies: [params, flops]}}]   # reported too
score:                    # score stage (optional)
  archs: sample           # sample | all | file
  count: 100
  # file: archs.txt       # one architecture string per line (relative to this file)
strategy:                 # search stage (optional)
  type: random
  budget: 200             # distinct architectures evaluated
  # seed: 3               # the search's own random choices (default run.seed; scores keep run.seed)
ground_truth:             # optional: correlation report
  benchmark: nb201        # or path: table.csv (with an `arch` column; relative to this file)
  column: cifar10_valid_test
# train:                  # train stage (optional): trains train.arch or the search's best
#   epochs: 200
#   batch_size: 256
#   lr: 0.1               # cosine to min_lr after warmup_epochs of linear warm-up
#   momentum: 0.9
#   nesterov: true
#   weight_decay: 5e-4    # decay_norm_and_bias: false exempts BatchNorm weights and biases
#   label_smoothing: 0
#   mixup: 0              # Beta(alpha, alpha); 0: off
#   auxiliary_weight: 0   # weight of an auxiliary head's loss (DARTS: 0.4); 0: off
#   drop_path: 0          # drop-path probability, linear from 0 over the epochs (DARTS: 0.2)
#   checkpoint_every: 0   # steps between checkpoints (every epoch end always)
)";
}

}  // namespace nas
