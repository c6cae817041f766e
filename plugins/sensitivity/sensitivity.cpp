// `sensitivity`: output sensitivity (Forouzesh, Salehi & Thiran, "Generalization Comparison of
// Deep Neural Networks via Output Sensitivity", ICPR 2020; mahf93/sensitivity, experiments.py
// find_sen), read as the "output sensitivity" indicator of the Fusion Indicator (Tran, Ali, Bae,
// "A Feature Fusion Based Indicator for Training-Free Neural Architecture Search", IEEE Access 9,
// 2021, doi 10.1109/ACCESS.2021.3115911; no code of that paper was found).
//
//   n ~ N(0, sigma^2) with the inputs' shape;  e = f(x + n) - f(x)  (logits, N x K);
//   m_i = (1/K) sum_k e_ik  (the signed mean over classes, per sample);
//   score = variance of m over the batch (population variance, numpy's np.var, ddof 0).
//   Lower is better.
//
// Choices:
// * The network is evaluated as the reference does: eval mode, no gradients. On an untrained
//   network eval-mode BatchNorm uses the fresh running statistics (mean 0, variance 1). The
//   proxy uses its own fresh copy so that the statistics are the initial ones whatever other
//   proxies' train-mode passes did to the shared network (which would otherwise make the
//   score depend on the proxy set). `bn: batch` evaluates in train mode with batch
//   statistics instead.
// * sigma = 0.1 (the reference's default). The noise comes from the proxy's generator.
// * One batch (the probe engine's); the reference pools the means over a whole test loader
//   before taking the variance. Computed in float64 from the float32 logits.
// * Taps: not read (logits only); every activation kind is accepted.
// * Network identity: function. Only the logits are read, which an op that cannot affect the
//   output does not change; the noise has the inputs' shape, whatever the network.
#include <ATen/ATen.h>

#include <memory>

#include "nas/error.h"
#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"

namespace {

class Sensitivity : public nas::Proxy {
 public:
  explicit Sensitivity(const nas::Params& p)
      : sigma_(p.get_double("sigma")), eval_(p.get_string("bn") == "eval") {}

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kFunction;
    i.higher_is_better = false;
    i.modifies_network = true;
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    std::shared_ptr<nas::Network> net = context.fresh_network();
    const at::Tensor& x = context.batch().inputs;
    at::NoGradGuard no_grad;
    if (eval_) {
      net->eval();
    } else {
      net->train();
    }
    at::Generator gen = context.generator();
    at::Tensor noise = at::randn(x.sizes(), gen, x.scalar_type()) * sigma_;
    at::Tensor clean = net->forward(x);
    at::Tensor noisy = net->forward(x + noise);
    at::Tensor per_sample = (noisy.to(at::kDouble) - clean.to(at::kDouble)).mean(1);
    return per_sample.var(/*unbiased=*/false).item<double>();
  }

 private:
  double sigma_;
  bool eval_;
};

void register_sensitivity(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_double("sigma", 0.1, "standard deviation of the Gaussian input noise",
                    nas::at_least(0.0));
  schema.add_string("bn", "eval",
                    "eval: BatchNorm running statistics of the fresh network (the reference "
                    "evaluates in eval mode); batch: batch statistics",
                    {"eval", "batch"});
  registrar.add_proxy("sensitivity",
                      "output sensitivity (Forouzesh et al. 2020): variance over the batch of "
                      "the per-sample class-mean logit change under Gaussian input noise, eval "
                      "mode; lower is better",
                      schema,
                      [](const nas::Params& p) { return std::make_shared<Sensitivity>(p); });
}

}  // namespace

NAS_PLUGIN("sensitivity", "1.0.0", register_sensitivity)
