// Trainer: trains one network on a dataset's train split, judges it on the validation split
// after every epoch and on the test split at the end, and survives being killed.
//
// Contract:
// * Optimiser: SGD with momentum, optional Nesterov, and L2 weight decay added to the gradient,
//   exactly as torch.optim.SGD computes it (dampening 0; the first step's momentum buffer is
//   the gradient itself), so a step here and a step of torch.optim.SGD on the same tensors give
//   the same numbers. With `decay_norm_and_bias: false`, BatchNorm weights and every bias get
//   no weight decay (the recipe of Goyal et al. and of the Zen-NAS / WRCor ImageNet training).
// * Learning rate per step s (0-based over the whole run, S steps in all, W warm-up steps):
//   during warm-up lr · (s + 1) / W; then `cosine`: min_lr + (lr - min_lr) · (1 + cos(π·t)) / 2
//   with t = (s - W) / (S - W); `constant`: lr. lr_at() is that formula.
// * Loss: cross entropy with label smoothing ε (torch's definition: (1 - ε) · NLL + ε · the
//   mean over classes of -log p). Mixup with α > 0: per step λ ~ Beta(α, α) and a permutation of
//   the batch, both drawn from nas::Rng under derive_seed(seed, "mixup", "", step); inputs
//   λ·x + (1-λ)·x[perm], loss λ·L(y) + (1-λ)·L(y[perm]). Gradient clipping by total L2 norm
//   when grad_clip > 0.
// * Distillation with a `teacher` (a path, nas/teacher.h: a run directory of this tool or a
//   TorchScript module): the loss gains kd_ratio · soft cross-entropy to the teacher's softmax
//   at temperature 1, -mean over the batch of Σ_k softmax(t)_k · log softmax(s)_k, where t are
//   the teacher's logits for the very input the student sees (after mixup, as the WRCor
//   reference does) and s the student's. The teacher runs in eval mode without gradient.
//   train.json records teacher and kd_ratio only when there is a teacher, so a resume under
//   another teacher is refused like any other change of options.
// * Training-time parts of the network (nas/network.h), as DARTS trains: with
//   auxiliary_weight w > 0 the loss gains w times the same criterion (label smoothing, mixup's
//   pair) on the auxiliary head's logits of the step's forward; the logged train loss includes
//   it, as DARTS logs it. Before every step the network gets set_training_progress() with
//   fraction epoch / epochs (0-based epoch), drop_path, and seed derive_seed(seed, "drop_path",
//   rank, step) (rank "0" without a communicator), so that a resumed run drops what an
//   uninterrupted one drops. auxiliary_weight > 0 on a network without an auxiliary head, or
//   drop_path > 0 on one without drop-path, is a nas::UsageError before anything is written.
// * Data: nas::EpochLoader over the train split (shuffled by (seed, epoch), augmented with the
//   dataset's augmentation, last partial batch dropped); `steps_per_epoch` > 0 trains on the
//   first that many batches of each epoch's order (a quick run); `eval_batches` > 0 judges on
//   the first that many batches of the validation and test splits (in index order).
// * Determinism: intra-op threads are set to `threads` for the run. On the CPU with a fixed
//   thread count a run is a function of its options, its network's initial weights and the
//   dataset: two runs give the same weights bit for bit.
// * Checkpoints: after every epoch, and every `checkpoint_every` steps when > 0, the model,
//   the momentum buffers, the step, the running statistics and the number of log rows are
//   written atomically to DIR/checkpoint.pt. train() on a directory with a checkpoint made under
//   the same options continues from it and ends with the same weights, bit for bit, as an
//   uninterrupted run (log rows after the checkpoint are dropped and written again; seconds
//   and images/s differ). A checkpoint made under other options is refused with nas::UsageError
//   naming the options that differ. A directory whose final_metrics.json exists is complete:
//   train() returns its metrics without training.
// * Files in DIR: train.json (the options; auxiliary_weight and drop_path only when set, so that
//   directories trained before these options existed still resume), train_log.csv (epoch, step,
//   split, lr, loss, top1, top5, images_per_second, seconds; a `train` row every `log_every` steps
//   and at each epoch's end with the running means since the epoch began, a `validation` row after
//   each epoch, a `test` row at the end), checkpoint.pt, model.pt (the trained weights: a pickled
//   dict of named tensors that Python reads with torch.load and nas with load_weights) and
//   final_metrics.json (test_top1, test_top5 in percent, best validation top-1 and its epoch,
//   parameters, FLOPs, epochs, steps, wall seconds). Every write is checked; a failure throws
//   nas::Error naming the file.
// * Accuracies are percentages over the samples seen (padding excluded).
// * Data-parallel (a nas::Communicator, nas/distributed.h, over W processes): batch_size is the
//   global batch; each rank trains on its shard of every epoch's order (nas::EpochOrder with
//   rank and world size), batch_size / W samples a step (indivisible: nas::UsageError), so a
//   step sees the samples one process would. A CUDA `device` (`cuda` or `cuda:K`) is the
//   rank's own GPU, cuda:(LOCAL_RANK mod the visible CUDA devices), as torchrun users expect
//   (nas::device_for_rank, nas/distributed.h); on a LibTorch without CUDA train() refuses it
//   with nas::UsageError before any collective. Rank 0's initial weights, BatchNorm statistics
//   and (on resume) momentum buffers and position are broadcast to every rank first.
//   Gradients are averaged over ranks by nas::GradientReducer (bucketed, overlapped with the
//   backward pass) before clipping and the SGD step, so every rank holds the same weights bit
//   for bit; at the end the ranks check that with a hash of their weights (nas::Error if not).
//   BatchNorm as torch's DistributedDataParallel by default: batch statistics per rank over its
//   local batch, running statistics broadcast from rank 0 after every forward (DDP's
//   broadcast_buffers), so all ranks hold rank 0's. The logged train loss and accuracy are the
//   sums over ranks (exactly the global batch's means); validation and test are sharded over
//   the ranks (contiguous runs of the evaluated samples, in batches of eval_batch_size per
//   rank) and summed, so accuracies equal one process's on the same weights. Rank 0 alone
//   reads and writes DIR (train.json, which then also records world_size so that a resume with
//   another process count is refused, train_log.csv, checkpoint.pt, model.pt,
//   final_metrics.json, which records world_size); the other ranks pass an empty `dir` and
//   write nothing. The observer is called on rank 0 only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace nas {

