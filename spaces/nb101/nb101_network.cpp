// The NAS-Bench-101 network (model_builder.py), built from taps, in the layout and with the
// initialisation of the PyTorch port that the zero-cost proxy references score NB101 with
// (zero-cost-nas / WRCor `foresight/models/nasbench1.py`).
//
// Module layout and construction order (a seed fixes the weights):
//   layers       a list, as the port's `layers`: the stem, then the modules of stack 0, a
//                MaxPool2d(2, stride 2), the modules of stack 1, another MaxPool2d, the modules
//                of stack 2 (3 modules per stack by default: entries 0..11)
//   stem         conv (in -> W, 3x3, pad 1, no bias), bn, relu     [absent when stem=false]
//   a module     channels c_t from compute_vertex_channels of the PRUNED cell
//                (nb101_space.cpp), output channels W x 2^stack; first op_<t> for t = 1..V-2
//                (conv kxk c_t -> c_t, bn, relu for the conv ops; MaxPool2d(3, stride 1, pad 1)
//                for maxpool3x3), then projection_<t> for every t = 1..V-1 with an edge
//                input -> t (conv 1x1 module input -> c_t, bn, relu; t = V-1 is the output's)
//   classifier   Linear(channels of the last module, classes), with bias
// After construction the port's _initialize_weights runs over all modules in that order: every
// conv weight ~ N(0, 2 / (k x k x out_channels)) (He, fan-out), the classifier's weight
// ~ N(0, 0.01^2) and its bias 0, BatchNorm gamma 1 and beta 0. The reference TF code
// initialises with variance scaling (fan-in) and Glorot instead; the proxies' published NB101
// numbers come from the port. Every BatchNorm is affine with running statistics, eps 1e-5 and
// momentum 0.003 (torch's convention for the reference's TF decay 0.997).
//
// A module's forward (build_module): vertex t sums, in this order, the outputs of its interior
// predecessors src = 1..t-1 (each truncated to its first c_t channels when it has more; the
// channel rule makes that at most one more) and then the projection of the module input; the
// op follows. The module output is the concatenation (vertex order) of the vertices feeding the
// output, plus the output projection when input->output is an edge; when no interior vertex is
// left it is the output projection alone. After the last module: the mean over height and
// width, then the classifier. The max-pools are the reference's 2x2 'same' pooling on even
// sizes.
//
// Taps: one per ReLU (stem, conv ops, projections), listed in forward order (in a module:
// projection_t then op_t for t = 1..V-2, then the output's projection), activation ReLU. A tap's
// block is the index in `layers` of the entry it sits in (stem 0, modules 1-3, 5-7, 9-11 by
// default), the weights WRCor gives the port's ReLUs (2^index); the max-pool entries hold no
// tap. num_blocks() is the length of `layers`. The network has no head tap (the head is
// pooling and a dense layer, without a nonlinearity; pooled_features() gives zen the last
// module's output, the map the pooling reads) and no ReLU -> Conv -> BN units (its ops are
// Conv -> BN -> ReLU).
//
// tools/nb101_oracle.py (`network`) builds the same network in PyTorch from model_builder.py's
// description, in this order; tests/test_nb101.cpp checks that both give the same parameter
// names, the same weights and the same logits under the same seeds.
#include <cmath>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>

#include "nas/error.h"
#include "nas/network.h"
#include "nb101_space.h"

namespace nb101 {
namespace {

namespace nn = torch::nn;

// conv -> BatchNorm -> ReLU (base_ops.conv_bn_relu), the ReLU a tap.
class ConvBnReluImpl : public nn::Module {
 public:
  ConvBnReluImpl() : nn::Module("ConvBnRelu") {}
  at::Tensor forward(const at::Tensor& x) { return relu->forward(bn->forward(conv->forward(x))); }
  nas::ProbedConv2d conv{nullptr};
  nn::BatchNorm2d bn{nullptr};
  nas::Tap relu{nullptr};
};

class ModuleCellImpl : public nn::Module {
 public:
  ModuleCellImpl() : nn::Module("Module") {}

  at::Tensor forward(const at::Tensor& input) {
    const int n = spec.n;
    std::vector<at::Tensor> tensors{input};
    std::vector<at::Tensor> concat;
    for (int t = 1; t < n - 1; ++t) {
      const auto v = static_cast<std::size_t>(t);
      const std::int64_t c = channels[v];
      at::Tensor sum;
      auto add = [&sum](const at::Tensor& term) { sum = sum.defined() ? sum + term : term; };
      for (int src = 1; src < t; ++src) {
        if (!spec.adj[src][t]) continue;
        const at::Tensor& value = tensors[static_cast<std::size_t>(src)];
        add(value.size(1) > c ? value.narrow(1, 0, c) : value);
      }
      if (spec.adj[0][t]) add(projections[v]->forward(input));
      at::Tensor out = conv_ops[v] ? conv_ops[v]->forward(sum) : pools[v]->forward(sum);
      tensors.push_back(out);
      if (spec.adj[t][n - 1]) concat.push_back(out);
    }
    const auto last = static_cast<std::size_t>(n - 1);
    if (concat.empty()) return projections[last]->forward(input);
    at::Tensor out = concat.size() == 1 ? concat.front() : at::cat(concat, 1);
    if (spec.adj[0][n - 1]) out = out + projections[last]->forward(input);
    return out;
  }

