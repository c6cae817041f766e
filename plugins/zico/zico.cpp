// `zico`: Zero-shot proxy from the inverse Coefficient of variation of gradients (Li, Yang,
// Wang, Marculescu; "ZiCo: Zero-shot NAS via Inverse Coefficient of Variation on Gradients",
// ICLR 2023; SLDGroup/ZiCo ZeroShotProxy/compute_zico.py).
//
// Formula. For each of B >= 2 data batches b (B = `batches`, 2 as the reference's
// --maxbatch): zero the gradients, forward, mean cross-entropy loss, backward, and keep
// g_{theta,b} = dL_b/dtheta for every weight element theta of every Conv2d and Linear layer.
// Per layer l, with sigma_theta = std_b g_{theta,b} (population std, ddof 0) and
// mu_theta = mean_b |g_{theta,b}|:
//   S_l = sum over theta with sigma_theta != 0 of mu_theta / sigma_theta
//   score = sum over layers with S_l != 0 of log S_l              (higher = better)
//
// Choices:
// * Train mode (BatchNorm batch statistics), as the reference (network.train()).
// * The gradients are per batch, so this proxy runs its own passes on its fresh copy of the
//   network (same initial weights as the shared one) and leaves the shared network alone.
//   The batches are the engine's batches 0..B-1 (the same for every proxy).
// * Statistics in float64 (the reference uses numpy on float32 gradients); a layer whose
//   weight got no gradient counts as all zeros (sigma = 0 everywhere, so it is skipped).
// * Layers are every Conv2d and Linear, biases and BatchNorm excluded (nas::layer_weights).
// * Taps: not read; weight gradients exist for any activation kind, so every kind is accepted.
// * Network identity: function. A layer of an op that cannot affect the loss has zero
//   gradients on every batch: sigma = 0 for all its weights, so the layer is skipped as S_l = 0;
//   the sum over layers is symmetric in their order.
#include <ATen/ATen.h>

#include <cmath>
#include <memory>
#include <vector>

#include "nas/error.h"
#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"

namespace {

class Zico : public nas::Proxy {
 public:
  explicit Zico(const nas::Params& p) : batches_(p.get_int("batches")) {}

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kFunction;
    i.needs_labels = true;
    i.modifies_network = true;
    i.batches = static_cast<int>(batches_);
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    std::shared_ptr<nas::Network> net = context.fresh_network();
    net->train();
    net->set_recording(false);
    const std::vector<at::Tensor> weights = nas::layer_weights(*net);
    std::vector<std::vector<at::Tensor>> grads(weights.size());
    for (std::int64_t b = 0; b < batches_; ++b) {
      const nas::Batch& batch = context.batch(static_cast<int>(b));
      net->zero_grad();
      const at::Tensor logits = net->forward(batch.inputs);
      at::cross_entropy_loss(logits, batch.labels).backward();
      at::NoGradGuard no_grad;
      for (std::size_t l = 0; l < weights.size(); ++l) {
        const at::Tensor& g = weights[l].grad();
        grads[l].push_back(g.defined() ? g.detach().flatten().to(at::kDouble)
                                       : at::zeros({weights[l].numel()}, at::kDouble));
      }
    }
    net->zero_grad();
    at::NoGradGuard no_grad;
    double score = 0.0;
    for (const auto& per_batch : grads) {
      const at::Tensor g = at::stack(per_batch);  // (batches, elements)
      const at::Tensor sigma = g.std(0, /*unbiased=*/false);
      const at::Tensor mu = g.abs().mean(0);
      const at::Tensor nonzero = sigma != 0;
      const double s =
          (mu.masked_select(nonzero) / sigma.masked_select(nonzero)).sum().item<double>();
      if (s != 0.0) score += std::log(s);
    }
    return score;
  }

 private:
  std::int64_t batches_;
};

void register_zico(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_int("batches", 2, "data batches whose gradients are compared (reference: 2)",
                 nas::between(2, 1000));
  registrar.add_proxy("zico",
                      "ZiCo (Li et al. 2023): sum_layers log sum(mean|g| / std(g)) over batches",
                      schema, [](const nas::Params& p) { return std::make_shared<Zico>(p); });
}

}  // namespace

NAS_PLUGIN("zico", "1.0.0", register_zico)
