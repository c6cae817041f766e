// `synflow`: SynFlow, the data-free "synaptic flow" saliency of Tanaka et al. (NeurIPS 2020),
// summed over the network as zero-cost-nas (Abdelfattah et al., ICLR 2021, measures/synflow.py)
// and NASLib score architectures with it.
//
//   score = sum over Conv2d/Linear layers l of sum_i |W_l,i * dR/dW_l,i|,
//   R = sum of the logits of f_|W|(1), the network with every parameter replaced by its
//   absolute value, BatchNorm removed, evaluated in float64 on one all-ones input.
//
// Choices, each as in the reference unless said otherwise:
// * BatchNorm removed: every BN is made an exact identity (eval mode, mean 0, variance 1,
//   eps 0, gamma 1, beta 0), which is what replacing its forward by `x -> x` does.
// * Absolute values of all parameters. The reference saves the signs and restores them
//   afterwards because it works on a copy it hands back; here the network is the proxy's own
//   fresh copy (modifies_network), discarded afterwards, so no signs are kept.
// * The whole network is converted to float64 and so is the input, ones of shape
//   (1, channels, size, size) from the network spec: no data is read (needs_data = false).
// * Gradients of R are taken with respect to the Conv2d/Linear weights only; biases enter R
//   (with their absolute values) but not the sum. The sum is accumulated in float64.
// * Raw score: it can be astronomically large for deep networks (NASLib logs it); reports
//   apply such transforms, not the proxy.
// * Taps: not read, every kind accepted and computed alike. SynFlow's conservation argument
//   assumes positively homogeneous activations (ReLU); with ReLU6, h-swish or SiLU the score
//   is the same formula without that interpretation.
// * Network identity: function. A dead op adds nothing: an op whose output reaches no logit
//   gets dR/dW = 0, and a conv reading an all-zero map (BN made identity, no bias) outputs zeros
//   and gets a zero gradient, so |W * dR/dW| is 0 for its weights; the sum over layers is
//   unchanged, and it is symmetric in the order of the layers.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <memory>
#include <vector>

#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"

namespace {

class Synflow : public nas::Proxy {
 public:
  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kFunction;
    i.needs_data = false;
    i.modifies_network = true;
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    std::shared_ptr<nas::Network> net = context.fresh_network();
    net->train();
    nas::make_batchnorm_identity(*net);
    {
      at::NoGradGuard no_grad;
      for (auto& p : net->parameters()) p.abs_();
    }
    net->to(at::kDouble);

    const nas::NetSpec& spec = context.spec();
    at::Tensor ones =
        at::ones({1, spec.in_channels, spec.input_size, spec.input_size}, at::kDouble);
    at::Tensor r = net->forward(ones).sum();

    std::vector<at::Tensor> weights = nas::layer_weights(*net);
    std::vector<at::Tensor> grads = torch::autograd::grad({r}, weights, {}, /*retain_graph=*/false,
                                                          /*create_graph=*/false,
                                                          /*allow_unused=*/true);
    double total = 0.0;
    for (std::size_t l = 0; l < weights.size(); ++l) {
      if (!grads[l].defined()) continue;  // a layer that does not reach the output
      total += (weights[l].detach() * grads[l]).abs().sum().item<double>();
    }
    return total;
  }
};

void register_synflow(nas::PluginRegistrar& registrar) {
  registrar.add_proxy("synflow",
                      "SynFlow (Tanaka et al. 2020; zero-cost-nas): data-free saliency "
                      "sum |W * dR/dW| of the all-positive, BN-free network on an all-ones "
                      "input, float64; raw (not logged)",
                      nas::ParamSchema(),
                      [](const nas::Params&) { return std::make_shared<Synflow>(); });
}

}  // namespace

NAS_PLUGIN("synflow", "1.0.0", register_synflow)
