// `epsilon`: epsinas (Gracheva, "Trainless model performance estimation based on random
// weights initialisations"; egracheva/epsinas, NAS-Bench-201/epsinas_utils.py and
// NAS-Bench-201/Reproduce.ipynb).
//
//   for each of the two constants w_j in `weights`:
//     set every parameter named "weight" (conv, linear, BatchNorm gamma) to w_j and every
//     "bias" (linear bias, BatchNorm beta) to 0; p_j = flattened logits of the batch, min-max
//     scaled to [0, 1]; exact zeros of p_j become NaN;
//   score = nanmean |p_1 - p_2| / nanmean(p_1 and p_2 together).
//
// Choices:
// * BatchNorm (`bn`): "batch", the default, normalises with batch statistics, which is what
//   the reference does for NAS-Bench-201 (its TinyNetwork builds every BatchNorm with
//   track_running_stats=False). "eval" uses the running statistics of a fresh network
//   (mean 0, variance 1), as the NAS-Bench-101 code does (network.eval(),
//   NAS-Bench-101/epsinas_utils.py compute_epsinas). With w = 1e-7 and eval statistics nothing
//   renormalises the signal, so on NAS-Bench-201 most cells' logits underflow to a constant and the
//   score is NaN; that is why "batch" is the default here.
// * weights default to {1e-7, 1}, the NAS-Bench-201 values of the reference (NAS-Bench-101
//   uses {1e-4, 10}); exactly two are required.
// * The batch is the probe engine's batch (its size is the pipeline's batch_size; the
//   reference uses 256). Labels are not used.
// * Min-max scaling and the means are computed in float64 from the float32 logits (the
//   reference uses float32 numpy; about 1e-7 relative). NaN logits are ignored by the min and
//   max, as numpy's nanmin/nanmax do. If all logits of a pass are equal the scaling is 0/0
//   and the score is NaN, as in the reference.
// * One copy of the network serves both passes: each pass overwrites every weight and bias.
// * Taps: not read (logits only); every activation kind is accepted and applied as the
//   network defines it.
// * Network identity: function. Only the logits are read, which an op that cannot affect the
//   output does not change (with biases and BatchNorm beta set to 0, a conv on an all-zero map
//   outputs zeros too).
#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "nas/error.h"
#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"

namespace {

// Min-max scales x (float64, 1-D) ignoring NaN; zeros of the result become NaN.
at::Tensor scaled_with_zeros_as_nan(const at::Tensor& x) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  at::Tensor finite = x.masked_select(x.isnan().logical_not());
  if (finite.numel() == 0) return at::full_like(x, nan);
  const double lo = finite.min().item<double>();
  const double hi = finite.max().item<double>();
  at::Tensor p = (x - lo) / (hi - lo);
  return p.masked_fill(p == 0.0, nan);
}

double nan_mean(const at::Tensor& x) {
  at::Tensor keep = x.isnan().logical_not();
  const std::int64_t n = keep.sum().item<std::int64_t>();
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  return x.masked_select(keep).sum().item<double>() / static_cast<double>(n);
}

class Epsilon : public nas::Proxy {
 public:
  explicit Epsilon(const nas::Params& p)
      : weights_(p.get_double_list("weights")), eval_(p.get_string("bn") == "eval") {
    if (weights_.size() != 2) {
      throw nas::UsageError("epsilon: params.weights must hold exactly two values, got " +
                            std::to_string(weights_.size()));
    }
  }

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kFunction;
    i.modifies_network = true;
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    std::shared_ptr<nas::Network> net = context.fresh_network();
    const at::Tensor& inputs = context.batch().inputs;
    at::NoGradGuard no_grad;
    if (eval_) {
      net->eval();
    } else {
      net->train();
    }
    std::vector<at::Tensor> p;
    for (double w : weights_) {
      nas::set_constant_weights(*net, w);
      at::Tensor logits = net->forward(inputs).reshape({-1}).to(at::kDouble);
      p.push_back(scaled_with_zeros_as_nan(logits));
    }
    const double mae = nan_mean((p[0] - p[1]).abs());
    const double mean = nan_mean(at::cat({p[0], p[1]}));
    return mae / mean;
  }

 private:
  std::vector<double> weights_;
  bool eval_;
};

void register_epsilon(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_double_list("weights", {1e-7, 1.0},
                         "the two constant weight values (reference NAS-Bench-201: 1e-7, 1; "
                         "NAS-Bench-101: 1e-4, 10)");
  schema.add_string("bn", "batch",
                    "BatchNorm statistics: batch (reference NAS-Bench-201 code) or eval "
                    "(running mean 0, variance 1; NAS-Bench-101 code)",
                    {"batch", "eval"});
  registrar.add_proxy("epsilon",
                      "epsinas (Gracheva): two forwards with all weights set to constants; "
                      "nanmean |p1 - p2| / nanmean(p1, p2) of min-max scaled logits; no labels",
                      schema, [](const nas::Params& p) { return std::make_shared<Epsilon>(p); });
}

}  // namespace

NAS_PLUGIN("epsilon", "1.0.0", register_epsilon)
