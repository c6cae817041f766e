// nas::EpochOrder: seeded epoch orders and their shards over ranks.
//
// Independent facts used here: orders worked out by hand for unshuffled splits, and shuffled
// orders printed by tests/oracle/data_order.py, a plain-Python re-implementation of the seed
// scheme, std::mt19937_64 (checked against the C++ standard's published output) and the
// Fisher–Yates loop that nas/epoch_order.h specifies.
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nas/epoch_order.h"
#include "nas/error.h"

namespace {

using Indices = std::vector<std::int64_t>;

nas::EpochOrder make(std::int64_t size, std::uint64_t seed, std::int64_t batch, std::int64_t rank,
                     std::int64_t world, bool drop_last, bool shuffle = true) {
  nas::EpochOptions o;
  o.batch_size = batch;
  o.rank = rank;
  o.world_size = world;
  o.drop_last = drop_last;
  o.shuffle = shuffle;
  return nas::EpochOrder(size, seed, o);
}

TEST(EpochOrder, SmallUnshuffledCaseByHand) {
  // 5 samples, 2 ranks, batches of 2. Padded to 6 = ceil(5/2)*2 with order[5 mod 5] = 0;
  // rank 0 takes positions 0, 2, 4 -> 0, 2, 4; rank 1 takes 1, 3, 5 -> 1, 3, 0 (padding).
  const nas::EpochOrder r0 = make(5, 1, 2, 0, 2, false, false);
  const nas::EpochOrder r1 = make(5, 1, 2, 1, 2, false, false);
  EXPECT_EQ(r0.shard(0), (Indices{0, 2, 4}));
  EXPECT_EQ(r1.shard(0), (Indices{1, 3, 0}));
  EXPECT_EQ(r0.batches(0), (std::vector<Indices>{{0, 2}, {4}}));
  EXPECT_EQ(r1.batches(0), (std::vector<Indices>{{1, 3}, {0}}));
  EXPECT_EQ(r0.real_samples(), 3);
  EXPECT_EQ(r1.real_samples(), 2);
  EXPECT_EQ(r0.num_batches(), 2);
  EXPECT_EQ(r1.num_batches(), 2);
  // drop_last: floor(5 / (2*2)) = 1 step of 2 per rank, positions 0..3; sample 4 is skipped.
  const nas::EpochOrder d0 = make(5, 1, 2, 0, 2, true, false);
  const nas::EpochOrder d1 = make(5, 1, 2, 1, 2, true, false);
  EXPECT_EQ(d0.batches(0), (std::vector<Indices>{{0, 2}}));
  EXPECT_EQ(d1.batches(0), (std::vector<Indices>{{1, 3}}));
  EXPECT_EQ(d1.real_samples(), 2);
  // Fewer samples than ranks: one sample, three ranks; ranks 1 and 2 get it as padding.
  for (std::int64_t r = 0; r < 3; ++r) {
    const nas::EpochOrder o = make(1, 1, 4, r, 3, false, false);
    EXPECT_EQ(o.shard(7), (Indices{0}));
    EXPECT_EQ(o.real_samples(), r == 0 ? 1 : 0);
  }
  // One rank, 7 samples, batches of 3: 3 + 3 + 1, or 3 + 3 with drop_last.
  EXPECT_EQ(make(7, 0, 3, 0, 1, false, false).batches(0),
            (std::vector<Indices>{{0, 1, 2}, {3, 4, 5}, {6}}));
  EXPECT_EQ(make(7, 0, 3, 0, 1, true, false).batches(0),
            (std::vector<Indices>{{0, 1, 2}, {3, 4, 5}}));
}

TEST(EpochOrder, ShuffledOrdersMatchThePythonOracle) {
  // tests/oracle/data_order.py
  EXPECT_EQ(make(10, 7, 1, 0, 1, false).permutation(0), (Indices{4, 1, 6, 2, 5, 8, 7, 9, 0, 3}));
  EXPECT_EQ(make(10, 7, 1, 0, 1, false).permutation(1), (Indices{8, 4, 7, 2, 6, 0, 9, 3, 5, 1}));
  EXPECT_EQ(make(10, 8, 1, 0, 1, false).permutation(0), (Indices{5, 4, 3, 6, 9, 1, 0, 7, 2, 8}));
  EXPECT_EQ(make(6, 2024, 1, 0, 1, false).permutation(3), (Indices{2, 3, 1, 5, 4, 0}));
  const Indices big = make(50000, 1, 128, 0, 1, false).permutation(0);
  EXPECT_EQ(Indices(big.begin(), big.begin() + 8),
            (Indices{23997, 13954, 6430, 29999, 19208, 3038, 8009, 18509}));
  EXPECT_EQ(big.back(), 35681);
  // Shards follow from the order: seed 7, epoch 0 over 3 ranks, padded to 12 with 4, 1.
  EXPECT_EQ(make(10, 7, 2, 0, 3, false).shard(0), (Indices{4, 2, 7, 3}));
  EXPECT_EQ(make(10, 7, 2, 1, 3, false).shard(0), (Indices{1, 5, 9, 4}));
  EXPECT_EQ(make(10, 7, 2, 2, 3, false).shard(0), (Indices{6, 8, 0, 1}));
}

TEST(EpochOrder, SeedAndEpochDecideTheOrder) {
  const nas::EpochOrder a = make(1000, 42, 32, 0, 1, false);
  const nas::EpochOrder b = make(1000, 42, 7, 0, 1, true);  // batching does not change the order
  EXPECT_EQ(a.permutation(3), a.permutation(3));
  EXPECT_EQ(a.permutation(3), b.permutation(3));
  EXPECT_NE(a.permutation(3), a.permutation(4));
  EXPECT_NE(a.permutation(3), make(1000, 43, 32, 0, 1, false).permutation(3));
  // Seeds that differ only in their high half give other orders too (derive_seed mixes all 64).
  EXPECT_NE(a.permutation(0),
            make(1000, 42 + (std::uint64_t{1} << 40), 32, 0, 1, false).permutation(0));
  Indices sorted = a.permutation(9);
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t i = 0; i < 1000; ++i) EXPECT_EQ(sorted[static_cast<std::size_t>(i)], i);
}

