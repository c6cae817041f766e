// The MobileNetV2-like network of WRCor's ImageNet space, built from taps.
//
// Construction order, which fixes the weights drawn under a seed; it follows the reference
// (PlainNet builds its blocks in string order, a ResBlockProj its inner layers before its
// projection, the classifier last):
//   stem                 conv Conv2d(in, c0, 3, stride 2, pad 1, no bias), bn, stem_relu
//   stages.j.layers.l    expand_conv Conv2d(in, dw, 1, no bias), expand_bn, expand_relu,
//                        dw_conv Conv2d(dw, dw, k, stride, pad (k-1)/2, groups dw, no bias),
//                        dw_bn, dw_relu,
//                        se_reduce Conv2d(dw, se, 1, no bias), se_bn1, se_relu,
//                        se_expand Conv2d(se, dw, 1, no bias), se_bn2,
//                        project_conv Conv2d(dw, out, 1, no bias), project_bn,
//                        (layer 0) shortcut_conv Conv2d(in, out, 1, stride, WITH bias),
//                        shortcut_bn,
//                        out_relu
//   head                 conv Conv2d(c7, c8, 1, no bias), bn, head_relu
//   classifier           Linear(c8, classes) with bias, after global average pooling
// Every BatchNorm2d has eps 1e-3 and momentum 0.1. Weights are torch's defaults (the reference
// never calls its init_parameters in search or training). Taps own no tensors, so they change
// neither the parameter list nor the random stream.
//
// forward(x): x is resized bilinearly (align_corners false) to the architecture's resolution
// (or the space's probe_resolution),
// then runs through stem, stages, head, pooling and classifier.
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "mobilenet_space.h"
#include "nas/error.h"
#include "nas/network.h"

namespace mobilenet {
namespace {

namespace nn = torch::nn;

constexpr double kBnEps = 1e-3;

// A ReLU through its tap, or a plain ReLU where the network has no tap (tap_set: nn_relu).
at::Tensor relu(nas::Tap& tap, const at::Tensor& x) {
  return tap.is_empty() ? at::relu(x) : tap->forward(x);
}

nn::BatchNorm2d make_bn(std::int64_t channels) {
  return nn::BatchNorm2d(nn::BatchNorm2dOptions(channels).eps(kBnEps));
}

nas::ProbedConv2d make_conv(std::int64_t in, std::int64_t out, std::int64_t kernel,
                            std::int64_t stride, bool bias = false, std::int64_t groups = 1) {
  return nas::ProbedConv2d(nn::Conv2dOptions(in, out, kernel)
                               .stride(stride)
                               .padding((kernel - 1) / 2)
                               .groups(groups)
                               .bias(bias));
}

class ConvBnImpl : public nn::Module {
 public:
  ConvBnImpl() : nn::Module("ConvBnRelu") {}
  nas::ProbedConv2d conv{nullptr};
  nn::BatchNorm2d bn{nullptr};
  nas::Tap relu{nullptr};
};

// One inverted-residual layer with SE and a projection (layer 0) or identity shortcut.
class LayerImpl : public nn::Module {
 public:
  LayerImpl() : nn::Module("SuperResIDWELayer") {}

  at::Tensor forward(const at::Tensor& x) {
    at::Tensor y = relu(expand_relu, expand_bn->forward(expand_conv->forward(x)));
    y = relu(dw_relu, dw_bn->forward(dw_conv->forward(y)));
    at::Tensor z = y.mean({2, 3}, /*keepdim=*/true);
    z = se_relu->forward(se_bn1->forward(se_reduce->forward(z)));
    z = at::sigmoid(se_bn2->forward(se_expand->forward(z)));
    y = z * y;
    y = project_bn->forward(project_conv->forward(y));
    const at::Tensor shortcut =
        shortcut_conv.is_empty() ? x : shortcut_bn->forward(shortcut_conv->forward(x));
    return relu(out_relu, y + shortcut);
  }

