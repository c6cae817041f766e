// `plain`: the "plain" first-order saliency of zero-cost-nas (Abdelfattah et al., ICLR 2021,
// measures/plain.py; also in NASLib and the WRCor repository).
//
//   score = sum over Conv2d/Linear layers l of sum_i dL/dW_l,i * W_l,i   (signed),
//   L = mean cross-entropy of one labelled batch, network in train mode (BN batch statistics).
//
// Choices:
// * Signed, no absolute value (that is SNIP). It correlates negatively with accuracy on
//   NAS-Bench-201 (Suite-Zero scores give rho about -0.35); higher_is_better stays true, as
//   the reference ranks it, so reports show that sign.
// * Read from the probe engine's shared weight-gradient pass; biases and BatchNorm
//   parameters excluded. Products and sums in float64: the signed sum cancels heavily, so
//   float32 products would already move it by about 1e-7 relative.
// * Taps: not read; weight gradients exist for any activation kind, so every kind is accepted.
// * Network identity: function. A weight of an op that cannot affect the loss has dL/dW = 0
//   and adds 0; the sum is symmetric in the order of the layers.
#include <ATen/ATen.h>

#include <memory>

#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"

namespace {

class Plain : public nas::Proxy {
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
        [](const at::Tensor& w, const at::Tensor& g) { return (w * g).sum().item<double>(); });
  }
};

void register_plain(nas::PluginRegistrar& registrar) {
  registrar.add_proxy("plain",
                      "plain saliency (zero-cost-nas): signed sum of dL/dW * W over conv and "
                      "linear weights, one labelled batch, train mode",
                      nas::ParamSchema(),
                      [](const nas::Params&) { return std::make_shared<Plain>(); });
}

}  // namespace

NAS_PLUGIN("plain", "1.0.0", register_plain)
