// The NAS-Bench-201 network (TinyNetwork, C = 16, N = 5), built from taps.
//
// Construction order, which fixes the weights drawn under a seed (a Python model that creates
// its modules in the same order under the same torch seed gets bit-identical weights):
//   stem        Conv2d(in, 16, 3, stride 1, pad 1, no bias), BatchNorm2d(16)
//   cells 0-4   normal cells, C = 16
//   cell 5      ResNet basic block 16 -> 32 (stride 2)
//   cells 6-10  normal cells, C = 32
//   cell 11     ResNet basic block 32 -> 64 (stride 2)
//   cells 12-16 normal cells, C = 64
//   lastact     BatchNorm2d(64), ReLU
//   classifier  Linear(64, classes), after global average pooling
// A normal cell builds the op of each edge in arch-string order (node 1 <- 0, 2 <- 0, 2 <- 1,
// 3 <- 0, 3 <- 1, 3 <- 2). nor_conv_kxk = ReLU, Conv2d(C, C, k, stride 1, pad (k-1)/2, no
// bias), BatchNorm2d(C); avg_pool_3x3 = AvgPool2d(3, stride 1, pad 1, padding excluded from
// the average); skip_connect = identity; none = input times 0 (zeros that stay in the graph).
// A ResNet block (in -> out) builds conv_a = ReLU, Conv2d(in, out, 3, stride 2, pad 1), BN;
// conv_b = ReLU, Conv2d(out, out, 3, stride 1, pad 1), BN; downsample = AvgPool2d(2, 2),
// Conv2d(in, out, 1, no bias); it returns downsample(x) + conv_b(conv_a(x)). Every BatchNorm
// is affine and tracks running statistics (eps 1e-5, momentum 0.1).
//
// Submodule names follow the reference implementation (xautodl's TinyNetwork / InferCell /
// ResNetBasicblock, the model zero-cost-nas and WRCor use), so parameter names match its
// state dict: stem.0.weight, cells.3.layers.2.op.1.weight, cells.5.conv_a.op.2.bias,
// cells.5.downsample.1.weight, lastact.0.weight, classifier.bias, ... Each ReLU is a tap
// registered where the reference has its ReLU (op.0, lastact.1). Taps own no tensors, so they
// change neither the parameter list nor the random stream.
//
// tools/nb201_oracle.py is an independent PyTorch model built in this order; the tests check
// that both give the same parameter names, weights and logits under the same seeds.
//
// Tap blocks: a tap inside top-level cell k (0..16) has block k; the lastact ReLU has block
// 17 and is the head tap. num_blocks() is 18. A normal cell has one tap per conv edge, a
// ResNet block two, so the network has 15 x (conv edges) + 4 + 1 taps.
//
// The supernet (build_supernet) is built in the same order with one change: on each edge of a
// normal cell, all five ops are created in op order (none, skip_connect, nor_conv_1x1,
// nor_conv_3x3, avg_pool_3x3), whether they survive or not; only the convolutions draw from
// the generator, so the edge draws a 1x1 conv's weights, then a 3x3 conv's. Pruned ops are
// dropped after creation. The edge is registered as layers.<e> and each survivor under its op
// index: cells.0.layers.2.3.op.1.weight is the 3x3 conv on edge 2 <- 1 of cell 0. Under one
// seed every op therefore gets the same weights whatever else survives, and a pruning step
// compares networks that differ only in the op removed. Survivors' taps and ReLU → Conv → BN
// units are listed in forward order (edges in arch-string order, ops in op order within an
// edge); pruned ops have neither. tests/oracle/nb201_supernet.py builds the TE-NAS-style
// supernet in this order.
//
// A NetSpec with shape fields (nb201_space.h) changes only what is listed above: C for 16,
// N cells per stage for 5, the first max_cells top-level cells of the stack, no stem when
// stem is false (the cells then read the input). The order of what is built stays the same,
// and the head's block is the number of cells built. The width multiplier only changes C.
#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>

#include "nas/error.h"
#include "nas/network.h"
#include "nas/supernet_mix.h"
#include "nb201_space.h"

namespace nb201 {
namespace {

namespace nn = torch::nn;

// A named, forward-less container, standing where the reference has an nn.Sequential whose
// first element is a ReLU (a tap here, so nn::Sequential cannot hold it).
class SlotsImpl : public nn::Module {
 public:
  SlotsImpl() : nn::Module("Slots") {}
};

// What a normal cell holds on an edge: one op (the discrete network) or a mix of ops (the
// supernet).
class EdgeImpl : public nn::Module {
 public:
  explicit EdgeImpl(const std::string& name) : nn::Module(name) {}
  virtual at::Tensor forward(const at::Tensor& x) = 0;
};

// One op: an edge of a normal cell, or conv_a / conv_b of a ResNet block. Conv ops hold
// `op` = {0: tap, 1: conv, 2: BN}; avg_pool_3x3 holds `op` = AvgPool2d; none and
// skip_connect hold nothing (as in the reference, where they have no submodules either).
class OpImpl : public EdgeImpl {
 public:
  explicit OpImpl(int kind) : EdgeImpl(op_names()[kind]), kind_(kind) {}

