// `l2_norm` (also registered as `pnorm`): the parameter-norm baseline of zero-cost-nas
// (Abdelfattah et al., ICLR 2021, measures/l2_norm.py; also NASLib and the WRCor repository).
//
//   score = sum over Conv2d/Linear layers l of ||W_l||_F   (the weights as initialised).
//
// `pnorm`: the WRCor paper's SPW vote (SynFlow + PNorm + WRCor) names a "PNorm" proxy that
// neither its repository (kunjing96/ZSNAS-WRCor) nor its abstract (arXiv 2507.08841) defines.
// The only parameter-norm measure in that repository's list (foresight/pruners/measures) is
// l2_norm, so `pnorm` is registered as the same computation under the name the vote uses. This
// is the best-supported reading, not a verified one; the help text says so as well.
//
// Choices:
// * No data and no pass: the reference reads the network without copying it, so this reads
//   the shared network's Conv2d/Linear weights (which no pass changes). Biases and BatchNorm
//   parameters are excluded.
// * Per-layer norms summed (not the norm of all weights together), in float64.
// * Taps: not read (weights only); every activation kind is accepted.
// * Network identity: structure. The sum runs over every Conv2d/Linear weight, dead ops'
//   too, in any order.
#include <ATen/ATen.h>

#include <memory>
#include <string>

#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"

namespace {

class L2Norm : public nas::Proxy {
 public:
  L2Norm() = default;

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kStructure;
    i.needs_data = false;
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    double total = 0.0;
    for (const at::Tensor& w : nas::layer_weights(context.network())) {
      total += w.detach().to(at::kDouble).norm().item<double>();
    }
    return total;
  }
};

void register_l2_norm(nas::PluginRegistrar& registrar) {
  const std::string l2_help =
      "parameter norm (zero-cost-nas l2_norm): sum of per-layer Frobenius norms of the "
      "conv and linear weights at initialisation; no data";
  const std::string pnorm_help =
      "PNorm of WRCor's SPW vote, read as l2_norm (sum of per-layer Frobenius norms of conv "
      "and linear weights): the paper does not define it; l2_norm is the best-supported "
      "reading";
  registrar.add_proxy("l2_norm", l2_help, nas::ParamSchema(),
                      [](const nas::Params&) { return std::make_shared<L2Norm>(); });
  registrar.add_proxy("pnorm", pnorm_help, nas::ParamSchema(),
                      [](const nas::Params&) { return std::make_shared<L2Norm>(); });
}

}  // namespace

NAS_PLUGIN("l2_norm", "1.0.0", register_l2_norm)
