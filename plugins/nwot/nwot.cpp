// `nwot`: NASWOT, "Neural Architecture Search without Training" (Mellor, Turner, Storkey,
// Crowley; ICML 2021, the v2 score; BayesWatch/nas-without-training, score_networks.py).
//
// Formula. For every ReLU r the reference hooks, take its input x_r viewed as (N, D_r) and
// the binary code c_r = 1[x_r > 0]. Then
//   K = sum_r  c_r c_rᵀ + (1 - c_r)(1 - c_r)ᵀ      (entry ij = D_r - Hamming(c_r,i, c_r,j))
//   score = log |det K|                              (slogdet, sign dropped; higher = better)
//
// Choices:
// * One shared forward pass in train mode (BatchNorm batch statistics), as the reference
//   harness runs it. The head tap's in-place quirk does not matter here: x > 0 exactly when
//   relu(x) > 0.
// * r runs over the taps, and a tensor read by several taps (an NB201 node feeding several
//   conv edges) is added once per tap, as the reference adds it once per ReLU module. Its
//   code is packed and compared only once. NOTE: the reference selects modules whose type
//   name contains "ReLU", which in NB201 also matches every ReLUConvBN wrapper, so there each
//   conv op's input code is added twice. Taps are the ReLUs only; see the report/tests for the
//   effect (tests/oracle can compute either rule).
// * K is exact: the codes are packed into 64-bit words and compared with XOR + popcount in
//   int64, then converted to float64 (entries stay far below 2^53) for the log-determinant.
//   The reference builds K from float32 matrix products of 0/1 values, also exact.
// * A network without taps gives K = 0 and the score -inf.
#include <ATen/ATen.h>

#include <memory>

#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"
#include "nwot_kernel.h"

namespace {

class Nwot : public nas::Proxy {
 public:
  explicit Nwot(const nas::Params&) {}

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.name = "nwot";
    i.version = "1";
    i.passes = nas::kPassForward;
    i.help = "NASWOT: log|det| of the ReLU binary-code Hamming kernel (Mellor et al. 2021)";
    return i;
  }

  double score(nas::ProbeContext& context) override {
    at::NoGradGuard no_grad;
    const std::int64_t n = context.batch().inputs.size(0);
    const at::Tensor k = nas_nwot::naswot_kernel(context.tap_responses(), n);
    return nas::log_abs_det(k.to(at::kDouble));
  }
};

void register_nwot(nas::PluginRegistrar& registrar) {
  registrar.add_proxy("nwot",
                      "NASWOT v2: log|det K|, K = sum over ReLUs of the binary-code kernel "
                      "c cᵀ + (1-c)(1-c)ᵀ",
                      nas::ParamSchema(),
                      [](const nas::Params& p) { return std::make_shared<Nwot>(p); });
}

}  // namespace

NAS_PLUGIN("nwot", "1.0.0", register_nwot)