  at::Tensor forward(const at::Tensor& x) override {
    switch (kind_) {
      case kNone:
        return x.mul(0.0);
      case kSkipConnect:
        return x;
      case kAvgPool3x3:
        return pool->forward(x);
      default:
        return bn->forward(conv->forward(relu->forward(x)));
    }
  }

  int kind_;
  nas::Tap relu{nullptr};
  nas::ProbedConv2d conv{nullptr};
  nn::BatchNorm2d bn{nullptr};
  nn::AvgPool2d pool{nullptr};
};

// A supernet edge: its surviving ops mixed as TE-NAS mixes them (nas/supernet_mix.h).
class MixedEdgeImpl : public EdgeImpl {
 public:
  MixedEdgeImpl() : EdgeImpl("MixedEdge") {}

  at::Tensor forward(const at::Tensor& x) override { return nas::mix_survivors(ops, x); }

  std::vector<std::shared_ptr<OpImpl>> ops;  // the survivors in op order; registered as <op>
};

// A top-level cell: a normal cell or a ResNet block.
class BlockImpl : public nn::Module {
 public:
  explicit BlockImpl(const std::string& name) : nn::Module(name) {}
  virtual at::Tensor forward(const at::Tensor& x) = 0;
};

class NormalCellImpl : public BlockImpl {
 public:
  NormalCellImpl() : BlockImpl("NormalCell") {}

  at::Tensor forward(const at::Tensor& input) override {
    std::vector<at::Tensor> nodes{input};
    for (int to = 1; to < kNumNodes; ++to) {
      // Summed left to right in input-node order, as the reference does.
      at::Tensor sum;
      for (int from = 0; from < to; ++from) {
        at::Tensor term = edges[to * (to - 1) / 2 + from]->forward(nodes[from]);
        sum = from == 0 ? term : sum + term;
      }
      nodes.push_back(sum);
    }
    return nodes.back();
  }

  std::vector<std::shared_ptr<EdgeImpl>> edges;  // arch-string order; registered as layers.<e>
};

class ResNetBlockImpl : public BlockImpl {
 public:
  ResNetBlockImpl() : BlockImpl("ResNetBasicblock") {}

  at::Tensor forward(const at::Tensor& x) override {
    at::Tensor residual_branch = conv_b->forward(conv_a->forward(x));
    return downsample->forward(x) + residual_branch;
  }

  std::shared_ptr<OpImpl> conv_a, conv_b;
  nn::Sequential downsample{nullptr};
};

class Nb201Network : public nas::Network {
 public:
  // `alive`: the ops of each edge; `mixed`: a supernet (every op of every edge created, the
  // survivors mixed), else the discrete network (exactly one op per edge, created alone).
  Nb201Network(const Alive& alive, bool mixed, const nas::NetSpec& spec, const Shape& shape) {
    std::int64_t channels = shape.width;
    if (shape.stem) {
      nas::ProbedConv2d conv(
          nn::Conv2dOptions(spec.in_channels, channels, 3).stride(1).padding(1).bias(false));
      nn::BatchNorm2d bn(channels);
      stem_ = register_module("stem", nn::Sequential(conv, bn));
    }
    cells_ = register_module("cells", nn::ModuleList());
    for (int block = 0; block < shape.cells; ++block) {
      std::shared_ptr<BlockImpl> built;
      if (shape.is_reduction(block)) {
        built = make_resnet_block(channels, 2 * channels, block);
        channels *= 2;
      } else {
        built = make_normal_cell(alive, mixed, channels, block);
      }
      cells_->push_back(built);
      blocks_.push_back(built);
    }
    auto lastact = register_module("lastact", std::make_shared<SlotsImpl>());
    head_bn_ = lastact->register_module("0", nn::BatchNorm2d(channels));
    head_relu_ = make_tap(*lastact, "1", shape.cells);
    head_relu_->set_head(true);
    pooling_ =
        register_module("global_pooling", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions(1)));
    classifier_ = register_module("classifier", nas::ProbedLinear(channels, spec.num_classes));
    set_num_blocks(shape.cells + 1);
  }

  at::Tensor forward(const at::Tensor& input) override {
    at::Tensor x = stem_.is_empty() ? input : stem_->forward(input);
    for (const auto& block : blocks_) x = block->forward(x);
    x = head_relu_->forward(head_bn_->forward(x));
    x = pooling_->forward(x);
    return classifier_->forward(x.view({x.size(0), -1}));
  }

