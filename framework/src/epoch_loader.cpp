#include "nas/epoch_loader.h"

#include <string>
#include <utility>

#include "nas/device.h"
#include "nas/error.h"
#include "nas/transform.h"

namespace nas {

namespace {

std::int64_t split_size(const std::shared_ptr<const Dataset>& data, Split split) {
  if (!data) throw Error("epoch loader: no dataset");
  return data->size(split);
}

}  // namespace

EpochLoader::EpochLoader(std::shared_ptr<const Dataset> data, LoaderOptions options)
    : data_(std::move(data)),
      options_(options),
      order_(split_size(data_, options_.split), options_.seed, options_.epoch),
      device_(resolve_device(options_.device, "epoch loader: device")) {
  const bool augment = options_.augment.value_or(options_.split == Split::kTrain);
  if (augment) augmentation_ = data_->augmentation();
  normalization_ = data_->normalization();
}

std::vector<std::int64_t> EpochLoader::indices(std::uint64_t epoch, std::int64_t b) const {
  if (b < 0 || b >= num_batches()) {
    throw Error("epoch loader: batch " + std::to_string(b) + " is outside the " +
                std::to_string(num_batches()) + " batches of an epoch of the " +
                to_string(options_.split) + " split");
  }
  std::shared_ptr<const std::vector<std::vector<std::int64_t>>> batches;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!cached_epoch_ || *cached_epoch_ != epoch) {
      cached_ =
          std::make_shared<const std::vector<std::vector<std::int64_t>>>(order_.batches(epoch));
      cached_epoch_ = epoch;
    }
    batches = cached_;
  }
  return (*batches)[static_cast<std::size_t>(b)];
}

Batch EpochLoader::batch(std::uint64_t epoch, std::int64_t b) const {
  const std::vector<std::int64_t> rows = indices(epoch, b);
  Batch out = data_->samples(options_.split, rows);
  std::vector<std::uint64_t> seeds(rows.size());
  if (augmentation_) {
    for (std::size_t i = 0; i < rows.size(); ++i)
      seeds[i] = augment_seed(options_.seed, epoch, rows[i]);
    out.inputs = augmentation_->apply(out.inputs, seeds);
  }
  if (normalization_) out.inputs = normalization_->apply(out.inputs, seeds);
  return to_device(out, device_);
}

}  // namespace nas
