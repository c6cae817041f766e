// On-the-fly augmentation (nas/transform.h) and the epoch loader that applies it
// (nas/epoch_loader.h), on hand-made images and a hand-made dataset.
//
// Independent facts used here: crops and flips of small images worked out by hand, and the
// random choices (which seeds flip, which crop offsets a seed gives, augment_seed) printed by
// the plain-Python oracle tests/oracle/data_order.py.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "nas/dataset.h"
#include "nas/epoch_loader.h"
#include "nas/error.h"
#include "nas/params.h"
#include "nas/transform.h"

namespace {

using Seeds = std::vector<std::uint64_t>;

// (1, C, H, W) float image from nested rows, one block of rows per channel.
at::Tensor image(const std::vector<std::vector<std::vector<float>>>& channels) {
  const auto c = static_cast<std::int64_t>(channels.size());
  const auto h = static_cast<std::int64_t>(channels[0].size());
  const auto w = static_cast<std::int64_t>(channels[0][0].size());
  at::Tensor out = at::empty({1, c, h, w}, at::kFloat);
  auto a = out.accessor<float, 4>();
  for (std::int64_t k = 0; k < c; ++k)
    for (std::int64_t y = 0; y < h; ++y)
      for (std::int64_t x = 0; x < w; ++x) a[0][k][y][x] = channels[k][y][x];
  return out;
}

const at::Tensor& three_by_three() {
  static const at::Tensor t = image({{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}});
  return t;
}

TEST(Transforms, FlipOfAHandMadeImage) {
  // Oracle: seeds 0..15 flip as 0 0 0 1 1 0 0 1 1 1 0 1 0 1 1 0.
  const at::Tensor x = image({{{1, 2, 3}, {4, 5, 6}}});  // 1x1x2x3
  nas::RandomHorizontalFlip flip;
  EXPECT_TRUE(at::equal(flip.apply(x, {3}), image({{{3, 2, 1}, {6, 5, 4}}})));
  EXPECT_TRUE(at::equal(flip.apply(x, {0}), x));
  // Every channel flips together.
  const at::Tensor rgb = image({{{1, 2, 3}, {4, 5, 6}}, {{7, 8, 9}, {10, 11, 12}}});
  EXPECT_TRUE(
      at::equal(flip.apply(rgb, {4}), image({{{3, 2, 1}, {6, 5, 4}}, {{9, 8, 7}, {12, 11, 10}}})));
  const std::vector<int> expected{0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0};
  for (std::uint64_t s = 0; s < 16; ++s) {
    const bool flipped = !at::equal(flip.apply(x, {s}), x);
    EXPECT_EQ(flipped, expected[s] == 1) << "seed " << s;
  }
}

TEST(Transforms, CropWithPaddingAtKnownOffsets) {
  // Oracle: crop(1) draws offsets (dy, dx) = (0, 2) for seed 0, (2, 0) for seed 1, (1, 1) for
  // seed 5. Output (y, x) is input (y + dy - 1, x + dx - 1), 0 outside.
  nas::RandomCrop crop(1);
  EXPECT_TRUE(
      at::equal(crop.apply(three_by_three(), {0}), image({{{0, 0, 0}, {2, 3, 0}, {5, 6, 0}}})));
  EXPECT_TRUE(
      at::equal(crop.apply(three_by_three(), {1}), image({{{0, 4, 5}, {0, 7, 8}, {0, 0, 0}}})));
  EXPECT_TRUE(at::equal(crop.apply(three_by_three(), {5}), three_by_three()));
  // All nine offsets come up, and nothing else does.
  std::set<std::vector<float>> seen;
  for (std::uint64_t s = 0; s < 200; ++s) {
    const at::Tensor out = crop.apply(three_by_three(), {s}).flatten().contiguous();
    seen.insert(std::vector<float>(out.data_ptr<float>(), out.data_ptr<float>() + 9));
  }
  EXPECT_EQ(seen.size(), 9u);
  // Padding wider than the image keeps the image's shape; values come from the image or are 0.
  nas::RandomCrop wide(3);
  const at::Tensor small = image({{{5, 6}}});
  for (std::uint64_t s = 0; s < 20; ++s) {
    const at::Tensor out = wide.apply(small, {s});
    ASSERT_EQ(out.sizes(), small.sizes());
    for (float v : {out[0][0][0][0].item<float>(), out[0][0][0][1].item<float>()})
      EXPECT_TRUE(v == 0 || v == 5 || v == 6);
  }
}

TEST(Transforms, ASampleDependsOnItsSeedNotItsBatch) {
  const at::Tensor a = three_by_three();
  const at::Tensor b = a * 10;
  const at::Tensor c = a + 100;
  const at::Tensor batch = at::cat({a, b, c});
  const Seeds seeds{0, 1, 5};
  for (const auto& t : std::vector<std::shared_ptr<nas::Transform>>{
           std::make_shared<nas::RandomCrop>(1), std::make_shared<nas::RandomHorizontalFlip>()}) {
    const at::Tensor together = t->apply(batch, seeds);
    EXPECT_TRUE(at::equal(together[0], t->apply(a, {0})[0])) << t->name();
    EXPECT_TRUE(at::equal(together[1], t->apply(b, {1})[0])) << t->name();
    EXPECT_TRUE(at::equal(together[2], t->apply(c, {5})[0])) << t->name();
    EXPECT_TRUE(at::equal(together, t->apply(batch, seeds))) << t->name();  // deterministic
    EXPECT_TRUE(at::equal(batch, at::cat({a, b, c}))) << t->name();         // inputs left alone
  }
}

TEST(Transforms, NormalizePerChannel) {
  const at::Tensor x = image({{{1, 3}}, {{5, 7}}});  // 1x2x1x2
  nas::Normalize per_channel({1, 5}, {2, 4});
  EXPECT_TRUE(at::allclose(per_channel.apply(x, {0}), image({{{0, 1}}, {{0, 0.5}}})));
  nas::Normalize shared({1}, {2});
  EXPECT_TRUE(at::allclose(shared.apply(x, {9}), image({{{0, 1}}, {{2, 3}}})));
  nas::Normalize three({0, 0, 0}, {1, 1, 1});
  EXPECT_THROW(three.apply(x, {0}), nas::Error);  // 3 statistics, 2 channels
  EXPECT_THROW(nas::Normalize({0, 0}, {1}), nas::UsageError);
  EXPECT_THROW(nas::Normalize({0}, {0}), nas::UsageError);
  EXPECT_EQ(per_channel.name(), "normalize(1/2, 5/4)");
}

TEST(Transforms, ComposeGivesEachStageItsOwnSeeds) {
  // Oracle: augment_seed(3, 1, 4) = 12153472993595129898, whose stage seeds give crop(1)
  // offsets (0, 2) and no flip; augment_seed(3, 2, 4) = 11531824143905536902 gives (2, 1) and
  // a flip.
  EXPECT_EQ(nas::augment_seed(3, 1, 4), 12153472993595129898ull);
  EXPECT_EQ(nas::augment_seed(3, 2, 4), 11531824143905536902ull);
  nas::Compose chain(
      {std::make_shared<nas::RandomCrop>(1), std::make_shared<nas::RandomHorizontalFlip>()});
  EXPECT_EQ(chain.name(), "crop(1) > flip");
  EXPECT_TRUE(at::equal(chain.apply(three_by_three(), {12153472993595129898ull}),
                        image({{{0, 0, 0}, {2, 3, 0}, {5, 6, 0}}})));
  // (2, 1): output (y, x) = input (y + 1, x), then columns reversed.
  EXPECT_TRUE(at::equal(chain.apply(three_by_three(), {11531824143905536902ull}),
                        image({{{6, 5, 4}, {9, 8, 7}, {0, 0, 0}}})));
  EXPECT_TRUE(at::equal(nas::Compose({}).apply(three_by_three(), {1}), three_by_three()));
}

TEST(Transforms, RefuseShapesAndSeedCountsTheyCannotHandle) {
  nas::RandomCrop crop(1);
  EXPECT_THROW(crop.apply(at::zeros({3, 3}), {0}), nas::Error);
  EXPECT_THROW(crop.apply(three_by_three(), {0, 1}), nas::Error);
  EXPECT_THROW(nas::RandomHorizontalFlip().apply(three_by_three(), {}), nas::Error);
  EXPECT_THROW(nas::RandomCrop(0), nas::UsageError);
}

nas::Params augmentation_params(std::vector<std::string> names, std::int64_t padding = 4) {
  nas::ParamSchema schema;
  nas::add_augmentation_params(schema, 4);
  nas::Params params = nas::Params::defaults(schema, "ds");
  params.set("augment", std::move(names));
  params.set("crop_padding", padding);
  return params;
}

TEST(Transforms, AugmentationFromParams) {
  EXPECT_EQ(nas::make_augmentation(augmentation_params({}), 32, "ds"), nullptr);
  EXPECT_EQ(nas::make_augmentation(augmentation_params({"crop", "flip"}), 32, "ds")->name(),
            "crop(4) > flip");
  EXPECT_EQ(nas::make_augmentation(augmentation_params({"flip", "crop"}, 2), 28, "ds")->name(),
            "flip > crop(2)");
  auto expect_refusal = [](const nas::Params& p, const std::vector<std::string>& needles) {
    try {
      nas::make_augmentation(p, 32, "ds");
      ADD_FAILURE() << "no error";
    } catch (const nas::UsageError& e) {
      for (const auto& n : needles)
        EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
    }
  };
  expect_refusal(augmentation_params({"rotate"}), {"ds: params.augment", "rotate", "crop, flip"});
  expect_refusal(augmentation_params({"flip", "flip"}), {"twice"});
  expect_refusal(augmentation_params({"crop"}, 0), {"crop_padding", "[1, 32]"});
  expect_refusal(augmentation_params({"crop"}, 33), {"crop_padding", "[1, 32]"});
}

// ---------------------------------------------------------------------------------------------
// EpochLoader on a hand-made dataset: sample i of a split is the 1x2x2 image
// [[v, v + 0.25], [v + 0.5, v + 0.75]] with v = i + 100 * split, label i % 3; it flips on
// the train split and normalises with mean 1, std 2.

class Ramp : public nas::Dataset {
 public:
  nas::DataShape shape() const override { return {1, 2, 3}; }
  nas::Batch batch(std::int64_t, std::uint64_t, nas::Split) const override {
    throw nas::Error("not used");
  }
  std::int64_t size(nas::Split split) const override {
    return split == nas::Split::kTrain ? 10 : split == nas::Split::kValidation ? 3 : 4;
  }
  nas::Batch samples(nas::Split split, const std::vector<std::int64_t>& indices) const override {
    std::vector<at::Tensor> images;
    std::vector<std::int64_t> labels;
    for (std::int64_t i : indices) {
      if (i < 0 || i >= size(split)) throw nas::Error("index out of range");
      images.push_back(raw(split, i));
      labels.push_back(i % 3);
    }
    return {at::cat(images), at::tensor(labels)};
  }
  std::shared_ptr<const nas::Transform> normalization() const override {
    return std::make_shared<nas::Normalize>(std::vector<double>{1}, std::vector<double>{2});
  }
  std::shared_ptr<const nas::Transform> augmentation() const override {
    return std::make_shared<nas::RandomHorizontalFlip>();
  }
  static at::Tensor raw(nas::Split split, std::int64_t i) {
    const float v = static_cast<float>(i + 100 * static_cast<int>(split));
    return image({{{v, v + 0.25f}, {v + 0.5f, v + 0.75f}}});
  }
};

nas::LoaderOptions loader_options(nas::Split split, std::int64_t batch, std::int64_t rank,
                                  std::int64_t world, std::uint64_t seed = 21) {
  nas::LoaderOptions o;
  o.split = split;
  o.seed = seed;
  o.epoch.batch_size = batch;
  o.epoch.rank = rank;
  o.epoch.world_size = world;
  return o;
}

TEST(EpochLoader, BatchesAreTheOrderedSamplesNormalised) {
  auto data = std::make_shared<Ramp>();
  nas::LoaderOptions o = loader_options(nas::Split::kValidation, 2, 0, 1);
  o.epoch.shuffle = false;
  nas::EpochLoader loader(data, o);
  EXPECT_FALSE(loader.augmenting());  // validation: never augmented by default
  ASSERT_EQ(loader.num_batches(), 2);
  // Validation samples 0, 1 then 2: v = 100, 101, 102; (x - 1) / 2.
  const nas::Batch first = loader.batch(0, 0);
  EXPECT_TRUE(at::allclose(first.inputs[0], image({{{49.5f, 49.625f}, {49.75f, 49.875f}}})[0]));
  EXPECT_TRUE(at::allclose(first.inputs[1], image({{{50, 50.125f}, {50.25f, 50.375f}}})[0]));
  EXPECT_TRUE(at::equal(first.labels, at::tensor(std::vector<std::int64_t>{0, 1})));
  const nas::Batch second = loader.batch(7, 1);
  EXPECT_EQ(second.inputs.size(0), 1);
  EXPECT_EQ(second.labels[0].item<std::int64_t>(), 2);
  EXPECT_THROW(loader.batch(0, 2), nas::Error);
  EXPECT_THROW(loader.batch(0, -1), nas::Error);
}

TEST(EpochLoader, FollowsTheEpochOrderOfItsRank) {
  auto data = std::make_shared<Ramp>();
  for (std::int64_t rank = 0; rank < 3; ++rank) {
    nas::EpochLoader loader(data, loader_options(nas::Split::kTest, 1, rank, 3));
    nas::EpochOptions eo;
    eo.batch_size = 1;
    eo.rank = rank;
    eo.world_size = 3;
    const nas::EpochOrder order(4, 21, eo);
    for (std::uint64_t epoch : {0u, 1u, 5u}) {
      const auto batches = order.batches(epoch);
      ASSERT_EQ(static_cast<std::int64_t>(batches.size()), loader.num_batches());
      for (std::int64_t b = 0; b < loader.num_batches(); ++b) {
        EXPECT_EQ(loader.indices(epoch, b), batches[static_cast<std::size_t>(b)]);
        const std::int64_t i = batches[static_cast<std::size_t>(b)][0];
        EXPECT_TRUE(
            at::allclose(loader.batch(epoch, b).inputs, (Ramp::raw(nas::Split::kTest, i) - 1) / 2));
      }
    }
  }
}

TEST(EpochLoader, AugmentationDependsOnEpochAndIndexOnly) {
  auto data = std::make_shared<Ramp>();
  // The augmented image of every (epoch, index), as one rank with batches of 10 sees it.
  std::map<std::pair<std::uint64_t, std::int64_t>, at::Tensor> reference;
  nas::EpochLoader single(data, loader_options(nas::Split::kTrain, 10, 0, 1));
  EXPECT_TRUE(single.augmenting());
  int flips = 0;
  for (std::uint64_t epoch = 0; epoch < 4; ++epoch) {
    const auto rows = single.indices(epoch, 0);
    const nas::Batch b = single.batch(epoch, 0);
    for (std::size_t j = 0; j < rows.size(); ++j) {
      const at::Tensor plain = (Ramp::raw(nas::Split::kTrain, rows[j]) - 1) / 2;
      const at::Tensor got = b.inputs[static_cast<std::int64_t>(j)].unsqueeze(0);
      const bool flipped = !at::equal(got, plain);
      if (flipped) {
        EXPECT_TRUE(at::equal(got, at::flip(plain, {3})));
      }
      flips += flipped;
      reference[{epoch, rows[j]}] = got;
    }
  }
  EXPECT_GT(flips, 5);  // 40 fair coins
  EXPECT_LT(flips, 35);
  // Three ranks with batches of 2 augment each sample exactly the same way.
  for (std::int64_t rank = 0; rank < 3; ++rank) {
    nas::EpochLoader loader(data, loader_options(nas::Split::kTrain, 2, rank, 3));
    for (std::uint64_t epoch = 0; epoch < 4; ++epoch) {
      for (std::int64_t b = 0; b < loader.num_batches(); ++b) {
        const auto rows = loader.indices(epoch, b);
        const nas::Batch got = loader.batch(epoch, b);
        for (std::size_t j = 0; j < rows.size(); ++j) {
          EXPECT_TRUE(at::equal(got.inputs[static_cast<std::int64_t>(j)].unsqueeze(0),
                                reference[{epoch, rows[j]}]))
              << "rank " << rank << " epoch " << epoch << " index " << rows[j];
        }
      }
    }
  }
  // Another master seed augments (and orders) otherwise.
  nas::EpochLoader other(data, loader_options(nas::Split::kTrain, 10, 0, 1, 22));
  bool differs = false;
  for (std::uint64_t epoch = 0; epoch < 4 && !differs; ++epoch) {
    const auto rows = other.indices(epoch, 0);
    const nas::Batch b = other.batch(epoch, 0);
    for (std::size_t j = 0; j < rows.size(); ++j)
      differs = differs || !at::equal(b.inputs[static_cast<std::int64_t>(j)].unsqueeze(0),
                                      reference[{epoch, rows[j]}]);
  }
  EXPECT_TRUE(differs);
}

TEST(EpochLoader, AugmentOptionOverridesTheSplitDefault) {
  auto data = std::make_shared<Ramp>();
  nas::LoaderOptions train = loader_options(nas::Split::kTrain, 4, 0, 1);
  train.augment = false;
  EXPECT_FALSE(nas::EpochLoader(data, train).augmenting());
  nas::LoaderOptions test = loader_options(nas::Split::kTest, 4, 0, 1);
  test.augment = true;
  EXPECT_TRUE(nas::EpochLoader(data, test).augmenting());
}

TEST(EpochLoader, SameBatchesFromManyThreads) {
  auto data = std::make_shared<Ramp>();
  nas::EpochLoader loader(data, loader_options(nas::Split::kTrain, 3, 1, 2));
  std::map<std::pair<std::uint64_t, std::int64_t>, nas::Batch> serial;
  for (std::uint64_t e = 0; e < 6; ++e)
    for (std::int64_t b = 0; b < loader.num_batches(); ++b) serial[{e, b}] = loader.batch(e, b);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        const std::uint64_t e = static_cast<std::uint64_t>((t + round) % 6);
        for (std::int64_t b = 0; b < loader.num_batches(); ++b) {
          const nas::Batch got = loader.batch(e, b);
          if (!at::equal(got.inputs, serial[{e, b}].inputs)) ++mismatches;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(EpochLoader, RefusesADatasetWithoutIndexedSamples) {
  class ProbeOnly : public nas::Dataset {
   public:
    nas::DataShape shape() const override { return {}; }
    nas::Batch batch(std::int64_t, std::uint64_t, nas::Split) const override { return {}; }
  };
  try {
    nas::EpochLoader(std::make_shared<ProbeOnly>(), loader_options(nas::Split::kTrain, 4, 0, 1));
    ADD_FAILURE() << "no error";
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find("probe batches only"), std::string::npos) << e.what();
  }
  EXPECT_THROW(nas::EpochLoader(std::make_shared<Ramp>(),
                                loader_options(nas::Split::kTrain, 4, 3, 2)),  // rank 3 of 2
               nas::UsageError);
}

}  // namespace
