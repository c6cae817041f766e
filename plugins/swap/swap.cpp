// `swap` and `reg_swap`: Sample-Wise Activation Patterns (Peng, Song, Fayek, Ciesielski,
// Chang; "SWAP-NAS: Sample-Wise Activation Patterns for Ultra-fast NAS", ICLR 2024), computed
// as the authors' code does (pym1024/SWAP: src/metrics/swap.py, correlation.py,
// src/utils/utilities.py, at f6049f7).
//
// Formula. Take the first S samples of the batch (S = `samples`, 16 in the reference). For
// each of R repeats (R = `repeats`, 32): re-initialise the network (Conv/Linear weights
// ~ N(0, 1), biases 0, BatchNorm weight 1 and bias 0), run a forward pass, and stack the
// binary patterns 1[relu output > 0] = 1[pre-activation > 0] of every ReLU whose input is
// 4-D, each flattened to (S, -1), side by side into A in {0,1}^{S x F}. The repeat's value is
// the number of distinct columns of A: how many different "which samples switch this unit
// on" patterns the network shows (at most min(F, 2^S)).
//   swap     = mean over repeats of #distinct columns                 (higher = better)
//   reg_swap = swap * exp(-(Theta - mu)^2 / sigma)
// with Theta the parameter count in thousands (the reference's count_parameters / 1e3; here
// the space's analytic count, which also includes BatchNorm weights as the reference does).
// The reference divides by sigma itself, not by sigma^2 or 2 sigma^2: sigma here has units
// of thousands-of-parameters squared.
//
// Choices:
// * Forward in train mode (BatchNorm batch statistics), as the reference leaves the model.
// * Randomness: every re-initialisation draws from this proxy's own generator, one stream
//   across the repeats (the reference seeds torch once and re-initialises 32 times). The
//   network is the proxy's fresh copy, so the shared network is untouched.
// * The reference hooks nn.ReLU instances (not every class whose name contains "ReLU"), so
//   the taps are exactly its modules; ReLU-conv wrappers add nothing here.
// * A tensor read by several taps contributes identical columns; it is counted once (which
//   cannot change the number of distinct columns).
// * With 16 samples at most 2^16 = 65536 patterns exist; an NB201 cell has ~0.6 M units per
//   sample, so on noise-like inputs (the `synthetic` dataset) the count sits near that
//   ceiling (65336 for one mixed cell) and architectures differ only in the last few hundred.
// * mu and sigma have no reference defaults (the published correlation script does not
//   regularise). Defaults here: mu = 1000 (one million parameters) and sigma = 1e6, a broad
//   window (factor exp(-1) at 1000 K parameters from mu) over NB201's 73 K - 1.5 M range;
//   set both to the model size you are targeting.
// * Taps: ReLU only (tap_activations). A pattern 1[pre-activation > 0] is a ReLU's on/off
//   state; ReLU6's second kink at 6 and the smooth h-swish and SiLU have other pieces, so
//   the count would not mean the same. The engine refuses a network with another kind.
// * Distinct columns are counted exactly: each column's S bits are packed into one 64-bit
//   key (S <= 64; a wider key for more samples) and collected in a table (a flat table
//   indexed by the pattern itself when S <= 20).
// * Network identity: structure. The number of distinct columns does not depend on the order
//   of the taps, but every ReLU's pattern is a column, a dead conv's too; reg_swap's parameter
//   count also counts dead ops.
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "binary_codes.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"

namespace {

// Distinct activation-pattern columns of one forward pass of `net` on `inputs` (taps with 4-D
// inputs only; the conv spaces have none with more). The network records its taps for this
// pass only.
std::int64_t distinct_columns(nas::Network& net, const at::Tensor& inputs) {
  const std::int64_t n = inputs.size(0);
  nas::TapRecording recording(net);
  net.forward(inputs);
  nas_codes::ColumnPatternSet patterns(n);
  for (const nas::DistinctResponse& r : nas::distinct_responses(net, /*min_dim=*/4)) {
    patterns.add(nas_codes::positive_mask(r.tensor, n));
  }
  return patterns.count();
}

class Swap : public nas::Proxy {
 public:
  Swap(const nas::Params& p, bool regularised)
      : repeats_(p.get_int("repeats")), samples_(p.get_int("samples")), regularised_(regularised) {
    if (regularised_) {
      mu_ = p.get_double("mu");
      sigma_ = p.get_double("sigma");
    }
  }

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kStructure;
    i.modifies_network = true;
    i.tap_activations = nas::activation_bit(nas::Activation::kReLU);
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    at::NoGradGuard no_grad;
    std::shared_ptr<nas::Network> net = context.fresh_network();
    net->train();
    const at::Tensor& all = context.batch().inputs;
    const at::Tensor inputs = all.narrow(0, 0, std::min<std::int64_t>(samples_, all.size(0)));
    at::Generator generator = context.generator();
    double total = 0.0;
    for (std::int64_t r = 0; r < repeats_; ++r) {
      nas::reinit_gaussian(*net, generator);
      total += static_cast<double>(distinct_columns(*net, inputs));
    }
    double value = total / static_cast<double>(repeats_);
    if (regularised_) {
      const double theta =
          static_cast<double>(context.space().params(context.arch(), context.spec())) / 1e3;
      value *= std::exp(-(theta - mu_) * (theta - mu_) / sigma_);
    }
    return value;
  }

 private:
  std::int64_t repeats_;
  std::int64_t samples_;
  bool regularised_;
  double mu_ = 0.0;
  double sigma_ = 1.0;
};

void register_swap(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_int("repeats", 32, "Gaussian re-initialisations averaged (reference: 32)",
                 nas::at_least(1));
  schema.add_int("samples", 16, "first samples of the batch used (reference: 16)",
                 nas::at_least(1));
  registrar.add_proxy("swap", "SWAP (Peng et al. 2024): distinct sample-wise activation patterns",
                      schema,
                      [](const nas::Params& p) { return std::make_shared<Swap>(p, false); });
  nas::ParamSchema reg = schema;
  reg.add_double("mu", 1000.0,
                 "target model size in thousands of parameters (no reference default)");
  reg.add_double("sigma", 1e6,
                 "width, in thousands of parameters squared: the factor is "
                 "exp(-(params_K - mu)^2 / sigma), sigma not squared as in the reference",
                 nas::greater_than(0.0));
  registrar.add_proxy("reg_swap", "regularised SWAP: SWAP x exp(-(params_K - mu)^2 / sigma)", reg,
                      [](const nas::Params& p) { return std::make_shared<Swap>(p, true); });
}

}  // namespace

NAS_PLUGIN("swap", "1.0.0", register_swap)