  Spec spec;
  std::vector<std::int64_t> channels;
  // Indexed by vertex (0..V-1); null where the vertex has no such part.
  std::vector<std::shared_ptr<ConvBnReluImpl>> conv_ops, projections;
  std::vector<std::shared_ptr<nn::MaxPool2dImpl>> pools;
};

class Nb101Network : public nas::Network {
 public:
  Nb101Network(const Spec& pruned, const nas::NetSpec& spec, const Shape& shape) {
    layers_ = register_module("layers", nn::ModuleList());
    std::int64_t channels = spec.in_channels;
    if (shape.stem) {
      stem_ = make_conv_bn_relu(channels, shape.width, 3);
      layers_->push_back(stem_);
      stem_->relu = make_tap(*stem_, "relu", 0);
      channels = shape.width;
    }
    const int n = pruned.n;
    for (int k = 0; k < shape.cells; ++k) {
      const int stack = shape.stack_of(k);
      if (stack > 0 && k % shape.depth == 0) {
        auto pool = std::make_shared<nn::MaxPool2dImpl>(nn::MaxPool2dOptions(2).stride(2));
        layers_->push_back(pool);
        steps_.push_back({pool, nullptr});
      }
      const int block = static_cast<int>(layers_->size());
      const std::int64_t out = shape.width << stack;
      auto cell = std::make_shared<ModuleCellImpl>();
      layers_->push_back(cell);
      steps_.push_back({nullptr, cell});
      cell->spec = pruned;
      cell->channels = vertex_channels(channels, out, pruned);
      cell->conv_ops.resize(static_cast<std::size_t>(n));
      cell->projections.resize(static_cast<std::size_t>(n));
      cell->pools.resize(static_cast<std::size_t>(n));
      for (int t = 1; t < n - 1; ++t) {  // the ops, in vertex order
        const auto v = static_cast<std::size_t>(t);
        const std::int64_t c = cell->channels[v];
        const int op = pruned.labels[v];
        const std::string name = "op_" + std::to_string(t);
        if (op == kMaxPool3x3) {
          cell->pools[v] = cell->register_module(
              name,
              std::make_shared<nn::MaxPool2dImpl>(nn::MaxPool2dOptions(3).stride(1).padding(1)));
        } else {
          cell->conv_ops[v] =
              cell->register_module(name, make_conv_bn_relu(c, c, op == kConv3x3 ? 3 : 1));
        }
      }
      for (int t = 1; t < n; ++t) {  // then the input's projections, the output's last
        if (!pruned.adj[0][t]) continue;
        const auto v = static_cast<std::size_t>(t);
        cell->projections[v] = cell->register_module(
            "projection_" + std::to_string(t), make_conv_bn_relu(channels, cell->channels[v], 1));
      }
      // Taps in forward order.
      for (int t = 1; t < n; ++t) {
        const auto v = static_cast<std::size_t>(t);
        if (cell->projections[v])
          cell->projections[v]->relu = make_tap(*cell->projections[v], "relu", block);
        if (cell->conv_ops[v])
          cell->conv_ops[v]->relu = make_tap(*cell->conv_ops[v], "relu", block);
      }
      channels = out;
    }
    classifier_ = register_module("classifier", nas::ProbedLinear(channels, spec.num_classes));
    set_num_blocks(static_cast<int>(layers_->size()));
    initialize_weights();
  }

  at::Tensor forward(const at::Tensor& input) override {
    return classifier_->forward(pooled_features(input).mean({2, 3}));
  }

  at::Tensor pooled_features(const at::Tensor& input) override {
    at::Tensor x = stem_ ? stem_->forward(input) : input;
    for (const Step& step : steps_) x = step.pool ? step.pool->forward(x) : step.cell->forward(x);
    return x;
  }

 private:
  struct Step {
    std::shared_ptr<nn::MaxPool2dImpl> pool;
    std::shared_ptr<ModuleCellImpl> cell;
  };

  static std::shared_ptr<ConvBnReluImpl> make_conv_bn_relu(std::int64_t in, std::int64_t out,
                                                           int kernel) {
    auto unit = std::make_shared<ConvBnReluImpl>();
    unit->conv = unit->register_module(
        "conv",
        nas::ProbedConv2d(
            nn::Conv2dOptions(in, out, kernel).stride(1).padding((kernel - 1) / 2).bias(false)));
    unit->bn = unit->register_module(
        "bn", nn::BatchNorm2d(nn::BatchNorm2dOptions(out).eps(1e-5).momentum(1.0 - 0.997)));
    return unit;
  }

  // The port's _initialize_weights, over the modules in registration order.
  void initialize_weights() {
    at::NoGradGuard no_grad;
    for (const auto& m : modules(/*include_self=*/false)) {
      if (auto* conv = m->as<nn::Conv2dImpl>()) {
        const auto& w = conv->weight;
        const double fan_out = static_cast<double>(w.size(0) * w.size(2) * w.size(3));
        w.normal_(0.0, std::sqrt(2.0 / fan_out));
      } else if (auto* bn = m->as<nn::BatchNorm2dImpl>()) {
        bn->weight.fill_(1.0);
        bn->bias.zero_();
      } else if (auto* linear = m->as<nn::LinearImpl>()) {
        linear->weight.normal_(0.0, 0.01);
        linear->bias.zero_();
      }
    }
  }

  nn::ModuleList layers_{nullptr};
  std::shared_ptr<ConvBnReluImpl> stem_;
  std::vector<Step> steps_;
  nas::ProbedLinear classifier_{nullptr};
};

}  // namespace

std::shared_ptr<nas::Network> build_network(const Spec& pruned, const nas::NetSpec& spec) {
  const Shape shape = check_spec(spec, pruned);
  auto net = std::make_shared<Nb101Network>(pruned, spec, shape);
  if (spec.device == "cpu") return net;
  try {
    net->to(torch::Device(spec.device));
  } catch (const std::exception& error) {
    throw nas::Error("nb101: cannot move the network to device '" + spec.device +
                     "': " + error.what());
  }
  return net;
}

}  // namespace nb101
