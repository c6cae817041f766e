// Dataset: where the inputs (and labels) that proxies see come from.
//
// Contract: batch(size, seed) returns `size` samples chosen and augmented only under `seed`
// (the same seed gives the same tensors, whatever thread asks), as float32 inputs
// (N, channels, size, size) already normalised, and int64 labels (N) in [0, num_classes).
// A dataset that has no labels (synthetic noise) still returns labels drawn under the seed,
// so label-hungry proxies run on it. shape() says what the inputs look like, so networks can
// be built for them before any batch is drawn. Errors in the files a dataset reads (missing,
// truncated, wrong magic number) throw nas::Error naming the file.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace nas {

struct Batch {
  at::Tensor inputs;  // float32 (N, C, H, W)
  at::Tensor labels;  // int64 (N)
};

struct DataShape {
  int channels = 3;
  int size = 32;
  int num_classes = 10;
};

enum class Split { kTrain, kTest };

class Dataset {
 public:
  virtual ~Dataset();
  virtual DataShape shape() const = 0;
  virtual Batch batch(std::int64_t size, std::uint64_t seed, Split split = Split::kTrain) const = 0;
};

}  // namespace nas
