// The DARTS network (NetworkCIFAR / NetworkImageNet), built from taps.
//
// Construction order, which fixes the weights drawn under a seed, and module names (those of
// DARTS's model.py and operations.py, so parameter names match its state dict where the
// modules agree):
//   stem         Conv2d(in, 3C, 3, pad 1, no bias), BatchNorm2d(3C)         (stem.0, stem.1)
//   or, with the ImageNet stem,
//   stem0        Conv2d(in, C/2, 3, stride 2, pad 1), BN(C/2), ReLU, Conv2d(C/2, C, 3, stride
//                2, pad 1), BN(C)                                          (stem0.0 .. stem0.4)
//   stem1        ReLU, Conv2d(C, C, 3, stride 2, pad 1), BN(C)             (stem1.0 .. stem1.2)
//   cells.k      for k = 0 .. cells-1:
//                preprocess0: FactorizedReduce(C_pp, C_k) when cell k-1 reduced (or, first
//                  cell, after the ImageNet stem), else ReLUConvBN(C_pp, C_k, 1x1)
//                preprocess1: ReLUConvBN(C_p, C_k, 1x1)
//                _ops.0 .. _ops.7: the genotype's entries in order
//   auxiliary_head  (when built) features.0-7 and classifier, created after all cells as in
//                DARTS (it reads the output of cell 2*layers/3)
//   global_pooling, classifier Linear(4 C_last, classes)
// C_k is C, doubled at each reduction cell (up to and including cell k); C_pp and C_p are the
// channels of the cell's inputs (3C for both after the CIFAR stem, C after the ImageNet stem,
// in_channels without a stem, then 4 C_{k-2} and 4 C_{k-1}).
//
// Modules: ReLUConvBN = op.0 ReLU (a tap), op.1 Conv2d (no bias), op.2 BatchNorm2d (affine);
// FactorizedReduce = relu (a tap), conv_1 and conv_2 Conv2d(C_in, C_out/2, 1, stride 2), bn;
// its output is cat(conv_1(relu(x)), conv_2(relu(x)[:, :, 1:, 1:])) then bn.
// sep_conv_kxk = op.0 ReLU, op.1 depthwise Conv2d(C, C, k, stride, pad k/2, groups C), op.2
// Conv2d(C, C, 1), op.3 BN, op.4 ReLU, op.5 depthwise (stride 1), op.6 1x1, op.7 BN;
// dil_conv_kxk = op.0 ReLU, op.1 depthwise Conv2d(C, C, k, stride, pad k-1, dilation 2,
// groups C), op.2 1x1, op.3 BN; skip_connect = identity (no modules) or, at stride 2,
// FactorizedReduce(C, C); max_pool_3x3 / avg_pool_3x3 = op.0 MaxPool2d(3, stride, 1) /
// AvgPool2d(3, stride, 1, padding excluded from the average), op.1 BatchNorm2d(C, non-affine)
// when pool_bn is on (NASLib's MaxPool/AvgPool; DARTS's eval ops have no BN there). Cell op BN
// (sep, dil, the reduction skip's FactorizedReduce) is affine iff cell_affine. Every BN tracks
// running statistics (eps 1e-5, momentum 0.1). The ImageNet stem's ReLUs are taps too.
//
// Forward: a cell preprocesses its inputs, then node k + 2 = ops[2k](state[in 2k]) +
// ops[2k+1](state[in 2k+1]) (in entry order), and outputs cat(node 2..5) on channels. The
// network returns classifier(flatten(global average pool(last cell))). There is no ReLU
// before the pooling, hence no head tap; pooled_features() gives Zen the last cell's output.
// The auxiliary head runs only in training mode; its logits are kept for a trainer
// (nas::Network::auxiliary_logits(); forward returns the main logits).
//
// Drop-path (nas::Network::set_training_progress; discrete networks only, the supernet has
// none): in training mode with p = drop_path · fraction > 0, each op output of a cell except a
// stride-1 skip_connect (DARTS's Identity) becomes x / (1 - p) · mask, as DARTS's
// utils.drop_path computes it (x.div_(keep_prob), then x.mul_(mask)), with one mask value per
// sample: 1 when nas::Rng::uniform() < 1 - p, else 0. The Rng is nas::Rng(seed) of the last
// set_training_progress() and draws in forward order: cell by cell, node by node, the node's
// first then second entry, samples in batch order; identities draw nothing. The masks are drawn
// on the CPU whatever the device, so a seed drops the same samples everywhere.
// tests/oracle/darts_eval_net.py draws them alike in DARTS's own network.
//
// tools/darts_oracle.py is an independent PyTorch model of the default network built in this
// order under these names; tests/test_darts.cpp checks that both give the same parameter names,
// weights and logits under the same seeds.
//
// Taps: every ReLU of preprocessing, FactorizedReduce, sep/dil conv ops and the ImageNet stem,
// in forward order (creation order equals forward order). Block index: the cell index k
// (the ImageNet stem's taps are in block 0 with cell 0); num_blocks() is the number of cells
// built. ReLU -> Conv -> BN units (network.h) are declared for the ReLUConvBN preprocessing
// only, the one class whose name contains "ReLU" in the reference.
//
// The supernet (build_supernet_network) is built in the same order with one change: a cell's
// _ops.0-7 are replaced by TE-NAS's 14 edges (NASNetSearchCell), edges.<e> for node 2 <- 0, 1,
// node 3 <- 0, 1, 2, ... (the order of darts::edge_index), each holding all eight ops of
// TE-NAS's DARTS_SPACE created in its order (none, skip_connect, sep_conv_3x3, sep_conv_5x5,
// dil_conv_3x3, dil_conv_5x5, avg_pool_3x3, max_pool_3x3; the edge's stride as the discrete
// network's), pruned or not, so that an op draws the same weights whatever else survives.
// Pruned ops are then dropped: their taps are never listed and they own nothing in the
// network; the survivors are registered as edges.<e>._ops.<op index>, and an edge without
// survivors is not registered at all (it adds nothing to its node). `none` is a Zero op (x*0,
// strided x[::2, ::2]*0 in a reduction edge), TE-NAS's. Node n + 2 sums its live edges in input
// order. tests/oracle/darts_supernet.py builds the TE-NAS supernet in this order.
#include <array>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>

