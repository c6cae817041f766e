// What the trainer tests train on: a seeded in-memory image dataset whose class is written into
// the image (so a few steps learn something), the trainer oracle's small conv net
// (tests/oracle/trainer_oracle.py builds the same one), and the batches the trainer reads.
// Shared by test_trainer, test_distributed and test_darts_training.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "nas/dataset.h"
#include "nas/epoch_loader.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/trainer.h"

namespace nas::test {

// train + 2 x held_out images of `shape`: train first, then validation, then test, each
// held_out images. Drawn under torch seed 7 (images N(0, 1), labels uniform, then each image
// shifted by label x shift), so every test that names the same shape gets the same data.
// No probe batches: batch() throws.
class MemoryDataset : public nas::Dataset {
 public:
  // The default: 64 one-channel 8x8 images in three classes, 40 train, 12 validation, 12 test.
  explicit MemoryDataset(nas::DataShape shape = {1, 8, 3}, std::int64_t train = 40,
                         std::int64_t held_out = 12, double shift = 0.5)
      : shape_(shape), train_(train), held_out_(held_out) {
    const std::int64_t n = train + 2 * held_out;
    torch::manual_seed(7);
    x_ = torch::randn({n, shape.channels, shape.size, shape.size});
    y_ = torch::randint(0, shape.num_classes, {n}, torch::kLong);
    x_.add_(y_.to(torch::kFloat).view({n, 1, 1, 1}) * shift);
  }
  nas::DataShape shape() const override { return shape_; }
  nas::Batch batch(std::int64_t, std::uint64_t, nas::Split) const override {
    throw nas::Error("no probe batches");
  }
  std::int64_t size(nas::Split split) const override {
    return split == nas::Split::kTrain ? train_ : held_out_;
  }
  nas::Batch samples(nas::Split split, const std::vector<std::int64_t>& indices) const override {
    const std::int64_t offset = split == nas::Split::kTrain        ? 0
                                : split == nas::Split::kValidation ? train_
                                                                   : train_ + held_out_;
    std::vector<std::int64_t> at;
    for (auto i : indices) at.push_back(offset + i);
    const at::Tensor index = torch::tensor(at, torch::kLong);
    return {x_.index_select(0, index), y_.index_select(0, index)};
  }

 private:
  nas::DataShape shape_;
  std::int64_t train_, held_out_;
  at::Tensor x_, y_;
};

// The oracle's TinyNet: conv 3x3 (1 -> 4, no bias) -> [BatchNorm] -> ReLU (a tap) -> mean ->
// Linear(4, 3). Modules are created in that order, so a seed gives the oracle's weights.
class TinyConvNet : public nas::Network {
 public:
  explicit TinyConvNet(bool batch_norm = true) : batch_norm_(batch_norm) {
    conv_ = register_module(
        "conv", nas::ProbedConv2d(torch::nn::Conv2dOptions(1, 4, 3).padding(1).bias(false)));
    if (batch_norm_) bn_ = register_module("bn", torch::nn::BatchNorm2d(4));
    relu_ = make_tap(*this, "relu", 0);
    head_ = register_module("head", nas::ProbedLinear(4, 3));
    set_num_blocks(1);
  }
  at::Tensor forward(const at::Tensor& x) override {
    at::Tensor h = conv_->forward(x);
    if (batch_norm_) h = bn_->forward(h);
    return head_->forward(relu_->forward(h).mean({2, 3}));
  }

 private:
  bool batch_norm_;
  nas::ProbedConv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
  nas::Tap relu_{nullptr};
  nas::ProbedLinear head_{nullptr};
};

// The train split's batches in the order one process of nas::train reads them under `o`:
// shuffled under o.seed, o.batch_size each, the last partial batch dropped.
inline nas::EpochLoader trainer_batches(std::shared_ptr<const nas::Dataset> data,
                                        const nas::TrainOptions& o) {
  nas::LoaderOptions lo;
  lo.seed = o.seed;
  lo.epoch.batch_size = o.batch_size;
  lo.epoch.shuffle = true;
  lo.epoch.drop_last = true;
  return nas::EpochLoader(std::move(data), lo);
}

}  // namespace nas::test
