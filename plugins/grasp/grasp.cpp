// `grasp`: GraSP, gradient signal preservation (Wang et al., ICLR 2020), summed over the
// network as zero-cost-nas (Abdelfattah et al., ICLR 2021, measures/grasp.py) and NASLib
// score architectures with it.
//
//   g  = dL/dW                       (treated as a constant)
//   Hg = d/dW ( sum_l g_l . dL/dW_l ) (a Hessian-vector product, by double backward)
//   score = sum over Conv2d/Linear layers l of sum_i ( -W_l,i * (Hg)_l,i ),
//   L = mean cross-entropy of one labelled batch, network in train mode (BN batch statistics).
//
// Choices:
// * Temperature T = 1 and one iteration, the reference's defaults (so the logits are not
//   divided by anything).
// * The reference runs two identical train-mode forward passes, one for g and one with
//   create_graph for the Hessian-vector product. With batch statistics both passes compute
//   the same values, so one forward with create_graph serves both; g is detached before
//   it enters the product, exactly as the reference's `.data` does.
// * Own network (modifies_network): the double backward needs its own graph, and a train-mode
//   forward would otherwise move the shared network's BatchNorm running statistics.
// * Layers whose weight gets no gradient contribute 0. Summed in float64.
// * Taps: not read; every kind accepted. With ReLU taps the Hessian has no curvature term
//   from the activations; smooth kinds (h-swish, SiLU) add theirs, as autograd computes it.
// * Network identity: function. For a weight of an op that cannot affect the loss, dL/dW is
//   identically zero, so its g is 0 and its row of the Hessian is 0: it adds nothing to Hg of
//   any other weight and -W * 0 to the sum.
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

class Grasp : public nas::Proxy {
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
    std::vector<at::Tensor> weights = nas::layer_weights(*net);

    at::Tensor loss = at::cross_entropy_loss(net->forward(batch.inputs), batch.labels);
    std::vector<at::Tensor> grads = torch::autograd::grad({loss}, weights, {},
                                                          /*retain_graph=*/true,
                                                          /*create_graph=*/true,
                                                          /*allow_unused=*/true);
    at::Tensor z;
    std::vector<at::Tensor> used;
    for (std::size_t l = 0; l < weights.size(); ++l) {
      if (!grads[l].defined()) continue;
      at::Tensor term = (grads[l].detach() * grads[l]).sum();
      z = z.defined() ? z + term : term;
      used.push_back(weights[l]);
    }
    // No gradient reaches any layer, or the gradient does not depend on the weights.
    if (!z.defined() || !z.requires_grad()) return 0.0;

    std::vector<at::Tensor> hg = torch::autograd::grad({z}, used, {}, /*retain_graph=*/false,
                                                       /*create_graph=*/false,
                                                       /*allow_unused=*/true);
    double total = 0.0;
    for (std::size_t l = 0; l < used.size(); ++l) {
      if (!hg[l].defined()) continue;
      total -= (used[l].detach().to(at::kDouble) * hg[l].to(at::kDouble)).sum().item<double>();
    }
    return total;
  }
};

void register_grasp(nas::PluginRegistrar& registrar) {
  registrar.add_proxy("grasp",
                      "GraSP (Wang et al. 2020; zero-cost-nas): sum of -W * (H dL/dW) over conv "
                      "and linear weights, one labelled batch, train mode, T = 1",
                      nas::ParamSchema(),
                      [](const nas::Params&) { return std::make_shared<Grasp>(); });
}

}  // namespace

NAS_PLUGIN("grasp", "1.0.0", register_grasp)