 private:
  // Builds one op; a conv op's tap is created first, where the reference has its ReLU. An op
  // that is not `kept` (a pruned supernet op, created only so that it draws its weights) gets
  // a tap that is not listed among the network's taps and no ReLU → Conv → BN unit.
  std::shared_ptr<OpImpl> make_op(int kind, std::int64_t in, std::int64_t out, std::int64_t stride,
                                  int block, bool kept = true) {
    auto op = std::make_shared<OpImpl>(kind);
    if (kind == kConv1x1 || kind == kConv3x3) {
      const std::int64_t kernel = kind == kConv1x1 ? 1 : 3;
      auto slots = op->register_module("op", std::make_shared<SlotsImpl>());
      op->relu =
          kept ? make_tap(*slots, "0", block) : slots->register_module("0", nas::Tap(block, "0"));
      op->conv = slots->register_module("1", nas::ProbedConv2d(nn::Conv2dOptions(in, out, kernel)
                                                                   .stride(stride)
                                                                   .padding((kernel - 1) / 2)
                                                                   .bias(false)));
      op->bn = slots->register_module("2", nn::BatchNorm2d(out));
      // The reference's ReLUConvBN module: hook-based proxies observe it as a unit.
      if (kept) declare_relu_conv_unit(op->relu, op->conv);
    } else if (kind == kAvgPool3x3) {
      op->pool = op->register_module(
          "op",
          nn::AvgPool2d(nn::AvgPool2dOptions(3).stride(1).padding(1).count_include_pad(false)));
    }
    return op;
  }

  std::shared_ptr<BlockImpl> make_normal_cell(const Alive& alive, bool mixed, std::int64_t channels,
                                              int block) {
    auto normal = std::make_shared<NormalCellImpl>();
    auto layers = normal->register_module("layers", nn::ModuleList());
    for (int e = 0; e < kNumEdges; ++e) {
      if (!mixed) {
        const int kind =
            static_cast<int>(std::find(alive[e].begin(), alive[e].end(), true) - alive[e].begin());
        normal->edges.push_back(make_op(kind, channels, channels, 1, block));
      } else {
        auto edge = std::make_shared<MixedEdgeImpl>();
        // Every op in op order, pruned or not, so that each draws the same weights under a
        // seed whatever survives; the pruned ones are dropped here.
        for (int kind = 0; kind < kNumOps; ++kind) {
          auto op = make_op(kind, channels, channels, 1, block, alive[e][kind]);
          if (!alive[e][kind]) continue;
          edge->ops.push_back(edge->register_module(std::to_string(kind), op));
        }
        normal->edges.push_back(edge);
      }
      layers->push_back(normal->edges.back());
    }
    return normal;
  }

  std::shared_ptr<BlockImpl> make_resnet_block(std::int64_t in, std::int64_t out, int block) {
    auto resnet = std::make_shared<ResNetBlockImpl>();
    resnet->conv_a = resnet->register_module("conv_a", make_op(kConv3x3, in, out, 2, block));
    resnet->conv_b = resnet->register_module("conv_b", make_op(kConv3x3, out, out, 1, block));
    nn::AvgPool2d pool(nn::AvgPool2dOptions(2).stride(2).padding(0));
    nas::ProbedConv2d conv(nn::Conv2dOptions(in, out, 1).stride(1).padding(0).bias(false));
    resnet->downsample = resnet->register_module("downsample", nn::Sequential(pool, conv));
    return resnet;
  }

  nn::Sequential stem_{nullptr};
  nn::ModuleList cells_{nullptr};
  std::vector<std::shared_ptr<BlockImpl>> blocks_;
  nn::BatchNorm2d head_bn_{nullptr};
  nas::Tap head_relu_{nullptr};
  nn::AdaptiveAvgPool2d pooling_{nullptr};
  nas::ProbedLinear classifier_{nullptr};
};

// Built on the CPU, so that a seed draws the same weights for every device, then moved.
std::shared_ptr<nas::Network> on_device(std::shared_ptr<nas::Network> net,
                                        const std::string& device) {
  if (device == "cpu") return net;
  try {
    net->to(torch::Device(device));
  } catch (const std::exception& error) {
    throw nas::Error("nb201: cannot move the network to device '" + device + "': " + error.what());
  }
  return net;
}

}  // namespace

std::shared_ptr<nas::Network> build_network(const Cell& cell, const nas::NetSpec& spec) {
  const Shape shape = check_spec(spec);
  Alive one{};
  for (int e = 0; e < kNumEdges; ++e) one[e][cell[e]] = true;
  return on_device(std::make_shared<Nb201Network>(one, false, spec, shape), spec.device);
}

std::shared_ptr<nas::Network> build_supernet_network(const Alive& alive, const nas::NetSpec& spec) {
  const Shape shape = check_spec(spec);
  return on_device(std::make_shared<Nb201Network>(alive, true, spec, shape), spec.device);
}

}  // namespace nb201