#include "darts_space.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/seed.h"
#include "nas/supernet_mix.h"

namespace darts {
namespace {

namespace nn = torch::nn;

// A named, forward-less container standing where the reference has an nn.Sequential that
// holds a ReLU (a tap here, which nn::Sequential cannot hold).
class SlotsImpl : public nn::Module {
 public:
  SlotsImpl() : nn::Module("Slots") {}
};

class OpImpl : public nn::Module {
 public:
  explicit OpImpl(const std::string& name) : nn::Module(name) {}
  virtual at::Tensor forward(const at::Tensor& x) = 0;
};

class IdentityImpl : public OpImpl {
 public:
  IdentityImpl() : OpImpl("Identity") {}
  at::Tensor forward(const at::Tensor& x) override { return x; }
};

class ReLUConvBNImpl : public OpImpl {
 public:
  ReLUConvBNImpl() : OpImpl("ReLUConvBN") {}
  at::Tensor forward(const at::Tensor& x) override {
    return bn->forward(conv->forward(relu->forward(x)));
  }
  nas::Tap relu{nullptr};
  nas::ProbedConv2d conv{nullptr};
  nn::BatchNorm2d bn{nullptr};
};

class FactorizedReduceImpl : public OpImpl {
 public:
  FactorizedReduceImpl() : OpImpl("FactorizedReduce") {}
  at::Tensor forward(const at::Tensor& x) override {
    const at::Tensor y = relu->forward(x);
    using at::indexing::None;
    using at::indexing::Slice;
    const at::Tensor shifted = y.index({Slice(), Slice(), Slice(1, None), Slice(1, None)});
    return bn->forward(at::cat({conv_1->forward(y), conv_2->forward(shifted)}, 1));
  }
  nas::Tap relu{nullptr};
  nas::ProbedConv2d conv_1{nullptr}, conv_2{nullptr};
  nn::BatchNorm2d bn{nullptr};
};

// sep_conv (two halves) and dil_conv (one half): ReLU, depthwise conv, 1x1 conv, BN.
class SepDilConvImpl : public OpImpl {
 public:
  explicit SepDilConvImpl(const std::string& name) : OpImpl(name) {}
  at::Tensor forward(const at::Tensor& x) override {
    at::Tensor y = x;
    for (std::size_t h = 0; h < relu.size(); ++h) {
      y = bn[h]->forward(pointwise[h]->forward(depthwise[h]->forward(relu[h]->forward(y))));
    }
    return y;
  }
  std::vector<nas::Tap> relu;
  std::vector<nas::ProbedConv2d> depthwise, pointwise;
  std::vector<nn::BatchNorm2d> bn;
};

class PoolImpl : public OpImpl {
 public:
  explicit PoolImpl(const std::string& name) : OpImpl(name) {}
  at::Tensor forward(const at::Tensor& x) override {
    at::Tensor y = max.is_empty() ? avg->forward(x) : max->forward(x);
    return bn.is_empty() ? y : bn->forward(y);
  }
  nn::MaxPool2d max{nullptr};
  nn::AvgPool2d avg{nullptr};
  nn::BatchNorm2d bn{nullptr};
};

// `none` of the supernet (TE-NAS's Zero): zeros of the op's output shape that stay in the
// graph, as the reference computes them.
class ZeroImpl : public OpImpl {
 public:
  explicit ZeroImpl(int stride) : OpImpl("Zero"), stride_(stride) {}
  at::Tensor forward(const at::Tensor& x) override {
    if (stride_ == 1) return x.mul(0.0);
    using at::indexing::None;
    using at::indexing::Slice;
    return x.index({Slice(), Slice(), Slice(None, None, stride_), Slice(None, None, stride_)})
        .mul(0.0);
  }
  int stride_;
};

// A supernet edge: its surviving ops mixed as TE-NAS's MixedOp mixes them (nas/supernet_mix.h).
class MixedEdgeImpl : public OpImpl {
 public:
  MixedEdgeImpl() : OpImpl("MixedOp") {}
  at::Tensor forward(const at::Tensor& x) override { return nas::mix_survivors(ops, x); }
  std::vector<std::shared_ptr<OpImpl>> ops;  // survivors in supernet op order
};

// DARTS's drop_path: x / keep · mask, one mask value per sample drawn from `rng` (see above).
at::Tensor drop_path(const at::Tensor& x, double probability, nas::Rng& rng) {
  const double keep = 1.0 - probability;
  const std::int64_t n = x.size(0);
  at::Tensor mask = at::empty({n, 1, 1, 1}, at::kFloat);
  float* m = mask.data_ptr<float>();
  for (std::int64_t i = 0; i < n; ++i) m[i] = rng.uniform() < keep ? 1.0f : 0.0f;
  return x.div(keep).mul(mask.to(x.options()));
}

// The drop-path state of a training step: the probability now and the step's generator.
struct DropPathState {
  double probability = 0;
  nas::Rng rng{0};
};

class CellImpl : public nn::Module {
 public:
  CellImpl() : nn::Module("Cell") {}
  // `drop`: drop-path op outputs with drop->probability (null: none).
  at::Tensor forward(const at::Tensor& s0, const at::Tensor& s1, DropPathState* drop = nullptr) {
    std::vector<at::Tensor> states{preprocess0->forward(s0), preprocess1->forward(s1)};
    if (!edges.empty()) {
      // Supernet: node n sums its live edges in input order (TE-NAS: sum(clist), a dead edge
      // adds 0).
      for (int node = 2; node < kNumSteps + 2; ++node) {
        at::Tensor sum;
        for (int in = 0; in < node; ++in) {
          const auto& edge = edges[static_cast<std::size_t>(edge_index(node, in))];
          if (!edge) continue;
          at::Tensor term = edge->forward(states[static_cast<std::size_t>(in)]);
          sum = sum.defined() ? sum + term : term;
        }
        states.push_back(sum);
      }
      return at::cat({states[2], states[3], states[4], states[5]}, 1);
    }
    for (int k = 0; k < kNumSteps; ++k) {
      at::Tensor h1 = ops[2 * k]->forward(states[inputs[2 * k]]);
      at::Tensor h2 = ops[2 * k + 1]->forward(states[inputs[2 * k + 1]]);
      if (drop != nullptr) {
        if (!is_identity[2 * k]) h1 = drop_path(h1, drop->probability, drop->rng);
        if (!is_identity[2 * k + 1]) h2 = drop_path(h2, drop->probability, drop->rng);
      }
      states.push_back(h1 + h2);
    }
    return at::cat({states[2], states[3], states[4], states[5]}, 1);
  }
  std::shared_ptr<OpImpl> preprocess0, preprocess1;
  std::vector<std::shared_ptr<OpImpl>> ops;
  std::array<int, kNumEntries> inputs{};
  // DARTS never drops the output of an Identity (a stride-1 skip_connect).
  std::array<bool, kNumEntries> is_identity{};
  // Supernet cells: one mixed edge per edge index, null for a dead edge (ops unused).
  std::vector<std::shared_ptr<MixedEdgeImpl>> edges;
};

class StemImpl : public nn::Module {
 public:
  StemImpl() : nn::Module("Sequential") {}
  // The ImageNet stems: [conv, bn, relu, conv, bn] and [relu, conv, bn]; the CIFAR stem:
  // [conv, bn]. `kinds` lists the positions: 'c' conv, 'b' BN, 'r' the ReLU (a tap).
  at::Tensor forward(const at::Tensor& x) {
    at::Tensor y = x;
    std::size_t conv = 0, norm = 0;
    for (char kind : kinds) {
      if (kind == 'r') {
        y = relu->forward(y);
      } else if (kind == 'c') {
        y = convs[conv++]->forward(y);
      } else {
        y = bns[norm++]->forward(y);
      }
    }
    return y;
  }
  std::vector<nas::ProbedConv2d> convs;
  std::vector<nn::BatchNorm2d> bns;
  nas::Tap relu{nullptr};
  std::string kinds;
};

class DartsNetwork : public nas::Network {
 public:
  // `super`: build the supernet of these survivors (the genotype is unused), else the
  // discrete network of `genotype`.
  DartsNetwork(const Genotype& genotype, const SuperAlive* super, const nas::NetSpec& spec,
               const Options& options, const Shape& shape)
      : options_(options), is_supernet_(super != nullptr) {
    const std::int64_t c = shape.width;
    std::int64_t c_pp = spec.in_channels, c_p = spec.in_channels;
    bool reduction_prev = false;
    if (shape.imagenet_stem) {
      stem0_ = register_module("stem0", std::make_shared<StemImpl>());
      add_stem_conv(*stem0_, "0", spec.in_channels, c / 2, 2);
      add_stem_bn(*stem0_, "1", c / 2);
      stem0_->relu = make_tap(*stem0_, "2", 0);
      add_stem_conv(*stem0_, "3", c / 2, c, 2);
      add_stem_bn(*stem0_, "4", c);
      stem0_->kinds = "cbrcb";
      stem1_ = register_module("stem1", std::make_shared<StemImpl>());
      stem1_->relu = make_tap(*stem1_, "0", 0);
      add_stem_conv(*stem1_, "1", c, c, 2);
      add_stem_bn(*stem1_, "2", c);
      stem1_->kinds = "rcb";
      c_pp = c_p = c;
      reduction_prev = true;
    } else if (shape.stem) {
      stem_ = register_module("stem", std::make_shared<StemImpl>());
      add_stem_conv(*stem_, "0", spec.in_channels, 3 * c, 1);
      add_stem_bn(*stem_, "1", 3 * c);
      stem_->kinds = "cb";
      c_pp = c_p = 3 * c;
    }
    cells_ = register_module("cells", nn::ModuleList());
    std::int64_t c_curr = c;
    std::int64_t c_aux = 0;
    for (int k = 0; k < shape.cells; ++k) {
      const bool reduction = shape.is_reduction(k);
      if (reduction) c_curr *= 2;
      auto cell = std::make_shared<CellImpl>();
      cell->preprocess0 = reduction_prev
                              ? make_factorized(*cell, "preprocess0", c_pp, c_curr, true, k)
                              : make_relu_conv_bn(*cell, "preprocess0", c_pp, c_curr, k);
      cell->preprocess1 = make_relu_conv_bn(*cell, "preprocess1", c_p, c_curr, k);
      if (super != nullptr) {
        add_mixed_edges(*cell, reduction ? super->reduce : super->normal, reduction, c_curr, k);
      }
      nn::ModuleList ops{nullptr};
      if (super == nullptr) ops = cell->register_module("_ops", nn::ModuleList());
      const Cell& entries = reduction ? genotype.reduce : genotype.normal;
      for (int e = 0; super == nullptr && e < kNumEntries; ++e) {
        const int stride = reduction && entries[e].input < 2 ? 2 : 1;
        cell->ops.push_back(make_op(entries[e].op, c_curr, stride, k));
        cell->inputs[e] = entries[e].input;
        cell->is_identity[e] = entries[e].op == kSkipConnect && stride == 1;
        ops->push_back(cell->ops.back());
      }
      cells_->push_back(cell);
      cell_list_.push_back(cell);
      reduction_prev = reduction;
      c_pp = c_p;
      c_p = 4 * c_curr;
      if (k == shape.aux_cell()) c_aux = c_p;
    }
    if (shape.auxiliary) {
      aux_cell_ = static_cast<int>(shape.aux_cell());
      auto head = register_module("auxiliary_head", std::make_shared<SlotsImpl>());
      // ReLU, AvgPool 5 (stride 3, or 2 for ImageNet), 1x1 conv to 128, BN, ReLU, 2x2 conv to
      // 768, BN (CIFAR only), ReLU; then the classifier.
      aux_features_ = head->register_module("features", nn::Sequential());
      aux_features_->push_back(nn::ReLU());
      aux_features_->push_back(nn::AvgPool2d(nn::AvgPool2dOptions(5)
                                                 .stride(shape.imagenet_stem ? 2 : 3)
                                                 .padding(0)
                                                 .count_include_pad(false)));
      aux_features_->push_back(nas::ProbedConv2d(nn::Conv2dOptions(c_aux, 128, 1).bias(false)));
      aux_features_->push_back(nn::BatchNorm2d(128));
      aux_features_->push_back(nn::ReLU());
      aux_features_->push_back(nas::ProbedConv2d(nn::Conv2dOptions(128, 768, 2).bias(false)));
      if (!shape.imagenet_stem) aux_features_->push_back(nn::BatchNorm2d(768));
      aux_features_->push_back(nn::ReLU());
      aux_classifier_ =
          head->register_module("classifier", nas::ProbedLinear(768, spec.num_classes));
    }
    pooling_ =
        register_module("global_pooling", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions(1)));
    classifier_ = register_module("classifier", nas::ProbedLinear(c_p, spec.num_classes));
    set_num_blocks(shape.cells);
  }

