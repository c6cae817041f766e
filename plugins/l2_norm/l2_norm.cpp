// `l2_norm` (also registered as `pnorm`): the parameter-norm baseline of zero-cost-nas
// (Abdelfattah et al., ICLR 2021, measures/l2_norm.py; also NASLib and the WRCor repository).
//
//   score = sum over Conv2d/Linear layers l of ||W_l||_F   (the weights as initialised).
//
// `pnorm`: the WRCor paper's SPW vote (SynFlow + PNorm + WRCor) names a "PNorm" proxy that
// neither its repository nor its readable text defines. The only parameter-norm measure in
// that repository's proxy list is l2_norm, so `pnorm` is registered as the same computation
// under the name the vote uses. This is the best-supported reading, not a verified one
// (shared/docs/proxies.md, 1.3 and 1.5); the help text says so as well.
//
// Choices:
// * No data and no pass: the reference reads the network without copying it, so this reads
//   the shared network's Conv2d/Linear weights (which no pass changes). Biases and BatchNorm
//   parameters are excluded.
// * Per-layer norms summed (not the norm of all weights together), in float64.
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
  L2Norm(std::string name, std::string help) : name_(std::move(name)), help_(std::move(help)) {}

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.name = name_;
    i.version = "1";
    i.needs_data = false;
    i.help = help_;
    return i;
  }

  double score(nas::ProbeContext& context) override {
    double total = 0.0;
    for (const at::Tensor& w : nas::layer_weights(context.network())) {
      total += w.detach().to(at::kDouble).norm().item<double>();
    }
    return total;
  }

 private:
  std::string name_;
  std::string help_;
};

void register_l2_norm(nas::PluginRegistrar& registrar) {
  const std::string l2_help =
      "parameter norm (zero-cost-nas l2_norm): sum of per-layer Frobenius norms of the "
      "conv and linear weights at initialisation; no data";
  const std::string pnorm_help =
      "PNorm of WRCor's SPW vote, read as l2_norm (sum of per-layer Frobenius norms of conv "
      "and linear weights): the paper does not define it; l2_norm is the best-supported "
      "reading";
  registrar.add_proxy("l2_norm", l2_help, nas::ParamSchema(), [l2_help](const nas::Params&) {
    return std::make_shared<L2Norm>("l2_norm", l2_help);
  });
  registrar.add_proxy("pnorm", pnorm_help, nas::ParamSchema(), [pnorm_help](const nas::Params&) {
    return std::make_shared<L2Norm>("pnorm", pnorm_help);
  });
}

}  // namespace

NAS_PLUGIN("l2_norm", "1.0.0", register_l2_norm)
