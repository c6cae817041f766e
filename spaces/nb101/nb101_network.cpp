// The NAS-Bench-101 network (model_builder.py), built from taps.
//
// Construction order, which fixes the weights drawn under a seed:
//   stem         conv (in -> W, 3x3, pad 1, no bias), bn, relu        [absent when stem=false]
//   cells.k      module k = 0..3D-1 (D modules per stack, stack s = k / D has W x 2^s
//                channels); in each, for t = 1..V-2 in vertex order:
//                  vertex_<t>.projection  conv 1x1 (module input -> c_t), bn, relu  [if input->t]
//                  vertex_<t>.op          conv kxk (c_t -> c_t), bn, relu  [conv ops; maxpool:
//                                          MaxPool2d(3, stride 1, pad 1), nothing to create]
//                then output_projection   conv 1x1 (module input -> module channels), bn, relu
//                                          [if input->output]
//   classifier   Linear(channels of the last module, classes), with bias
// c_t is compute_vertex_channels of the pruned cell (nb101_space.cpp). V, the edges and the
// ops are those of the PRUNED spec, as the reference builds it. Before the first module of
// stacks 1 and 2: MaxPool2d(2, stride 2) (the reference's 2x2 'same' pooling on even sizes).
// After the last module: the mean over height and width, then the classifier.
//
// A module's forward (build_module): vertex t sums, in this order, the outputs of its interior
// predecessors src = 1..t-1 (each truncated to its first c_t channels when it has more; the
// channel rule makes that at most one more) and then the projection of the module input; the
// op follows. The module output is the concatenation (vertex order) of the vertices feeding the
// output, plus the output projection when input->output is an edge; when no interior vertex is
// left it is the output projection alone.
//
// Layers: every conv has no bias; every BatchNorm is affine with running statistics, eps 1e-5
// and momentum 0.003 (torch's convention for the reference's TF decay 0.997). Initial weights
// are torch's defaults (Kaiming-uniform convs and dense layer), not the reference's TF
// variance-scaling / Glorot initialisers.
//
// Taps: one per ReLU (stem, projections, conv ops), in forward order, activation ReLU. The stem's
// tap has block 0 and the taps of module k block k + 1; num_blocks() is the number of modules
// built + 1. The network has no head tap (the reference's head is pooling and a dense layer,
// without a nonlinearity), and no ReLU -> Conv -> BN units (its ops are Conv -> BN -> ReLU).
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

class VertexImpl : public nn::Module {
 public:
  VertexImpl() : nn::Module("Vertex") {}
  std::shared_ptr<ConvBnReluImpl> projection;  // from the module input, or null
  std::shared_ptr<ConvBnReluImpl> conv_op;     // a conv op, or null
  nn::MaxPool2d pool{nullptr};                 // the maxpool op, or null
};

class ModuleCellImpl : public nn::Module {
 public:
  ModuleCellImpl() : nn::Module("Module") {}

  at::Tensor forward(const at::Tensor& input) {
    const int n = spec.n;
    std::vector<at::Tensor> tensors{input};
    std::vector<at::Tensor> concat;
    for (int t = 1; t < n - 1; ++t) {
      VertexImpl& vertex = *vertices[static_cast<std::size_t>(t - 1)];
      const std::int64_t c = channels[static_cast<std::size_t>(t)];
      at::Tensor sum;
      auto add = [&sum](const at::Tensor& term) { sum = sum.defined() ? sum + term : term; };
      for (int src = 1; src < t; ++src) {
        if (!spec.adj[src][t]) continue;
        const at::Tensor& value = tensors[static_cast<std::size_t>(src)];
        add(value.size(1) > c ? value.narrow(1, 0, c) : value);
      }
      if (spec.adj[0][t]) add(vertex.projection->forward(input));
      at::Tensor out = vertex.conv_op ? vertex.conv_op->forward(sum) : vertex.pool->forward(sum);
      tensors.push_back(out);
      if (spec.adj[t][n - 1]) concat.push_back(out);
    }
    if (concat.empty()) return output_projection->forward(input);
    at::Tensor out = concat.size() == 1 ? concat.front() : at::cat(concat, 1);
    if (spec.adj[0][n - 1]) out = out + output_projection->forward(input);
    return out;
  }

