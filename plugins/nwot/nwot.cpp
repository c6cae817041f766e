// `nwot`: NASWOT, "Neural Architecture Search without Training" (Mellor, Turner, Storkey,
// Crowley; ICML 2021, the v2 score; BayesWatch/nas-without-training, score_networks.py).
//
// Formula. For every module r the reference hooks, take its input x_r viewed as (N, D_r)
// and the binary code c_r = 1[x_r > 0]. Then
//   K = sum_r  c_r c_rᵀ + (1 - c_r)(1 - c_r)ᵀ      (entry ij = D_r - Hamming(c_r,i, c_r,j))
//   score = log |det K|                              (slogdet, sign dropped; higher = better)
//
// Choices (parameters in brackets):
// * One shared forward pass in train mode (BatchNorm batch statistics), as the reference
//   harness runs it. The head tap's in-place quirk does not matter here: x > 0 exactly when
//   relu(x) > 0.
// * [hooks] reference (default): the reference hooks every module whose class name contains
//   "ReLU": every ReLU (a tap) and every ReLU -> Conv -> BN wrapper (ReLUConvBN in NB201),
//   whose input is its ReLU's input; so each conv op's input code is added twice. Spaces
//   declare the wrappers as relu_conv_units. relu: the taps only (each once).
// * A tensor read by several modules (an NB201 node feeding several conv edges) is added
//   once per module, as in the reference, but packed and compared only once.
// * K is exact: the codes are packed into 64-bit words and compared with XOR + popcount in
//   int64, then converted to float64 (entries stay far below 2^53) for the log-determinant.
//   The reference builds K from float32 matrix products of 0/1 values, also exact.
// * A network without taps gives K = 0 and the score -inf.
// * Taps: ReLU only (tap_activations). The code 1[x > 0] is the ReLU's on/off pattern, its
//   one kink at 0; ReLU6 also saturates at 6, and h-swish and SiLU have no on/off state, so
//   the same bits would not describe their linear pieces. The engine refuses a network with a
//   tap of another kind (an error status naming the tap) instead of scoring it.
// * Network identity: structure. K is a sum over taps, so the order of the taps does not
//   matter; but every tap counts, and the tap of a conv whose output never reaches the logits
//   still adds its code (an all-zero map adds D_r to every entry of K), so dead ops change it.
#include <ATen/ATen.h>

#include <memory>
#include <vector>

#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"
#include "nwot_kernel.h"

namespace {

class Nwot : public nas::Proxy {
 public:
  explicit Nwot(const nas::Params& p) : units_(p.get_string("hooks") == "reference") {}

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kStructure;
    i.passes = nas::kPassForward;
    i.tap_activations = nas::activation_bit(nas::Activation::kReLU);
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    at::NoGradGuard no_grad;
    const std::int64_t n = context.batch().inputs.size(0);
    const std::vector<at::Tensor>& taps = context.tap_responses();
    std::vector<at::Tensor> inputs = taps;
    if (units_) {
      for (const auto& unit : context.network().relu_conv_units()) inputs.push_back(taps[unit.tap]);
    }
    const at::Tensor k = nas_nwot::naswot_kernel(inputs, n);
    return nas::log_abs_det(k.to(at::kDouble));
  }

 private:
  bool units_;
};

void register_nwot(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_string("hooks", "reference",
                    "reference: every ReLU and every ReLU-conv unit, as the reference's 'ReLU' "
                    "in the class name rule hooks them; relu: the ReLU taps only",
                    {"reference", "relu"});
  registrar.add_proxy("nwot",
                      "NASWOT v2: log|det K|, K = sum over ReLUs of the binary-code kernel "
                      "c cᵀ + (1-c)(1-c)ᵀ",
                      schema, [](const nas::Params& p) { return std::make_shared<Nwot>(p); });
}

}  // namespace

NAS_PLUGIN("nwot", "1.0.0", register_nwot)
