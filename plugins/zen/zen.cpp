// `zen`: the Zen-score of Zen-NAS (Lin et al., ICCV 2021; idstcv/ZenNAS,
// ZeroShotProxy/compute_zen_score.py), an expressivity measure that needs no data.
//
//   re-initialise: Conv/Linear weights ~ N(0, 1), biases 0, BatchNorm gamma 1, beta 0;
//   x, e ~ N(0, 1) of shape (batch, channels, size, size);
//   D = mean_n sum_{c,h,w} | F(x)_n - F(x + gamma e)_n |,  F = the feature map before global
//       average pooling, gamma = mixup_gamma (0.01);
//   score = log D + sum over BatchNorm2d modules of log sqrt(mean(running_var)),
//   averaged over `repeats`.
//
// Choices:
// * F: the network's head tap is the last nonlinearity before pooling (network.h); F is its
//   output, the head's activation of its response (relu for NAS-Bench-201's lastact = BN,
//   ReLU, the map the global pooling reads). Taps of any kind: only the head is read, through
//   its own activation. A network without a head tap (DARTS, NAS-Bench-101: a bare pooling of
//   the last cell) gives F through Network::pooled_features(), the map its pooling reads, as
//   NASLib's zen takes the output before global pooling; one that offers neither is refused.
// * Both forwards run in train mode (fresh modules are in train mode in the reference and
//   nothing calls eval()), so BN normalises with batch statistics and updates running_var
//   with the default momentum 0.1. The BN term reads running_var after the two forwards,
//   i.e. 0.81 * 1 + 0.09 * var(pass 1) + 0.1 * var(pass 2) (unbiased batch variances), not a
//   batch variance: this is what the reference computes and it is kept on purpose.
// * Repeats reuse the same network as the reference does: every repeat re-draws the weights
//   and inputs but does not reset the running statistics, so from the second repeat on the
//   BN term also carries the earlier repeats' variances. The statistics are reset once, before
//   the first repeat, to those of a fresh build (mean 0, variance 1). Default 1 repeat (the Zen-NAS
//   search and NASLib use 1; the stand-alone script defaults to 32).
// * Batch size 64 by default (`batch`), the Zen-NAS search setting; inputs have the network
//   spec's channels and size. All randomness comes from the proxy's generator, in the order
//   weights (module order), x, e.
// * The log in the formula is part of Zen's definition, not a report transform. D and the
//   BN terms are accumulated in float64 from the float32 network outputs.
// * The network is the proxy's own copy (it is re-initialised and its BN statistics move).
// * Network identity: structure. The BN term sums over every BatchNorm, a dead conv's too (its
//   running variance enters the log), in any order; the head map alone would be function.
#include <ATen/ATen.h>
#include <torch/nn/modules/batchnorm.h>

#include <cmath>
#include <memory>

#include "nas/error.h"
#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"

namespace {

class Zen : public nas::Proxy {
 public:
  explicit Zen(const nas::Params& p)
      : batch_(p.get_int("batch")),
        repeats_(p.get_int("repeats")),
        gamma_(p.get_double("mixup_gamma")) {}

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kStructure;
    i.needs_data = false;
    i.modifies_network = true;
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    std::shared_ptr<nas::Network> net = context.fresh_network();
    const nas::Tap* head = nullptr;
    for (const auto& tap : net->taps()) {
      if (tap->is_head()) head = &tap;
    }
    at::NoGradGuard no_grad;
    net->train();
    // Start from a freshly built network's statistics even if score() runs twice on one context.
    for (const auto& m : net->modules(/*include_self=*/false)) {
      if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) bn->reset_running_stats();
    }
    const nas::NetSpec& spec = context.spec();
    at::Generator gen = context.generator();
    double sum = 0.0;
    for (std::int64_t r = 0; r < repeats_; ++r) {
      nas::reinit_gaussian(*net, gen);
      const std::vector<std::int64_t> shape{batch_, spec.in_channels, spec.input_size,
                                            spec.input_size};
      at::Tensor x = at::randn(shape, gen, at::kFloat);
      at::Tensor e = at::randn(shape, gen, at::kFloat);
      at::Tensor mixed = x + gamma_ * e;

      at::Tensor f1, f2;
      if (head) {
        nas::TapRecording recording(*net);
        net->forward(x);
        f1 = nas::apply_activation((*head)->activation(), (*head)->response());
        net->forward(mixed);
        f2 = nas::apply_activation((*head)->activation(), (*head)->response());
      } else {
        f1 = net->pooled_features(x);
        if (!f1.defined()) {
          throw nas::Error(
              "zen: the network has no head tap and offers no pooled_features(), so there is no "
              "pre-pooling feature map");
        }
        f2 = net->pooled_features(mixed);
      }

      at::Tensor diff = (f1 - f2).abs().to(at::kDouble);
      std::vector<std::int64_t> per_sample_dims;
      for (std::int64_t d = 1; d < diff.dim(); ++d) per_sample_dims.push_back(d);
      const double delta = diff.sum(per_sample_dims).mean().item<double>();

      double bn_term = 0.0;
      for (const auto& m : net->modules(/*include_self=*/false)) {
        if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
          const double mean_var = bn->running_var.to(at::kDouble).mean().item<double>();
          bn_term += std::log(std::sqrt(mean_var));
        }
      }
      sum += std::log(delta) + bn_term;
    }
    return sum / static_cast<double>(repeats_);
  }

 private:
  std::int64_t batch_;
  std::int64_t repeats_;
  double gamma_;
};

void register_zen(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_int("batch", 64, "Gaussian inputs per repeat (Zen-NAS search: 64)", nas::at_least(2));
  schema.add_int("repeats", 1, "re-initialisations averaged (Zen-NAS search and NASLib: 1)",
                 nas::at_least(1));
  schema.add_double("mixup_gamma", 1e-2, "size of the input perturbation");
  registrar.add_proxy("zen",
                      "Zen-score (Zen-NAS, Lin et al. 2021): Gaussian re-init, log of the mean "
                      "L1 change of the pre-pooling features under a 0.01 input perturbation, "
                      "plus the BN running-variance term; no data",
                      schema, [](const nas::Params& p) { return std::make_shared<Zen>(p); });
}

}  // namespace

NAS_PLUGIN("zen", "1.0.0", register_zen)
