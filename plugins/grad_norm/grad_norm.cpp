// `grad_norm`: the gradient-norm baseline of zero-cost-nas (Abdelfattah et al., ICLR 2021,
// measures/grad_norm.py), as NASLib also computes it.
//
//   score = sum over Conv2d/Linear layers l of ||dL/dW_l||_F,
//   L = mean cross-entropy of one labelled batch, network in train mode (BN batch statistics).
//
// Choices:
// * Per-layer Frobenius norms, then their sum (not the norm of the whole gradient vector):
//   that is what the reference's per-layer array followed by a sum gives.
// * Read from the probe engine's shared weight-gradient pass; biases and BatchNorm
//   parameters excluded; norms computed in float64.
// * Taps: not read; weight gradients exist for any activation kind, so every kind is accepted.
// * Network identity: function. A layer of an op that cannot affect the loss has dL/dW = 0
//   and adds a zero norm; the sum is symmetric in the order of the layers.
#include <ATen/ATen.h>

#include <memory>

#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"

namespace {

class GradNorm : public nas::Proxy {
 public:
  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kFunction;
    i.needs_labels = true;
    i.passes = nas::kPassWeightGradients;
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    return nas::sum_over_layer_gradients(
        context.network(),
        [](const at::Tensor&, const at::Tensor& g) { return g.norm().item<double>(); });
  }
};

void register_grad_norm(nas::PluginRegistrar& registrar) {
  registrar.add_proxy("grad_norm",
                      "gradient norm (zero-cost-nas): sum of per-layer Frobenius norms of "
                      "dL/dW over conv and linear weights, one labelled batch, train mode",
                      nas::ParamSchema(),
                      [](const nas::Params&) { return std::make_shared<GradNorm>(); });
}

}  // namespace

NAS_PLUGIN("grad_norm", "1.0.0", register_grad_norm)
