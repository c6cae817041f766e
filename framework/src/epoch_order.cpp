#include "nas/epoch_order.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <utility>

#include "nas/error.h"
#include "nas/seed.h"

namespace nas {

namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw UsageError("epoch order: " + what);
}

}  // namespace

EpochOrder::EpochOrder(std::int64_t size, std::uint64_t seed, EpochOptions options)
    : size_(size), seed_(seed), options_(options) {
  const std::int64_t w = options_.world_size;
  const std::int64_t b = options_.batch_size;
  require(size_ >= 1, "the split is empty (size " + std::to_string(size_) + ")");
  require(b >= 1, "batch_size must be >= 1, got " + std::to_string(b));
  require(w >= 1, "world_size must be >= 1, got " + std::to_string(w));
  require(options_.rank >= 0 && options_.rank < w, "rank must be in [0, world_size - 1] = [0, " +
                                                       std::to_string(w - 1) + "], got " +
                                                       std::to_string(options_.rank));
  if (options_.drop_last) {
    // Whole global steps only: every rank takes batch_size samples per step.
    const std::int64_t steps = size_ / (w * b);
    require(steps >= 1, "with drop_last, a split of " + std::to_string(size_) +
                            " samples holds no whole batch of " + std::to_string(b) +
                            " for each of " + std::to_string(w) +
                            " ranks; use a smaller batch_size or drop_last: false");
    per_rank_ = steps * b;
    real_ = per_rank_;
  } else {
    per_rank_ = (size_ + w - 1) / w;
    // Rank r's last position, (per_rank - 1) * w + r, is padding when it reaches size.
    real_ = (per_rank_ - 1) * w + options_.rank < size_ ? per_rank_ : per_rank_ - 1;
  }
}

std::int64_t EpochOrder::num_batches() const {
  return (per_rank_ + options_.batch_size - 1) / options_.batch_size;
}

std::vector<std::int64_t> EpochOrder::permutation(std::uint64_t epoch) const {
  std::vector<std::int64_t> order(static_cast<std::size_t>(size_));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  if (!options_.shuffle) return order;
  Rng rng(derive_seed(seed_, "epoch_order", {}, epoch));
  for (std::int64_t i = 0; i + 1 < size_; ++i) {
    std::swap(order[static_cast<std::size_t>(i)],
              order[static_cast<std::size_t>(i + rng.below(size_ - i))]);
  }
  return order;
}

std::vector<std::int64_t> EpochOrder::shard(std::uint64_t epoch) const {
  const std::vector<std::int64_t> order = permutation(epoch);
  std::vector<std::int64_t> out(static_cast<std::size_t>(per_rank_));
  for (std::int64_t j = 0; j < per_rank_; ++j) {
    const std::int64_t position = j * options_.world_size + options_.rank;
    out[static_cast<std::size_t>(j)] = order[static_cast<std::size_t>(position % size_)];
  }
  return out;
}

std::vector<std::vector<std::int64_t>> EpochOrder::batches(std::uint64_t epoch) const {
  const std::vector<std::int64_t> mine = shard(epoch);
  std::vector<std::vector<std::int64_t>> out;
  out.reserve(static_cast<std::size_t>(num_batches()));
  for (std::int64_t start = 0; start < per_rank_; start += options_.batch_size) {
    const std::int64_t end = std::min(per_rank_, start + options_.batch_size);
    out.emplace_back(mine.begin() + start, mine.begin() + end);
  }
  return out;
}

}  // namespace nas
