#include "nas/transform.h"

#include <algorithm>
#include <utility>

#include <ATen/ops/constant_pad_nd.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/flip.h>
#include <ATen/ops/tensor.h>

#include "nas/error.h"
#include "nas/params.h"
#include "nas/seed.h"

namespace nas {

namespace {

void check_batch(const std::string& who, const at::Tensor& x,
                 const std::vector<std::uint64_t>& seeds) {
  if (!x.defined() || x.dim() != 4) {
    throw Error(who + ": expects a batch of images (N, C, H, W), got " +
                (x.defined() ? std::to_string(x.dim()) + " dimensions" : "no tensor"));
  }
  if (static_cast<std::int64_t>(seeds.size()) != x.size(0)) {
    throw Error(who + ": " + std::to_string(seeds.size()) + " seeds for a batch of " +
                std::to_string(x.size(0)) + " samples");
  }
}

std::string format_number(double v) {
  std::string text = std::to_string(v);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

Transform::~Transform() = default;

RandomCrop::RandomCrop(std::int64_t padding) : padding_(padding) {
  if (padding_ < 1) {
    throw UsageError("crop: padding must be >= 1, got " + std::to_string(padding_));
  }
}

std::string RandomCrop::name() const { return "crop(" + std::to_string(padding_) + ")"; }

at::Tensor RandomCrop::apply(const at::Tensor& inputs,
                             const std::vector<std::uint64_t>& seeds) const {
  check_batch(name(), inputs, seeds);
  const std::int64_t h = inputs.size(2), w = inputs.size(3), p = padding_;
  const at::Tensor padded = at::constant_pad_nd(inputs, {p, p, p, p}, 0.0);
  at::Tensor out = at::empty_like(inputs);
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    Rng rng(seeds[i]);
    const std::int64_t dy = rng.below(2 * p + 1);  // row first, as torchvision draws them
    const std::int64_t dx = rng.below(2 * p + 1);
    const auto n = static_cast<std::int64_t>(i);
    out[n].copy_(padded[n].narrow(1, dy, h).narrow(2, dx, w));
  }
  return out;
}

std::string RandomHorizontalFlip::name() const { return "flip"; }

at::Tensor RandomHorizontalFlip::apply(const at::Tensor& inputs,
                                       const std::vector<std::uint64_t>& seeds) const {
  check_batch(name(), inputs, seeds);
  at::Tensor out = inputs.clone();
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    Rng rng(seeds[i]);
    const auto n = static_cast<std::int64_t>(i);
    if (rng.below(2) == 1) out[n].copy_(at::flip(inputs[n], {2}));
  }
  return out;
}

Normalize::Normalize(std::vector<double> mean, std::vector<double> std)
    : mean_(std::move(mean)), std_(std::move(std)) {
  if (mean_.empty() || mean_.size() != std_.size()) {
    throw UsageError(
        "normalize: needs as many means as standard deviations (one per channel, "
        "or one for all), got " +
        std::to_string(mean_.size()) + " and " + std::to_string(std_.size()));
  }
  for (double s : std_) {
    if (!(s > 0))
      throw UsageError("normalize: standard deviations must be > 0, got " + format_number(s));
  }
}

std::string Normalize::name() const {
  std::string text = "normalize(";
  for (std::size_t c = 0; c < mean_.size(); ++c) {
    text += (c ? ", " : "") + format_number(mean_[c]) + "/" + format_number(std_[c]);
  }
  return text + ")";
}

at::Tensor Normalize::apply(const at::Tensor& inputs,
                            const std::vector<std::uint64_t>& seeds) const {
  check_batch(name(), inputs, seeds);
  const std::int64_t channels = inputs.size(1);
  if (mean_.size() != 1 && static_cast<std::int64_t>(mean_.size()) != channels) {
    throw Error(name() + ": has " + std::to_string(mean_.size()) +
                " channel statistics for images of " + std::to_string(channels) + " channels");
  }
  at::Tensor out = inputs.clone();
  for (std::int64_t c = 0; c < channels; ++c) {
    const std::size_t k = mean_.size() == 1 ? 0 : static_cast<std::size_t>(c);
    out.select(1, c).sub_(mean_[k]).div_(std_[k]);
  }
  return out;
}

Compose::Compose(std::vector<std::shared_ptr<const Transform>> stages)
    : stages_(std::move(stages)) {
  for (const auto& s : stages_) {
    if (!s) throw Error("compose: a stage is missing (null transform)");
  }
}

std::string Compose::name() const {
  std::string text;
  for (const auto& s : stages_) text += (text.empty() ? "" : " > ") + s->name();
  return text.empty() ? "identity" : text;
}

at::Tensor Compose::apply(const at::Tensor& inputs, const std::vector<std::uint64_t>& seeds) const {
  check_batch("compose", inputs, seeds);
  at::Tensor x = inputs;
  std::vector<std::uint64_t> own(seeds.size());
  for (std::size_t k = 0; k < stages_.size(); ++k) {
    for (std::size_t i = 0; i < seeds.size(); ++i) own[i] = stage_seed(seeds[i], k);
    x = stages_[k]->apply(x, own);
  }
  return stages_.empty() ? inputs.clone() : x;
}

std::uint64_t augment_seed(std::uint64_t master, std::uint64_t epoch, std::int64_t index) {
  return mix64(derive_seed(master, "augment", {}, epoch) ^ static_cast<std::uint64_t>(index));
}

std::uint64_t stage_seed(std::uint64_t seed, std::size_t stage) {
  return mix64(seed + static_cast<std::uint64_t>(stage));
}

void add_augmentation_params(ParamSchema& schema, std::int64_t default_padding) {
  schema.add_string_list("augment", {},
                         "training augmentation, applied in the order listed to the train split "
                         "only: crop (zero-padded random crop), flip (horizontal, p = 1/2); "
                         "empty: none");
  schema.add_int("crop_padding", default_padding,
                 "zeros added on each side before a random crop, in [1, image side]");
}

std::shared_ptr<const Transform> make_augmentation(const Params& params, std::int64_t image_side,
                                                   const std::string& component) {
  const std::string where = component + ": params.";
  const std::vector<std::string>& names = params.get_string_list("augment");
  const std::int64_t padding = params.get_int("crop_padding");
  // Judged only when a crop is asked for: a small image without augmentation is fine.
  const bool crops = std::find(names.begin(), names.end(), "crop") != names.end();
  if (crops && (padding < 1 || padding > image_side)) {
    throw UsageError(where + "crop_padding must be in [1, " + std::to_string(image_side) +
                     "] (the image side), got " + std::to_string(padding));
  }
  std::vector<std::shared_ptr<const Transform>> stages;
  std::vector<std::string> seen;
  for (const std::string& name : names) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      throw UsageError(where + "augment names '" + printable(name) + "' twice");
    }
    seen.push_back(name);
    if (name == "crop") {
      stages.push_back(std::make_shared<RandomCrop>(padding));
    } else if (name == "flip") {
      stages.push_back(std::make_shared<RandomHorizontalFlip>());
    } else {
      throw UsageError(where + "augment: unknown augmentation '" + printable(name) +
                       "' (valid: crop, flip)");
    }
  }
  if (stages.empty()) return nullptr;
  return std::make_shared<Compose>(std::move(stages));
}

}  // namespace nas
