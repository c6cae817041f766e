// Transform: on-the-fly augmentation and normalisation of a batch of images.
//
// Contract: apply(inputs, seeds) takes float32 inputs (N, C, H, W) and one seed per sample,
// and returns the transformed batch as a new tensor (inputs is left as it was). Every random
// choice for sample i comes from nas::Rng(seeds[i]) alone, so a sample's augmentation depends
// on its seed, never on its batch, its position in it or the thread; EpochLoader gives the
// sample at dataset index `index` of epoch `epoch` the seed augment_seed(master, epoch, index),
// so that rank count, batch size and shuffling never change how a sample is augmented.
// Transforms are immutable and re-entrant. A shape they cannot handle (not 4-D, a seed count
// other than N, channels the normalisation does not cover) throws nas::Error.
//
// The standard transforms, as torchvision's training recipes use them on CIFAR and
// Fashion-MNIST (RandomCrop(size, padding), RandomHorizontalFlip, Normalize), applied to images
// in [0, 1] before normalisation so that a crop pads with black:
// * RandomCrop(p): pad every side with p zeros, then cut an H x W window at row offset
//   dy = Rng::below(2p + 1) and then column offset dx = Rng::below(2p + 1): output (y, x) is
//   input (y + dy - p, x + dx - p), 0 outside the input.
// * RandomHorizontalFlip: reverses the columns when Rng::below(2) is 1 (probability 1/2).
// * Normalize(mean, std): (x - mean[c]) / std[c] per channel; a single value serves every
//   channel. It draws nothing.
// * Compose(stages): stage k sees the seeds stage_seed(seeds[i], k), so stages draw
//   independent numbers.
//
// A dataset's params configure its training augmentation: `augment`, a list of names applied
// in order ("crop", "flip"; empty: none), and `crop_padding`. add_augmentation_params declares
// both, and make_augmentation builds the chain, refusing an unknown or repeated name or a
// padding outside [1, image side] with a nas::UsageError naming the key and the choices.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace nas {

class ParamSchema;
class Params;

class Transform {
 public:
  virtual ~Transform();
  virtual std::string name() const = 0;
  virtual at::Tensor apply(const at::Tensor& inputs,
                           const std::vector<std::uint64_t>& seeds) const = 0;
};

class RandomCrop final : public Transform {
 public:
  explicit RandomCrop(std::int64_t padding);
  std::string name() const override;
  at::Tensor apply(const at::Tensor& inputs,
                   const std::vector<std::uint64_t>& seeds) const override;
  std::int64_t padding() const { return padding_; }

 private:
  std::int64_t padding_;
};

class RandomHorizontalFlip final : public Transform {
 public:
  std::string name() const override;
  at::Tensor apply(const at::Tensor& inputs,
                   const std::vector<std::uint64_t>& seeds) const override;
};

class Normalize final : public Transform {
 public:
  Normalize(std::vector<double> mean, std::vector<double> std);
  std::string name() const override;
  at::Tensor apply(const at::Tensor& inputs,
                   const std::vector<std::uint64_t>& seeds) const override;

 private:
  std::vector<double> mean_;
  std::vector<double> std_;
};

class Compose final : public Transform {
 public:
  explicit Compose(std::vector<std::shared_ptr<const Transform>> stages);
  std::string name() const override;  // "crop(4) > flip"
  at::Tensor apply(const at::Tensor& inputs,
                   const std::vector<std::uint64_t>& seeds) const override;
  const std::vector<std::shared_ptr<const Transform>>& stages() const { return stages_; }

 private:
  std::vector<std::shared_ptr<const Transform>> stages_;
};

// The seed of the sample at dataset index `index` in `epoch`:
// mix64(derive_seed(master, "augment", "", epoch) ^ index).
std::uint64_t augment_seed(std::uint64_t master, std::uint64_t epoch, std::int64_t index);
// The seed stage k of a Compose uses for a sample whose seed is `seed`: mix64(seed + k).
std::uint64_t stage_seed(std::uint64_t seed, std::size_t stage);

// Declares `augment` (default: none) and `crop_padding` (default `default_padding`).
void add_augmentation_params(ParamSchema& schema, std::int64_t default_padding);
// The chain `params` asks for, or nullptr for none; `image_side` bounds crop_padding and
// `component` names the dataset in messages.
std::shared_ptr<const Transform> make_augmentation(const Params& params, std::int64_t image_side,
                                                   const std::string& component);

}  // namespace nas