  at::Tensor forward(const at::Tensor& input) override {
    at::Tensor x = pooling_->forward(pooled_features(input));
    return classifier_->forward(x.view({x.size(0), -1}));
  }

  // The last cell's output (and, in training mode, the auxiliary head's logits on the way).
  at::Tensor pooled_features(const at::Tensor& input) override {
    at::Tensor s0 = input, s1 = input;
    if (stem0_) {
      s0 = stem0_->forward(input);
      s1 = stem1_->forward(s0);
    } else if (stem_) {
      s0 = s1 = stem_->forward(input);
    }
    aux_logits_ = at::Tensor();
    DropPathState* drop = is_training() && drop_path_.probability > 0 ? &drop_path_ : nullptr;
    for (std::size_t k = 0; k < cell_list_.size(); ++k) {
      at::Tensor next = cell_list_[k]->forward(s0, s1, drop);
      s0 = s1;
      s1 = next;
      if (static_cast<int>(k) == aux_cell_ && is_training()) {
        at::Tensor a = aux_features_->forward(s1);
        aux_logits_ = aux_classifier_->forward(a.view({a.size(0), -1}));
      }
    }
    return s1;
  }

  bool supports_drop_path() const override { return !is_supernet_; }
  void set_training_progress(const nas::TrainingProgress& progress) override {
    drop_path_.probability = is_supernet_ ? 0.0 : progress.drop_path * progress.fraction;
    drop_path_.rng = nas::Rng(progress.seed);
  }
  bool has_auxiliary_head() const override { return aux_cell_ >= 0; }
  // The auxiliary head's logits of the last forward in training mode (undefined otherwise).
  at::Tensor auxiliary_logits() const override { return aux_logits_; }

