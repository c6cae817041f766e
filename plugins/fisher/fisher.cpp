// `fisher`: the Fisher-information channel saliency of Theis et al. (2018) / Turner et al.
// (BlockSwap, 2020), summed over the network as zero-cost-nas (Abdelfattah et al., ICLR 2021,
// measures/fisher.py with p_utils.reshape_elements) and NASLib score architectures with it.
//
//   for every Conv2d/Linear layer l with output a (N x C [x H x W]) and g = dL/da:
//     s_nc = sum_{h,w} a_nchw g_nchw          (a_nc g_nc for a Linear layer)
//     F_c  = 0.5 * mean_n s_nc^2
//   score = sum_l sum_c F_c * (C_in * k_h * k_w)   (fan-in of the layer: prod of weight dims 1..)
//   L = mean cross-entropy of one labelled batch, network in train mode (BN batch statistics).
//
// The factor C_in*k_h*k_w: the reference computes one value per output channel and then
// broadcasts it onto that channel's weight slice, so that every weight carries its channel's
// value, and the sum over all weights counts each F_c fan-in times. That is reproduced.
//
// How the layer outputs are reached. The reference swaps each layer's forward for one that
// passes the output through a hooked identity and reads the gradient at that identity. Spaces
// build every convolution and linear layer as a ProbedConv2d / ProbedLinear (network.h), which
// keeps a view of its output, with its own autograd node, while layer recording is on: the
// proxy records one forward, takes dL/da for every recorded output a in one backward, and
// needs nothing from LibTorch's autograd internals. A Conv2d or Linear that is not a probed
// layer cannot be read, and is an error, never silently skipped.
//
// Choices:
// * Own network (modifies_network): it records its own layers, and a train-mode forward would
//   move the shared network's BatchNorm running statistics.
// * A layer records the output of its last call: a layer called twice in one forward (none in
//   the spaces shipped) would count once, where the reference adds both calls' F values.
// * Products and sums in float64 from the float32 activations and gradients (the reference
//   uses float32; about 1e-7 relative). Layers that get no gradient contribute 0.
// * Taps: not read; layer outputs and their gradients exist for any activation kind, so every
//   kind is accepted.
// * Network identity: function. A layer whose output cannot affect the loss has g = dL/da = 0,
//   so s, F and its term are 0, and a conv that reads an all-zero map has a = 0; the sum over
//   layers and channels is symmetric in their order.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <memory>
#include <string>
#include <vector>

#include "nas/error.h"
#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"

namespace {

// The fan-in (product of weight dims 1..) of every probed layer, in the order layer_outputs()
// lists their outputs; refuses a Conv2d/Linear that is not a probed layer.
std::vector<double> probed_fan_ins(torch::nn::Module& net) {
  std::vector<double> fan_ins;
  for (const auto& m : net.modules(/*include_self=*/true)) {
    const at::Tensor* weight = nullptr;
    if (auto* c = dynamic_cast<nas::ProbedConv2dImpl*>(m.get())) {
      weight = &c->weight;
    } else if (auto* l = dynamic_cast<nas::ProbedLinearImpl*>(m.get())) {
      weight = &l->weight;
    } else if (m->as<torch::nn::Conv2dImpl>() || m->as<torch::nn::LinearImpl>()) {
      throw nas::Error("fisher: the network has a " + m->name() +
                       " that is not a ProbedConv2d/ProbedLinear, so its output cannot be read");
    }
    if (weight) fan_ins.push_back(static_cast<double>(weight->numel() / weight->size(0)));
  }
  return fan_ins;
}

class Fisher : public nas::Proxy {
 public:
  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kFunction;
    i.needs_labels = true;
    i.modifies_network = true;
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    std::shared_ptr<nas::Network> net = context.fresh_network();
    net->train();
    const nas::Batch& batch = context.batch();
    const std::vector<double> fan_ins = probed_fan_ins(*net);

    nas::set_layer_recording(*net, true);
    const at::Tensor loss = at::cross_entropy_loss(net->forward(batch.inputs), batch.labels);
    std::vector<at::Tensor> outputs = nas::layer_outputs(*net);
    nas::set_layer_recording(*net, false);

    // Only the outputs the loss depends on can be differentiated; the rest contribute 0.
    std::vector<at::Tensor> reached;
    std::vector<double> reached_fan_in;
    for (std::size_t l = 0; l < outputs.size(); ++l) {
      if (outputs[l].defined() && outputs[l].requires_grad()) {
        reached.push_back(outputs[l]);
        reached_fan_in.push_back(fan_ins[l]);
      }
    }
    if (reached.empty()) return 0.0;
    const std::vector<at::Tensor> grads =
        torch::autograd::grad({loss}, reached, {}, /*retain_graph=*/false,
                              /*create_graph=*/false, /*allow_unused=*/true);

    at::NoGradGuard no_grad;
    double total = 0.0;
    for (std::size_t l = 0; l < reached.size(); ++l) {
      if (!grads[l].defined()) continue;
      at::Tensor prod = reached[l].detach().to(at::kDouble) * grads[l].to(at::kDouble);
      if (prod.dim() > 2) {
        std::vector<std::int64_t> spatial;
        for (std::int64_t d = 2; d < prod.dim(); ++d) spatial.push_back(d);
        prod = prod.sum(spatial);
      }
      const double channel_sum = prod.pow(2).mean(0).mul(0.5).sum().item<double>();
      total += channel_sum * reached_fan_in[l];
    }
    return total;
  }
};

void register_fisher(nas::PluginRegistrar& registrar) {
  registrar.add_proxy("fisher",
                      "Fisher channel saliency (zero-cost-nas): per conv/linear output channel "
                      "0.5 mean_n (sum_hw a*dL/da)^2, broadcast over the channel's weights and "
                      "summed; one labelled batch, train mode",
                      nas::ParamSchema(),
                      [](const nas::Params&) { return std::make_shared<Fisher>(); });
}

}  // namespace

NAS_PLUGIN("fisher", "1.0.0", register_fisher)
