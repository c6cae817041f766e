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
// The test split uses nas::mix64(seed) so that the two splits of one seed differ.
#include <cstdint>
#include <memory>
#include <string>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/randint.h>
#include <ATen/ops/randn.h>

#include "nas/dataset.h"
#include "nas/error.h"
#include "nas/params.h"
#include "nas/plugin.h"
#include "nas/seed.h"

namespace {

std::uint64_t fold_to_32_bits(std::uint64_t seed) { return (seed ^ (seed >> 32)) & 0xffffffffu; }

class Synthetic final : public nas::Dataset {
 public:
  explicit Synthetic(const nas::Params& params)
      : channels_(params.get_int("channels")),
        size_(params.get_int("size")),
        num_classes_(params.get_int("num_classes")) {}

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
    const std::uint64_t split_seed = split == nas::Split::kTrain ? seed : nas::mix64(seed);
    at::Generator gen = at::detail::createCPUGenerator(fold_to_32_bits(split_seed));
    at::Tensor inputs = at::randn({size, channels_, size_, size_}, gen, at::kFloat);
    at::Tensor labels = at::randint(0, num_classes_, {size}, gen, at::kLong);
    return {inputs, labels};
  }

 private:
  std::int64_t channels_;
  std::int64_t size_;
  std::int64_t num_classes_;
};

void register_synthetic(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_int("channels", 3, "input channels", nas::between(1, 64));
  schema.add_int("size", 32, "input height and width", nas::between(1, 4096));
  schema.add_int("num_classes", 10, "labels are drawn uniformly from [0, num_classes)",
                 nas::between(1, 1000000));
  registrar.add_dataset(
      "synthetic", "Gaussian noise inputs with uniform random labels, drawn under the batch seed",
      schema, [](const nas::Params& params) { return std::make_shared<Synthetic>(params); });
}

}  // namespace

NAS_PLUGIN("synthetic", "1.0.0", register_synthetic)
