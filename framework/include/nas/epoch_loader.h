// EpochLoader: the batches one rank reads from a dataset split, epoch by epoch, for training
// and evaluation.
//
// Contract: batch(epoch, b) is batch b of this rank's share of `epoch` (nas::EpochOrder over
// the split's size, with the options' seed, batch size, rank, world size, shuffle and
// drop_last): the dataset's samples() at those indices, then, when augmenting, the dataset's
// augmentation() with per-sample seeds augment_seed(seed, epoch, index), then the dataset's
// normalization(). So a batch depends only on (dataset, options, epoch, b): it is random
// access (a resumed run asks for the batch where it stopped), re-entrant (threads may ask for
// different batches at once), and a sample is augmented the same way whatever the rank count
// or batch size. Augmentation applies by default to the train split only (validation and test
// are never augmented unless `augment` says so). The last batches may hold padding
// (order().real_samples()). Batches are produced on the CPU and moved to `device` as the last
// step (nas/device.h); the constructor refuses a device this build or machine cannot use.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <c10/core/Device.h>

#include "nas/dataset.h"
#include "nas/epoch_order.h"

namespace nas {

class Transform;

struct LoaderOptions {
  Split split = Split::kTrain;
  std::uint64_t seed = 0;  // master seed of the order and the augmentation
  EpochOptions epoch;      // batch size per rank, rank, world size, shuffle, drop_last
  // Apply the dataset's augmentation(); unset: on the train split only.
  std::optional<bool> augment;
  std::string device = "cpu";  // where batches end up: cpu, cuda, cuda:<index>
};

class EpochLoader {
 public:
  // Throws nas::Error when the dataset has no indexed samples, nas::UsageError for bad
  // epoch options (nas/epoch_order.h).
  EpochLoader(std::shared_ptr<const Dataset> data, LoaderOptions options);

  std::int64_t num_batches() const { return order_.num_batches(); }
  const EpochOrder& order() const { return order_; }
  const LoaderOptions& options() const { return options_; }
  // Whether batches are augmented (the resolved `augment` option and a dataset that has an
  // augmentation).
  bool augmenting() const { return augmentation_ != nullptr; }
  const c10::Device& device() const { return device_; }

  // The dataset indices of batch b of `epoch`; b in [0, num_batches()).
  std::vector<std::int64_t> indices(std::uint64_t epoch, std::int64_t b) const;
  Batch batch(std::uint64_t epoch, std::int64_t b) const;

 private:
  std::shared_ptr<const Dataset> data_;
  LoaderOptions options_;
  EpochOrder order_;
  c10::Device device_;
  std::shared_ptr<const Transform> augmentation_;
  std::shared_ptr<const Transform> normalization_;
  // The last epoch's batches: recomputing the order for every batch would cost O(size) each.
  mutable std::mutex mutex_;
  mutable std::optional<std::uint64_t> cached_epoch_;
  mutable std::shared_ptr<const std::vector<std::vector<std::int64_t>>> cached_;
};

}  // namespace nas