class Communicator;
class Dataset;
class Network;
class Teacher;
enum class Split;  // nas/dataset.h

struct TrainOptions {
  std::int64_t epochs = 1;
  std::int64_t batch_size = 64;
  double lr = 0.1;
  double min_lr = 0.0;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 5e-4;
  bool decay_norm_and_bias = true;
  std::string schedule = "cosine";  // cosine | constant
  double warmup_epochs = 0.0;
  double label_smoothing = 0.0;
  double mixup = 0.0;                 // Beta(α, α); 0: off
  double grad_clip = 0.0;             // max total gradient norm; 0: off
  std::string teacher;                // distillation teacher (nas/teacher.h); empty: none
  double kd_ratio = 1.0;              // weight of the distillation term when there is a teacher
  double auxiliary_weight = 0.0;      // weight of the auxiliary head's loss; 0: off
  double drop_path = 0.0;             // drop-path probability at the end of training; 0: off
  std::int64_t steps_per_epoch = 0;   // 0: every full batch of the train split
  std::int64_t eval_batches = 0;      // 0: the whole validation / test split
  std::int64_t eval_batch_size = 0;   // 0: batch_size
  std::int64_t checkpoint_every = 0;  // steps; 0: at epoch ends only
  std::int64_t log_every = 50;        // steps
  std::uint64_t seed = 0;
  int threads = 1;
  std::string device = "cpu";

  // The options as JSON text (what train.json holds and checkpoints are matched on).
  std::string to_json() const;
};

struct TrainMetrics {
  double test_top1 = 0, test_top5 = 0;
  double best_validation_top1 = 0;
  std::int64_t best_validation_epoch = 0;  // 1-based; 0 when there is no validation split
  std::int64_t params = 0, flops = 0;
  std::int64_t epochs = 0, steps = 0;
  double seconds = 0;
  std::int64_t world_size = 1;  // processes that trained it
};

// One row of train_log.csv, also given to the observer as it is written.
struct TrainLogRow {
  std::int64_t epoch = 0;  // 1-based
  std::int64_t step = 0;   // steps done so far
  std::string split;       // train | validation | test
  double lr = 0, loss = 0, top1 = 0, top5 = 0, images_per_second = 0, seconds = 0;
};

// What a progress display shows after each training step (rank 0 only): the running means of
// the epoch so far over this process's batches (in a distributed run, rank 0's share), and
// the images per second of all processes since train() began or resumed.
struct TrainStep {
  std::int64_t epoch = 0;  // 1-based
  std::int64_t step = 0;   // steps done so far
  std::int64_t total_steps = 0;
  double loss = 0, top1 = 0, images_per_second = 0;
};

// The learning rate of step `step` (0-based) of `total_steps`, `warmup_steps` of them warm-up.
double lr_at(const TrainOptions& options, std::int64_t step, std::int64_t total_steps,
             std::int64_t warmup_steps);

// Checks the options' ranges; throws nas::UsageError naming the option and its valid range.
void validate(const TrainOptions& options);

// Trains `net` (its initial weights as given) on `data` into `dir` (created if missing), as the
// contract above says. `flops` is recorded in final_metrics.json as given (the space's count).
// With `comm` (a distributed run), every rank calls train() together (see above). When
// options.teacher is set, `teacher` is that teacher already loaded (the train stage loads it
// with the pipeline's plugin paths); null: train() loads options.teacher itself with
// nas::load_teacher for the dataset's shape. `on_step`, when given, is called on rank 0 after
// every step (for a progress bar; it must be cheap).
TrainMetrics train(Network& net, std::shared_ptr<const Dataset> data, const TrainOptions& options,
                   const std::string& dir, std::int64_t flops = 0,
                   const std::function<void(const TrainLogRow&)>& observer = {},
                   Communicator* comm = nullptr, Teacher* teacher = nullptr,
                   const std::function<void(const TrainStep&)>& on_step = {});

// Reads a final_metrics.json; throws nas::Error naming the file.
TrainMetrics read_train_metrics(const std::string& path);

// Loads weights saved as model.pt into `net` (names and shapes must match exactly; throws
// nas::Error naming the file and the first mismatch).
void load_weights(Network& net, const std::string& path);

// Top-1 and top-5 accuracy (percent) and mean loss of `net` on the first `batches` batches (0:
// all) of `split`, in index order, without augmentation.
struct EvalResult {
  double loss = 0, top1 = 0, top5 = 0;
  std::int64_t samples = 0;
};
EvalResult evaluate(Network& net, const Dataset& data, Split split, std::int64_t batch_size,
                    std::int64_t batches, const std::string& device);

}  // namespace nas