TEST(EpochOrder, ShardsAreDisjointAndCoverTheEpoch) {
  for (std::int64_t size : {1, 2, 7, 10, 64, 101}) {
    for (std::int64_t world : {1, 2, 3, 4, 8}) {
      for (std::int64_t batch : {1, 3, 16}) {
        for (bool drop_last : {false, true}) {
          if (drop_last && size < world * batch) continue;  // refused, tested below
          const std::string where = "size " + std::to_string(size) + " world " +
                                    std::to_string(world) + " batch " + std::to_string(batch) +
                                    (drop_last ? " drop_last" : "");
          const Indices order = make(size, 5, batch, 0, world, drop_last).permutation(2);
          std::multiset<std::int64_t> real;
          std::vector<std::int64_t> batch_sizes;
          std::int64_t total = 0;
          for (std::int64_t r = 0; r < world; ++r) {
            const nas::EpochOrder o = make(size, 5, batch, r, world, drop_last);
            const Indices mine = o.shard(2);
            ASSERT_EQ(static_cast<std::int64_t>(mine.size()), o.samples_per_rank()) << where;
            real.insert(mine.begin(), mine.begin() + o.real_samples());
            total += static_cast<std::int64_t>(mine.size());
            // Padding, where there is any, repeats the start of the epoch's order.
            for (std::int64_t j = o.real_samples(); j < o.samples_per_rank(); ++j) {
              const std::int64_t position = j * world + r;
              EXPECT_EQ(mine[static_cast<std::size_t>(j)],
                        order[static_cast<std::size_t>(position % size)])
                  << where;
            }
            // Every rank has the same batches count and sizes.
            std::vector<std::int64_t> sizes;
            Indices joined;
            for (const Indices& b : o.batches(2)) {
              sizes.push_back(static_cast<std::int64_t>(b.size()));
              joined.insert(joined.end(), b.begin(), b.end());
              EXPECT_LE(static_cast<std::int64_t>(b.size()), batch) << where;
            }
            EXPECT_EQ(joined, mine) << where;
            EXPECT_EQ(static_cast<std::int64_t>(sizes.size()), o.num_batches()) << where;
            if (r == 0) batch_sizes = sizes;
            EXPECT_EQ(sizes, batch_sizes) << where << " rank " << r;
          }
          // Real samples are disjoint and are the epoch (or, with drop_last, its first L).
          const std::int64_t covered = drop_last ? (size / (world * batch)) * world * batch : size;
          const std::multiset<std::int64_t> expected(order.begin(), order.begin() + covered);
          EXPECT_EQ(real, expected) << where;
          EXPECT_EQ(total, drop_last ? covered : (size + world - 1) / world * world) << where;
          EXPECT_LE(total - static_cast<std::int64_t>(real.size()), world - 1) << where;
        }
      }
    }
  }
}

TEST(EpochOrder, ShuffleIsUniform) {
  // 24000 epochs of 4 samples: each of the 24 orders should come up about 1000 times. The
  // chi-square statistic with 23 degrees of freedom exceeds 49.7 with probability 0.001; a
  // biased shuffle (swapping with any slot instead of a later one) scores in the hundreds.
  const nas::EpochOrder o = make(4, 11, 1, 0, 1, false);
  std::map<Indices, int> counts;
  const int epochs = 24000;
  for (int e = 0; e < epochs; ++e) ++counts[o.permutation(static_cast<std::uint64_t>(e))];
  ASSERT_EQ(counts.size(), 24u);
  double chi2 = 0;
  for (const auto& [order, n] : counts) chi2 += (n - 1000.0) * (n - 1000.0) / 1000.0;
  EXPECT_LT(chi2, 49.7);
}

TEST(EpochOrder, RefusesBadOptionsByName) {
  auto expect_refusal = [](std::int64_t size, std::int64_t batch, std::int64_t rank,
                           std::int64_t world, bool drop_last, const std::string& needle) {
    try {
      make(size, 0, batch, rank, world, drop_last);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const nas::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_refusal(0, 1, 0, 1, false, "empty");
  expect_refusal(10, 0, 0, 1, false, "batch_size");
  expect_refusal(10, 1, 0, 0, false, "world_size");
  expect_refusal(10, 1, 2, 2, false, "rank");
  expect_refusal(10, 1, -1, 2, false, "rank");
  expect_refusal(10, 4, 0, 3, true, "drop_last");  // 10 < 3 ranks x 4
  EXPECT_NO_THROW(make(12, 0, 4, 0, 3, true));
}

}  // namespace
