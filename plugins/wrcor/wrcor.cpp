// `wrcor`: Weighted Response Correlation (Jing, Chen, Xu, Tai, Wang, Li; "A Zero-Shot Neural
// Architecture Search with Weighted Response Correlation for Image Recognition", arXiv
// 2507.08841). Computed as the authors' released code does it (kunjing96/ZSNAS-WRCor at
// 270ce7a, foresight/pruners/measures/act_grad_cor_weighted.py, measure act_grad_cor_weighted).
//
// Formula. One minibatch of N samples, one forward and one backward pass of the mean
// cross-entropy loss, network in train mode (BatchNorm batch statistics). For every hooked
// module r with activation A_r = its input viewed as (N, D_r) and gradient G_r:
//   K = sum_r w(r) (|rho(A_r)| + |rho(G_r)|)        (N x N, float64)
//   score = log |det K|                              (slogdet, sign dropped; higher = better)
// rho(X) is the Pearson correlation between the rows (samples) of X: each row centred over
// its own D_r entries, as numpy.corrcoef; |.| is element-wise.
//
// Choices (parameters in brackets):
// * [hooks] reference (default): the reference hooks every module whose class name contains
//   "ReLU". That is every ReLU (a tap here: A = its input, G = dL/d input) and also every
//   ReLU -> Conv -> BN wrapper (ReLUConvBN in NB201: A = its input, the same tensor as its
//   ReLU's; G = what its old-style backward hook sees, dL/d conv output). Spaces declare those
//   wrappers as relu_conv_units; each adds its two terms with its ReLU's weight.
//   relu: the taps only (the formula as the paper writes it, one term per ReLU).
// * [weighting] block (default, the reference): w = 2^block, the top-level cell index the
//   module sits in; NB201's head tap has block 17. uniform: w = 1 (the repo's act_grad_cor
//   ablation). layer: w = 2^i with i the tap's position in execution order (a per-ReLU
//   reading of the paper's "layer" weights; not in the code); a wrapper takes its ReLU's i.
// * [responses] both (default) | activations (the act_cor ablation: no backward pass, no
//   labels) | gradients (grad_cor).
// * [head_quirk] true (default): the reference's head ReLU is in-place, so its forward hook
//   sees the tensor after the ReLU overwrote it. The head tap's activation is therefore
//   relu(pre-activation); its gradient is unchanged (dL/d pre-activation). false uses the
//   pre-activation like every other tap.
// * Taps of any activation kind: A is the tap's pre-activation and G the gradient at it, which
//   every kind has. The reference's name rule would hook a ReLU6 module ("ReLU6" contains
//   "ReLU") but not Hardswish or SiLU; here every tap counts. The head quirk applies the head
//   tap's own activation (relu for a ReLU head).
// * A correlation matrix with any NaN (a zero-variance row, e.g. an all-zero gradient behind
//   a `none` edge) is skipped, as in the reference. If every term is skipped K = 0 and the
//   score is -inf. K is not normalised by the weights (the reference's normalisation lines
//   are commented out).
// * A tensor seen by several modules (an NB201 node feeding several conv edges, a wrapper
//   and its ReLU) is correlated once and added with the sum of their weights; the reference
//   adds it once per module, which is the same sum. Gradients are per module.
// * [precision] float64 (default): the network runs in float32; centring, Gram products,
//   correlations, K and the log-determinant are float64, like the reference's numpy code.
//   float32: centred values and Gram products in float32 (row means, normalisation, K and
//   logdet still float64). Each distinct tensor is one symmetric product (BLAS syrk), the
//   products shared over the intra-op threads (nas::centred_row_grams). float32 is faster
//   but moves the score by up to about 5e-7 relative on cells where a few terms make up K:
//   too close to 1e-6 to be the default. Measure both with test_proxies_correlation
//   --gtest_also_run_disabled_tests --gtest_filter=*TimingWrcor* (NAS_TIMING_THREADS=1|2).
// * Network identity: structure, as K sums over taps and units with per-cell weights, in any
//   order within a cell; a dead conv's tap still adds its activation term (a ReLU whose conv
//   output never reaches the loss still sees its input), so dead ops count. With `weighting:
//   layer` a term's weight depends on the tap's position, which a relabelling of the cell
//   changes: then arch (nothing shared).
#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "nas/error.h"
#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"
#include "wrcor_kernel.h"

