// `snip`: SNIP connection sensitivity (Lee et al., ICLR 2019) summed over the network, as
// zero-cost-nas (Abdelfattah et al., ICLR 2021, measures/snip.py) and NASLib score it.
//
//   score = sum over Conv2d/Linear layers l of sum_i |W_l,i * dL/dW_l,i|,
//   L = mean cross-entropy of one labelled batch, network in train mode (BN batch statistics).
//
// Choices:
// * The reference multiplies each weight by a mask m = 1 and sums |dL/dm|; since the masked
//   weight equals W, dL/dm = W * dL/dW exactly, so the shared weight-gradient pass of the
//   probe engine gives the same numbers without a copy of the network or a second pass.
// * Biases and BatchNorm parameters are not layers (as in the reference).
// * Products and sums in float64 from the float32 weights and gradients (the reference
//   works in float32; the two differ by about 1e-7 relative).
// * Taps: not read; weight gradients exist for any activation kind, so every kind is accepted.
// * Network identity: function. A weight of an op that cannot affect the loss has dL/dW = 0
//   (the zero multiplication of a none edge passes zero gradients), so it adds |W * 0| = 0; the
//   sum is symmetric in the order of the layers.
#include <ATen/ATen.h>

#include <memory>

#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"

namespace {

class Snip : public nas::Proxy {
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
    return nas::sum_over_layer_gradients(context.network(),
                                         [](const at::Tensor& w, const at::Tensor& g) {
                                           return (w * g).abs().sum().item<double>();
                                         });
  }
};

void register_snip(nas::PluginRegistrar& registrar) {
  registrar.add_proxy("snip",
                      "SNIP (Lee et al. 2019; zero-cost-nas): sum |W * dL/dW| over conv and "
                      "linear weights, one labelled batch, train mode",
                      nas::ParamSchema(),
                      [](const nas::Params&) { return std::make_shared<Snip>(); });
}

}  // namespace

NAS_PLUGIN("snip", "1.0.0", register_snip)