  nas::ProbedConv2d expand_conv{nullptr}, dw_conv{nullptr}, se_reduce{nullptr}, se_expand{nullptr},
      project_conv{nullptr}, shortcut_conv{nullptr};
  nn::BatchNorm2d expand_bn{nullptr}, dw_bn{nullptr}, se_bn1{nullptr}, se_bn2{nullptr},
      project_bn{nullptr}, shortcut_bn{nullptr};
  nas::Tap expand_relu{nullptr}, dw_relu{nullptr}, se_relu{nullptr}, out_relu{nullptr};
};

class StageImpl : public nn::Module {
 public:
  StageImpl() : nn::Module("SuperResIDWEXKX") {}
  std::vector<std::shared_ptr<LayerImpl>> layers;
};

class MobileNetNetwork : public nas::Network {
 public:
  MobileNetNetwork(const Genotype& g, const Shape& s, bool se_taps_only)
      : resolution_(s.resolution) {
    // A tap, or (tap_set: nn_relu, not an SE ReLU) none: relu() then applies a plain ReLU.
    auto tap = [&](nn::Module& owner, const std::string& name, int block) {
      return se_taps_only ? nas::Tap(nullptr) : make_tap(owner, name, block);
    };
    const auto& w = s.widths;
    stem_ = register_module("stem", std::make_shared<ConvBnImpl>());
    stem_->conv = stem_->register_module("conv", make_conv(s.in_channels, w[0], 3, 2));
    stem_->bn = stem_->register_module("bn", make_bn(w[0]));
    stem_->relu = tap(*stem_, "stem_relu", 0);

    auto stages = register_module("stages", nn::ModuleList());
    for (int j = 0; j < kNumStages; ++j) {
      const Stage& st = g.stages[j];
      const int block = j + 1;
      const std::int64_t dw = dw_channels(s.bottlenecks[j], st.expansion);
      const std::int64_t se = se_channels(dw);
      const std::int64_t out = w[j + 1];
      auto stage = std::make_shared<StageImpl>();
      auto list = stage->register_module("layers", nn::ModuleList());
      for (int l = 0; l < st.layers; ++l) {
        const std::int64_t in = l == 0 ? w[j] : out;
        const std::int64_t stride = l == 0 ? st.stride : 1;
        auto layer = std::make_shared<LayerImpl>();
        // Registered in the list first so that the taps' module paths are final.
        list->push_back(layer);
        layer->expand_conv = layer->register_module("expand_conv", make_conv(in, dw, 1, 1));
        layer->expand_bn = layer->register_module("expand_bn", make_bn(dw));
        layer->expand_relu = tap(*layer, "expand_relu", block);
        layer->dw_conv =
            layer->register_module("dw_conv", make_conv(dw, dw, st.kernel, stride, false, dw));
        layer->dw_bn = layer->register_module("dw_bn", make_bn(dw));
        layer->dw_relu = tap(*layer, "dw_relu", block);
        layer->se_reduce = layer->register_module("se_reduce", make_conv(dw, se, 1, 1));
        layer->se_bn1 = layer->register_module("se_bn1", make_bn(se));
        layer->se_relu = make_tap(*layer, "se_relu", block);
        layer->se_expand = layer->register_module("se_expand", make_conv(se, dw, 1, 1));
        layer->se_bn2 = layer->register_module("se_bn2", make_bn(dw));
        layer->project_conv = layer->register_module("project_conv", make_conv(dw, out, 1, 1));
        layer->project_bn = layer->register_module("project_bn", make_bn(out));
        if (l == 0) {
          layer->shortcut_conv =
              layer->register_module("shortcut_conv", make_conv(in, out, 1, stride, true));
          layer->shortcut_bn = layer->register_module("shortcut_bn", make_bn(out));
        }
        layer->out_relu = tap(*layer, "out_relu", block);
        stage->layers.push_back(layer);
      }
      stages->push_back(stage);
      stages_.push_back(stage);
    }

    head_ = register_module("head", std::make_shared<ConvBnImpl>());
    head_->conv = head_->register_module("conv", make_conv(w[7], w[8], 1, 1));
    head_->bn = head_->register_module("bn", make_bn(w[8]));
    head_->relu = tap(*head_, "head_relu", kNumStages + 1);
    if (!head_->relu.is_empty()) head_->relu->set_head(true);
    classifier_ = register_module("classifier", nas::ProbedLinear(w[8], s.classes));
    set_num_blocks(kNumStages + 2);
  }

  at::Tensor forward(const at::Tensor& input) override {
    namespace F = torch::nn::functional;
    at::Tensor x =
        F::interpolate(input, F::InterpolateFuncOptions()
                                  .size(std::vector<std::int64_t>{resolution_, resolution_})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
    x = relu(stem_->relu, stem_->bn->forward(stem_->conv->forward(x)));
    for (const auto& stage : stages_) {
      for (const auto& layer : stage->layers) x = layer->forward(x);
    }
    x = relu(head_->relu, head_->bn->forward(head_->conv->forward(x)));
    x = x.mean({2, 3});
    return classifier_->forward(x);
  }

 private:
  std::int64_t resolution_;
  std::shared_ptr<ConvBnImpl> stem_, head_;
  std::vector<std::shared_ptr<StageImpl>> stages_;
  nas::ProbedLinear classifier_{nullptr};
};

}  // namespace

std::shared_ptr<nas::Network> build_network(const Genotype& g, const nas::NetSpec& spec,
                                            int probe_resolution, bool se_taps_only) {
  const Shape shape = check_spec(g, spec, probe_resolution);
  auto net = std::make_shared<MobileNetNetwork>(g, shape, se_taps_only);
  if (spec.device != "cpu") {
    try {
      net->to(torch::Device(spec.device));
    } catch (const std::exception& error) {
      throw nas::Error("mobilenet: cannot move the network to device '" + spec.device +
                       "': " + error.what());
    }
  }
  return net;
}

}  // namespace mobilenet