namespace {

enum class Weighting { kBlock, kUniform, kLayer };

class Wrcor : public nas::Proxy {
 public:
  explicit Wrcor(const nas::Params& p)
      : head_quirk_(p.get_bool("head_quirk")),
        single_(p.get_string("precision") == "float32"),
        units_(p.get_string("hooks") == "reference") {
    const std::string& w = p.get_string("weighting");
    weighting_ = w == "uniform" ? Weighting::kUniform
                 : w == "layer" ? Weighting::kLayer
                                : Weighting::kBlock;
    const std::string& r = p.get_string("responses");
    activations_ = r != "gradients";
    gradients_ = r != "activations";
  }

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = weighting_ == Weighting::kLayer ? nas::NetworkIdentity::kArch
                                                 : nas::NetworkIdentity::kStructure;
    i.passes = nas::kPassForward | (gradients_ ? nas::kPassTapGradients : nas::kPassNone);
    i.needs_labels = gradients_;
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    at::NoGradGuard no_grad;
    const nas::Network& net = context.network();
    const auto& taps = net.taps();
    const auto& units = net.relu_conv_units();
    const auto& responses = context.tap_responses();
    const std::int64_t n = context.batch().inputs.size(0);
    std::vector<nas_wrcor::Term> terms;
    if (activations_) {
      // A wrapper sees its ReLU's input tensor, so it inherits the in-place quirk too.
      auto activation = [&](std::size_t i) {
        if (!responses[i].defined()) return at::Tensor();  // a tap the forward skipped
        at::Tensor a = responses[i].detach();
        return head_quirk_ && taps[i]->is_head() ? nas::apply_activation(taps[i]->activation(), a)
                                                 : a;
      };
      std::vector<at::Tensor> seen(taps.size());
      for (std::size_t i = 0; i < taps.size(); ++i) {
        seen[i] = activation(i);
        terms.push_back({seen[i], weight(*taps[i], i)});
      }
      for (std::size_t u = 0; u < units.size() && units_; ++u) {
        const std::size_t i = units[u].tap;
        terms.push_back({seen[i], weight(*taps[i], i)});
      }
    }
    if (gradients_) {
      const auto& gradients = context.tap_gradients();
      for (std::size_t i = 0; i < taps.size(); ++i)
        terms.push_back({gradients[i], weight(*taps[i], i)});
      if (units_) {
        const auto& unit_gradients = context.unit_gradients();
        for (std::size_t u = 0; u < units.size(); ++u) {
          const std::size_t i = units[u].tap;
          terms.push_back({unit_gradients[u], weight(*taps[i], i)});
        }
      }
    }
    return nas::log_abs_det(nas_wrcor::weighted_kernel(terms, n, single_));
  }

 private:
  double weight(const nas::TapImpl& tap, std::size_t index) const {
    switch (weighting_) {
      case Weighting::kUniform:
        return 1.0;
      case Weighting::kLayer:
        return std::ldexp(1.0, static_cast<int>(index));
      case Weighting::kBlock:
      default:
        return std::ldexp(1.0, tap.block());
    }
  }

  Weighting weighting_ = Weighting::kBlock;
  bool activations_ = true;
  bool gradients_ = true;
  bool head_quirk_ = true;
  bool single_ = false;
  bool units_ = true;
};

void register_wrcor(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_string("weighting", "block",
                    "term weights: block (2^block index, the reference), uniform (1), layer "
                    "(2^i over taps in execution order)",
                    {"block", "uniform", "layer"});
  schema.add_string("responses", "both",
                    "which responses to correlate: both (the reference), activations, gradients",
                    {"both", "activations", "gradients"});
  schema.add_bool("head_quirk", true,
                  "use the post-ReLU map as the head tap's activation, as the reference's "
                  "in-place head ReLU makes its hook see");
  schema.add_string("hooks", "reference",
                    "reference: every ReLU and every ReLU-conv unit, as the reference's 'ReLU' "
                    "in the class name rule hooks them; relu: the ReLU taps only",
                    {"reference", "relu"});
  schema.add_string("precision", "float64",
                    "centring and Gram products in float64 (the reference) or float32 (about "
                    "twice as fast, up to ~5e-7 relative)",
                    {"float64", "float32"});
  registrar.add_proxy("wrcor",
                      "WRCor (Jing et al.): log|det sum_r 2^block (|corr(A_r)| + |corr(G_r)|)|",
                      schema, [](const nas::Params& p) { return std::make_shared<Wrcor>(p); });
}

}  // namespace

NAS_PLUGIN("wrcor", "1.0.0", register_wrcor)
