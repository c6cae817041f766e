// Dataset plugin `synthetic`: inputs drawn from N(0, 1), labels uniform in [0, num_classes).
//
// For proxies that only need something shaped like data (and for tests that must not depend on
// files). Every batch comes from a private CPU generator seeded with the batch seed, never from
// torch's global generator, so batches are reproducible from any thread. The train split uses
// the seed as given, which makes a batch equal to Python's
//   g = torch.Generator().manual_seed(seed)
//   x = torch.randn(n, c, s, s, generator=g); y = torch.randint(0, k, (n,), generator=g)
// (same generator, same kernels) for seeds below 2^32. Torch's CPU generator keeps only the low
// 32 bits of its seed, so larger seeds (nas::derive_seed gives 63-bit ones) are folded to
// low ^ high first: otherwise seeds differing only in their high half would share a batch.
// The test split uses nas::mix64(seed) and the validation split
// nas::mix64(seed ^ nas::hash_string("validation")), so that the splits of one seed differ.
//
// Indexed splits (nas/dataset.h): the train, validation and test splits hold `train_size`,
// `validation_size` and `test_size` samples (defaults 50000 / 10000 / 10000, CIFAR-10's
// split sizes). Sample i of a split depends on (split, i) alone: its pixels are N(0, 1) by
// Box–Muller from nas::Rng(mix64(hash_string(split name) ^ i)) (64-bit seeds, so no two samples
// of a split share a stream), its label the next draw below num_classes. These samples are a
// different stream from the probe batches above, which keep matching Python. They need no
// normalisation; `augment` (crop with `crop_padding`, default 4, and flip) configures the
// train split's augmentation as for every dataset (nas/transform.h).
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/randint.h>
#include <ATen/ops/randn.h>

#include "nas/dataset.h"
#include "nas/error.h"
#include "nas/params.h"
#include "nas/plugin.h"
#include "nas/seed.h"
#include "nas/transform.h"

namespace {

std::uint64_t fold_to_32_bits(std::uint64_t seed) { return (seed ^ (seed >> 32)) & 0xffffffffu; }

// The largest split (samples are made from their index, so any size is cheap to declare).
constexpr std::int64_t kMaxSplit = 1000000000;

class Synthetic final : public nas::Dataset {
 public:
  explicit Synthetic(const nas::Params& params)
      : channels_(params.get_int("channels")),
        size_(params.get_int("size")),
        num_classes_(params.get_int("num_classes")),
        sizes_{params.get_int("train_size"), params.get_int("validation_size"),
               params.get_int("test_size")} {
    augmentation_ = nas::make_augmentation(params, size_, "synthetic");
  }

  nas::DataShape shape() const override {
    nas::DataShape s;
    s.channels = static_cast<int>(channels_);
    s.size = static_cast<int>(size_);
    s.num_classes = static_cast<int>(num_classes_);
    return s;
  }

  nas::Batch batch(std::int64_t size, std::uint64_t seed, nas::Split split) const override {
    if (size <= 0) {
      throw nas::Error("synthetic: batch size must be positive, got " + std::to_string(size));
    }
    const std::uint64_t split_seed = split == nas::Split::kTrain ? seed
                                     : split == nas::Split::kTest
                                         ? nas::mix64(seed)
                                         : nas::mix64(seed ^ nas::hash_string("validation"));
    at::Generator gen = at::detail::createCPUGenerator(fold_to_32_bits(split_seed));
    at::Tensor inputs = at::randn({size, channels_, size_, size_}, gen, at::kFloat);
    at::Tensor labels = at::randint(0, num_classes_, {size}, gen, at::kLong);
    return {inputs, labels};
  }

  std::int64_t size(nas::Split split) const override { return sizes_[slot(split)]; }

  nas::Batch samples(nas::Split split, const std::vector<std::int64_t>& indices) const override {
    const auto n = static_cast<std::int64_t>(indices.size());
    const std::int64_t pixels = channels_ * size_ * size_;
    at::Tensor inputs = at::empty({n, channels_, size_, size_}, at::kFloat);
    at::Tensor labels = at::empty({n}, at::kLong);
    float* x = inputs.data_ptr<float>();
    std::int64_t* y = labels.data_ptr<std::int64_t>();
    const std::uint64_t split_hash = nas::hash_string(nas::to_string(split));
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t index = indices[static_cast<std::size_t>(i)];
      if (index < 0 || index >= size(split)) {
        throw nas::Error("synthetic: sample index " + std::to_string(index) + " is outside the " +
                         std::to_string(size(split)) + " samples of the " + nas::to_string(split) +
                         " split (params." + nas::to_string(split) + "_size)");
      }
      nas::Rng rng(nas::mix64(split_hash ^ static_cast<std::uint64_t>(index)));
      float* out = x + i * pixels;
      for (std::int64_t p = 0; p < pixels; p += 2) {
        // Box–Muller; 1 - uniform() is in (0, 1], so the logarithm is finite.
        const double radius = std::sqrt(-2.0 * std::log(1.0 - rng.uniform()));
        const double angle = 2.0 * kPi * rng.uniform();
        out[p] = static_cast<float>(radius * std::cos(angle));
        if (p + 1 < pixels) out[p + 1] = static_cast<float>(radius * std::sin(angle));
      }
      y[i] = rng.below(num_classes_);
    }
    return {inputs, labels};
  }

  // Samples are N(0, 1) already: no normalisation.
  std::shared_ptr<const nas::Transform> augmentation() const override { return augmentation_; }

 private:
  static constexpr double kPi = 3.14159265358979323846;

  static std::size_t slot(nas::Split split) {
    return split == nas::Split::kTrain ? 0 : split == nas::Split::kValidation ? 1 : 2;
  }

  std::int64_t channels_;
  std::int64_t size_;
  std::int64_t num_classes_;
  std::int64_t sizes_[3];
  std::shared_ptr<const nas::Transform> augmentation_;
};

void register_synthetic(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_int("channels", 3, "input channels", nas::between(1, 64));
  schema.add_int("size", 32, "input height and width", nas::between(1, 4096));
  schema.add_int("num_classes", 10, "labels are drawn uniformly from [0, num_classes)",
                 nas::between(1, 1000000));
  schema.add_int("train_size", 50000, "samples in the train split (indexed access)",
                 nas::between(0, kMaxSplit));
  schema.add_int("validation_size", 10000, "samples in the validation split",
                 nas::between(0, kMaxSplit));
  schema.add_int("test_size", 10000, "samples in the test split", nas::between(0, kMaxSplit));
  nas::add_augmentation_params(schema, 4);
  registrar.add_dataset(
      "synthetic", "Gaussian noise inputs with uniform random labels, drawn under the batch seed",
      schema, [](const nas::Params& params) { return std::make_shared<Synthetic>(params); });
}

}  // namespace

NAS_PLUGIN("synthetic", "1.0.0", register_synthetic)
