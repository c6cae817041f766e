// The splits of a dataset read into memory as a training file set and a test file set, as the
// cifar and fashion_mnist plugins hold theirs, and the rows a batch draws from them.
//
// * test: the whole test set. validation: the last `validation_size` images of the training
//   set, in file order (a fixed tail: no seed, and any tool can name the same images). train:
//   the images before them. validation_size must leave at least one training image, else
//   nas::UsageError.
// * Probe batches, batch(n, seed, kTrain), draw from the whole training set (nas/dataset.h), so
//   validation_size never changes a proxy's score; other splits draw from the split.
// * A batch is `size` distinct rows by a partial Fisher–Yates shuffle driven by nas::Rng(seed)
//   alone (platform-independent bounded draws; torch's generator is never touched): the first
//   `size` slots end up a uniform sample without replacement, in random order, so the same
//   seed gives the same batch on any thread.
// Header-only, for the dataset plugins (nas_plugin_common).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "nas/dataset.h"
#include "nas/error.h"
#include "nas/seed.h"

namespace nas_splits {

// How a plugin names its data in messages.
struct Names {
  std::string dataset;    // "cifar10"
  std::string train_set;  // "training set" or "training file"
  bool max_images;        // whether params.max_images cut the files
};

// A contiguous run of images of one file set: a split, or the probe pool.
template <typename File>
struct Pool {
  std::shared_ptr<const File> file;
  std::int64_t begin = 0;
  std::int64_t count = 0;
};

// The splits of one dataset over its file sets, read through `load(test)` on first use.
template <typename File>  // File has `count`, the images it holds
class TailSplits {
 public:
  using Load = std::function<std::shared_ptr<const File>(bool test)>;

  TailSplits(Names names, std::int64_t validation_size, Load load)
      : names_(std::move(names)), validation_size_(validation_size), load_(std::move(load)) {}

  // The images of `split`.
  Pool<File> pool(nas::Split split) const {
    if (split == nas::Split::kTest) {
      std::shared_ptr<const File> file = load_(true);
      return {file, 0, file->count};
    }
    std::shared_ptr<const File> file = load_(false);
    if (validation_size_ >= file->count) {
      throw nas::UsageError(names_.dataset + ": params.validation_size " +
                            std::to_string(validation_size_) + " leaves no training images: the " +
                            names_.train_set +
                            (names_.max_images ? " (cut to params.max_images)" : "") + " holds " +
                            std::to_string(file->count) + "; choose validation_size in [0, " +
                            std::to_string(file->count - 1) + "]");
    }
    const std::int64_t train = file->count - validation_size_;
    if (split == nas::Split::kTrain) return {file, 0, train};
    return {file, train, validation_size_};
  }

  // The file set and rows of batch(size, seed, split).
  std::pair<std::shared_ptr<const File>, std::vector<std::int64_t>> batch_rows(
      std::int64_t size, std::uint64_t seed, nas::Split split) const {
    Pool<File> from;
    if (split == nas::Split::kTrain) {
      from.file = load_(false);
      from.count = from.file->count;
    } else {
      from = pool(split);
    }
    const std::int64_t count = from.count;
    if (size <= 0 || size > count) {
      const std::string what = split == nas::Split::kTrain  ? names_.train_set
                               : split == nas::Split::kTest ? "test split"
                                                            : "validation split";
      throw nas::Error(names_.dataset + ": cannot draw a batch of " + std::to_string(size) +
                       " from the " + std::to_string(count) + " images of the " + what +
                       (split == nas::Split::kValidation ? " (params.validation_size)" : "") +
                       (names_.max_images ? " (params.max_images)" : ""));
    }
    nas::Rng rng(seed);
    std::vector<std::int64_t> order(static_cast<std::size_t>(count));
    std::iota(order.begin(), order.end(), from.begin);
    for (std::int64_t i = 0; i < size; ++i) std::swap(order[i], order[i + rng.below(count - i)]);
    order.resize(static_cast<std::size_t>(size));
    return {from.file, std::move(order)};
  }

  // The file set and rows of samples(split, indices), each index checked against the split.
  std::pair<std::shared_ptr<const File>, std::vector<std::int64_t>> sample_rows(
      nas::Split split, const std::vector<std::int64_t>& indices) const {
    const Pool<File> from = pool(split);
    std::vector<std::int64_t> rows(indices.size());
    for (std::size_t i = 0; i < indices.size(); ++i) {
      if (indices[i] < 0 || indices[i] >= from.count) {
        throw nas::Error(names_.dataset + ": sample index " + std::to_string(indices[i]) +
                         " is outside the " + std::to_string(from.count) + " images of the " +
                         nas::to_string(split) + " split");
      }
      rows[i] = from.begin + indices[i];
    }
    return {from.file, std::move(rows)};
  }

 private:
  Names names_;
  std::int64_t validation_size_;
  Load load_;
};

}  // namespace nas_splits