 private:
  void add_stem_conv(StemImpl& stem, const std::string& name, std::int64_t in, std::int64_t out,
                     std::int64_t stride) {
    stem.convs.push_back(stem.register_module(
        name,
        nas::ProbedConv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false))));
  }
  void add_stem_bn(StemImpl& stem, const std::string& name, std::int64_t c) {
    stem.bns.push_back(stem.register_module(name, nn::BatchNorm2d(c)));
  }

  // The supernet edges of a cell, registered as edges.<e>._ops.<supernet op index>. Every op
  // of every edge is created in supernet op order, alive or not, so that under one seed each op
  // draws the same weights whatever else survives; pruned ops are dropped (their taps never
  // listed) and a dead edge (no survivor) is not registered.
  void add_mixed_edges(CellImpl& cell, const SuperCell& alive, bool reduction, std::int64_t c,
                       int block) {
    auto edges = cell.register_module("edges", std::make_shared<SlotsImpl>());
    for (int node = 2; node < kNumSteps + 2; ++node) {
      for (int in = 0; in < node; ++in) {
        const auto& flags = alive[static_cast<std::size_t>(edge_index(node, in))];
        const int stride = reduction && in < 2 ? 2 : 1;
        auto edge = std::make_shared<MixedEdgeImpl>();
        auto ops = edge->register_module("_ops", std::make_shared<SlotsImpl>());
        for (int s = 0; s < kNumSuperOps; ++s) {
          listing_ = flags[static_cast<std::size_t>(s)];
          const int op = super_op_to_op(s);
          std::shared_ptr<OpImpl> built;
          if (op < 0) {
            built = std::make_shared<ZeroImpl>(stride);
          } else {
            built = make_op(op, c, stride, block);
          }
          if (!listing_) continue;
          edge->ops.push_back(built);
          ops->register_module(std::to_string(s), built);
        }
        listing_ = true;
        if (edge->ops.empty()) {
          cell.edges.push_back(nullptr);
        } else {
          edges->register_module(std::to_string(edge_index(node, in)), edge);
          cell.edges.push_back(edge);
        }
      }
    }
  }

  // A tap listed among the network's taps, or (a pruned supernet op's) an unlisted one.
  nas::Tap tap(nn::Module& owner, const std::string& name, int block) {
    if (listing_) return make_tap(owner, name, block);
    return owner.register_module(name, nas::Tap(block, name));
  }

  std::shared_ptr<OpImpl> make_relu_conv_bn(nn::Module& owner, const std::string& name,
                                            std::int64_t in, std::int64_t out, int block) {
    auto op = owner.register_module(name, std::make_shared<ReLUConvBNImpl>());
    auto slots = op->register_module("op", std::make_shared<SlotsImpl>());
    op->relu = make_tap(*slots, "0", block);
    op->conv = slots->register_module(
        "1", nas::ProbedConv2d(nn::Conv2dOptions(in, out, 1).stride(1).padding(0).bias(false)));
    op->bn = slots->register_module("2", nn::BatchNorm2d(nn::BatchNorm2dOptions(out)));
    declare_relu_conv_unit(op->relu, op->conv);
    return op;
  }

  std::shared_ptr<OpImpl> make_factorized(nn::Module& owner, const std::string& name,
                                          std::int64_t in, std::int64_t out, bool affine,
                                          int block) {
    auto op = std::make_shared<FactorizedReduceImpl>();
    if (!name.empty()) owner.register_module(name, op);
    op->relu = tap(*op, "relu", block);
    op->conv_1 = op->register_module(
        "conv_1",
        nas::ProbedConv2d(nn::Conv2dOptions(in, out / 2, 1).stride(2).padding(0).bias(false)));
    op->conv_2 = op->register_module(
        "conv_2",
        nas::ProbedConv2d(nn::Conv2dOptions(in, out / 2, 1).stride(2).padding(0).bias(false)));
    op->bn = op->register_module("bn", nn::BatchNorm2d(nn::BatchNorm2dOptions(out).affine(affine)));
    return op;
  }

  std::shared_ptr<OpImpl> make_op(int kind, std::int64_t c, int stride, int block) {
    const bool affine = options_.cell_affine;
    switch (kind) {
      case kSkipConnect:
        if (stride == 1) return std::make_shared<IdentityImpl>();
        return make_factorized(*this, "", c, c, affine, block);
      case kMaxPool3x3:
      case kAvgPool3x3: {
        auto op = std::make_shared<PoolImpl>(kind == kMaxPool3x3 ? "MaxPool" : "AvgPool");
        auto slots = op->register_module("op", std::make_shared<SlotsImpl>());
        if (kind == kMaxPool3x3) {
          op->max = slots->register_module(
              "0", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(stride).padding(1)));
        } else {
          op->avg = slots->register_module(
              "0", nn::AvgPool2d(
                       nn::AvgPool2dOptions(3).stride(stride).padding(1).count_include_pad(false)));
        }
        if (options_.pool_bn) {
          op->bn =
              slots->register_module("1", nn::BatchNorm2d(nn::BatchNorm2dOptions(c).affine(false)));
        }
        return op;
      }
      default: {
        const bool sep = kind == kSepConv3x3 || kind == kSepConv5x5;
        const std::int64_t k = kind == kSepConv3x3 || kind == kDilConv3x3 ? 3 : 5;
        const std::int64_t dilation = sep ? 1 : 2;
        const std::int64_t padding = sep ? k / 2 : k - 1;
        auto op = std::make_shared<SepDilConvImpl>(sep ? "SepConv" : "DilConv");
        auto slots = op->register_module("op", std::make_shared<SlotsImpl>());
        const int halves = sep ? 2 : 1;
        for (int h = 0; h < halves; ++h) {
          const int base = 4 * h;
          op->relu.push_back(tap(*slots, std::to_string(base), block));
          op->depthwise.push_back(slots->register_module(
              std::to_string(base + 1), nas::ProbedConv2d(nn::Conv2dOptions(c, c, k)
                                                              .stride(h == 0 ? stride : 1)
                                                              .padding(padding)
                                                              .dilation(dilation)
                                                              .groups(c)
                                                              .bias(false))));
          op->pointwise.push_back(slots->register_module(
              std::to_string(base + 2),
              nas::ProbedConv2d(nn::Conv2dOptions(c, c, 1).stride(1).padding(0).bias(false))));
          op->bn.push_back(slots->register_module(
              std::to_string(base + 3), nn::BatchNorm2d(nn::BatchNorm2dOptions(c).affine(affine))));
        }
        return op;
      }
    }
  }

  Options options_;
  bool is_supernet_ = false;
  DropPathState drop_path_;
  bool listing_ = true;  // taps created now are listed (false: a pruned supernet op's)
  std::shared_ptr<StemImpl> stem_, stem0_, stem1_;
  nn::ModuleList cells_{nullptr};
  std::vector<std::shared_ptr<CellImpl>> cell_list_;
  int aux_cell_ = -1;
  nn::Sequential aux_features_{nullptr};
  nas::ProbedLinear aux_classifier_{nullptr};
  at::Tensor aux_logits_;
  nn::AdaptiveAvgPool2d pooling_{nullptr};
  nas::ProbedLinear classifier_{nullptr};
};

}  // namespace

namespace {

// Built on the CPU, so that a seed draws the same weights for every device, then moved.
std::shared_ptr<nas::Network> on_device(std::shared_ptr<nas::Network> net,
                                        const nas::NetSpec& spec) {
  if (spec.device == "cpu") return net;
  try {
    net->to(torch::Device(spec.device));
  } catch (const std::exception& error) {
    throw nas::Error("darts: cannot move the network to device '" + spec.device +
                     "': " + error.what());
  }
  return net;
}

}  // namespace

std::shared_ptr<nas::Network> build_network(const Genotype& genotype, const nas::NetSpec& spec,
                                            const Options& options) {
  const Shape shape = check_spec(spec, options);
  return on_device(std::make_shared<DartsNetwork>(genotype, nullptr, spec, options, shape), spec);
}

std::shared_ptr<nas::Network> build_supernet_network(const SuperAlive& alive,
                                                     const nas::NetSpec& spec,
                                                     const Options& options) {
  const Shape shape = check_spec(spec, options);
  return on_device(std::make_shared<DartsNetwork>(Genotype{}, &alive, spec, options, shape), spec);
}

}  // namespace darts
