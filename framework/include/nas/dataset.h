// Dataset: where the inputs (and labels) that proxies see, and that training reads, come from.
//
// Contract, probe batches: batch(size, seed, split) returns `size` samples chosen and augmented
// only under `seed` (the same seed gives the same tensors, whatever thread asks), as float32
// inputs (N, channels, size, size) already normalised, and int64 labels (N) in
// [0, num_classes). A dataset that has no labels (synthetic noise) still returns labels drawn
// under the seed, so label-hungry proxies run on it. shape() says what the inputs look like, so
// networks can be built for them before any batch is drawn. Errors in the files a dataset reads
// (missing, truncated, wrong magic number) throw nas::Error naming the file.
//
// For kTrain, batch() samples all of the dataset's training data, the images a validation split
// holds out included: proxies do not fit anything to these images, and probe batches (so every
// published score) must not change with how a training stage splits the data (fashion_mnist's
// `validation_size`). batch(n, seed, kValidation) and kTest draw from those splits.
//
// Contract, indexed splits (what training reads through nas::EpochLoader): size(split) is the
// number of samples of the split (0: the split is empty); the train and validation splits are
// disjoint, and together they are the training data. samples(split, indices) returns the
// samples at those indices, in that order, deterministically (sample i of a split is always
// the same tensor), as float32 (N, channels, size, size) *before* normalisation — what
// augmentation works on, so that a zero-padded crop pads with black — and int64 labels.
// normalization() maps them to network inputs (nullptr: they already are); augmentation() is
// the random per-batch augmentation (nas/transform.h) that the dataset's params configure for
// the train split (nullptr: none). A dataset that only draws probe batches keeps the defaults:
// size() and samples() throw nas::Error saying so, the transforms are nullptr.
//
// A torch-level header (batches are ATen tensors): plugins that include it, and headers that
// include it (probe_engine.h, epoch_loader.h), need LibTorch's include paths.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "nas/search_space.h"

namespace nas {

class Transform;

struct Batch {
  at::Tensor inputs;  // float32 (N, C, H, W)
  at::Tensor labels;  // int64 (N)
};

struct DataShape {
  int channels = 3;
  int size = 32;
  int num_classes = 10;
};

// `base` with its input channels, input size and class count taken from `shape`: the network
// a space builds for this data.
NetSpec net_spec_for(const DataShape& shape, NetSpec base = {});

enum class Split { kTrain, kValidation, kTest };

// "train", "validation", "test".
const char* to_string(Split split);
// The inverse of to_string; throws UsageError naming `where` and the valid names.
Split parse_split(const std::string& text, const std::string& where);

class Dataset {
 public:
  virtual ~Dataset();
  virtual DataShape shape() const = 0;
  virtual Batch batch(std::int64_t size, std::uint64_t seed, Split split = Split::kTrain) const = 0;

  // Indexed access (defaults: throw, the dataset draws probe batches only).
  virtual std::int64_t size(Split split) const;
  // Each index must be in [0, size(split)); anything else throws nas::Error.
  virtual Batch samples(Split split, const std::vector<std::int64_t>& indices) const;
  virtual std::shared_ptr<const Transform> normalization() const;
  virtual std::shared_ptr<const Transform> augmentation() const;
};

}  // namespace nas