  Spec spec;
  std::vector<std::int64_t> channels;
  std::vector<std::shared_ptr<VertexImpl>> vertices;  // interior vertices 1..V-2
  std::shared_ptr<ConvBnReluImpl> output_projection;
};

class Nb101Network : public nas::Network {
 public:
  Nb101Network(const Spec& pruned, const nas::NetSpec& spec, const Shape& shape) {
    std::int64_t channels = spec.in_channels;
    if (shape.stem) {
      stem_ = make_conv_bn_relu(*this, "stem", channels, shape.width, 3, 0);
      channels = shape.width;
    }
    cells_ = register_module("cells", nn::ModuleList());
    for (int k = 0; k < shape.cells; ++k) {
      const int stack = shape.stack_of(k);
      downsample_.push_back(stack > 0 && k % shape.depth == 0);
      const std::int64_t out = shape.width << stack;
      auto cell = std::make_shared<ModuleCellImpl>();
      cells_->push_back(cell);
      cell->spec = pruned;
      cell->channels = vertex_channels(channels, out, pruned);
      const int n = pruned.n;
      for (int t = 1; t < n - 1; ++t) {
        auto vertex =
            cell->register_module("vertex_" + std::to_string(t), std::make_shared<VertexImpl>());
        const std::int64_t c = cell->channels[static_cast<std::size_t>(t)];
        if (pruned.adj[0][t]) {
          vertex->projection = make_conv_bn_relu(*vertex, "projection", channels, c, 1, k + 1);
        }
        const int op = pruned.labels[static_cast<std::size_t>(t)];
        if (op == kMaxPool3x3) {
          vertex->pool = vertex->register_module(
              "op", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(1).padding(1)));
        } else {
          vertex->conv_op = make_conv_bn_relu(*vertex, "op", c, c, op == kConv3x3 ? 3 : 1, k + 1);
        }
        cell->vertices.push_back(vertex);
      }
      if (pruned.adj[0][n - 1]) {
        cell->output_projection =
            make_conv_bn_relu(*cell, "output_projection", channels, out, 1, k + 1);
      }
      cell_list_.push_back(cell);
      channels = out;
    }
    pool_ = register_module("downsample", nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
    classifier_ = register_module("classifier", nas::ProbedLinear(channels, spec.num_classes));
    set_num_blocks(shape.cells + 1);
  }

  at::Tensor forward(const at::Tensor& input) override {
    at::Tensor x = stem_ ? stem_->forward(input) : input;
    for (std::size_t k = 0; k < cell_list_.size(); ++k) {
      if (downsample_[k]) x = pool_->forward(x);
      x = cell_list_[k]->forward(x);
    }
    x = x.mean({2, 3});
    return classifier_->forward(x);
  }

 private:
  std::shared_ptr<ConvBnReluImpl> make_conv_bn_relu(nn::Module& owner, const std::string& name,
                                                    std::int64_t in, std::int64_t out, int kernel,
                                                    int block) {
    auto unit = owner.register_module(name, std::make_shared<ConvBnReluImpl>());
    unit->conv = unit->register_module(
        "conv",
        nas::ProbedConv2d(
            nn::Conv2dOptions(in, out, kernel).stride(1).padding((kernel - 1) / 2).bias(false)));
    unit->bn = unit->register_module(
        "bn", nn::BatchNorm2d(nn::BatchNorm2dOptions(out).eps(1e-5).momentum(1.0 - 0.997)));
    unit->relu = make_tap(*unit, "relu", block);
    return unit;
  }

  std::shared_ptr<ConvBnReluImpl> stem_;
  nn::ModuleList cells_{nullptr};
  std::vector<std::shared_ptr<ModuleCellImpl>> cell_list_;
  std::vector<bool> downsample_;
  nn::MaxPool2d pool_{nullptr};
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
