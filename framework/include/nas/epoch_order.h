// EpochOrder: which samples of a split each process reads, batch by batch, in each epoch.
//
// Contract:
// * Order. Epoch e visits the `size` samples of a split in an order that depends only on
//   (seed, e): a Fisher–Yates shuffle of 0..size-1 (for i = 0 .. size-2: swap slot i with
//   slot i + Rng::below(size - i)) driven by nas::Rng(derive_seed(seed, "epoch_order", "", e)).
//   nas::Rng's bounded draws are exact and identical on every platform, so every rank of a
//   distributed run computes the same order alone, with no communication, and a resumed run
//   replays an epoch exactly. shuffle: false keeps 0..size-1 (for evaluation).
// * Shards. Rank r of w takes the epoch's positions r, r + w, r + 2w, ... (as torch's
//   DistributedSampler does) of the order cut or padded to a length L that w divides:
//   - drop_last false: L = ceil(size / w) * w; the order is padded by repeating it from its
//     start (position p >= size holds order[p mod size]). Each rank gets L / w samples; at most
//     one of them, always its last, is padding (ranks r >= size mod w when w does not divide
//     size). real_samples() says how many of this rank's samples are not padding, so that an
//     exact evaluation can ignore the rest. Batches are runs of batch_size consecutive samples
//     of the rank's share, the last one possibly shorter.
//   - drop_last true: L = floor(size / (w * batch_size)) * w * batch_size: only whole batches,
//     and the at most w * batch_size - 1 samples at the end of the epoch's order are skipped
//     (other samples each epoch, as the order changes). A split with fewer than w * batch_size
//     samples is refused.
//   Either way every rank has the same number of batches, of the same sizes, so collective
//   operations stay in step; the ranks' shares are disjoint apart from padding, and their
//   union is the whole epoch (drop_last false) or the first L samples of its order (true).
// * Bad options (size < 1, batch_size < 1, world_size < 1, rank outside [0, world_size))
//   throw nas::UsageError naming the option and its valid range.
#pragma once

#include <cstdint>
#include <vector>

namespace nas {

struct EpochOptions {
  std::int64_t batch_size = 1;  // per rank
  std::int64_t rank = 0;
  std::int64_t world_size = 1;
  bool shuffle = true;
  bool drop_last = false;
};

class EpochOrder {
 public:
  EpochOrder(std::int64_t size, std::uint64_t seed, EpochOptions options);

  // The epoch's order of all samples, before sharding (length size()).
  std::vector<std::int64_t> permutation(std::uint64_t epoch) const;
  // This rank's samples in the epoch, in order (length samples_per_rank()).
  std::vector<std::int64_t> shard(std::uint64_t epoch) const;
  // shard(epoch) cut into num_batches() batches.
  std::vector<std::vector<std::int64_t>> batches(std::uint64_t epoch) const;

  std::int64_t size() const { return size_; }
  std::uint64_t seed() const { return seed_; }
  const EpochOptions& options() const { return options_; }
  std::int64_t samples_per_rank() const { return per_rank_; }
  // The first real_samples() of shard() are not padding; the same for every epoch.
  std::int64_t real_samples() const { return real_; }
  std::int64_t num_batches() const;

 private:
  std::int64_t size_;
  std::uint64_t seed_;
  EpochOptions options_;
  std::int64_t per_rank_ = 0;
  std::int64_t real_ = 0;
};

}  // namespace nas
