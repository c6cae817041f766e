// `jacov`: Jacobian covariance / JacCor, the score of NASWOT v1 (Mellor et al., arXiv
// 2006.04647v1; BayesWatch/nas-without-training tag v1.0) as zero-cost-nas computes it
// (SamsungLabs/zero-cost-nas, foresight/pruners/measures/jacob_cov.py; WRCor's jacob_cor.py
// is the same code).
//
// Formula. J = d(sum of the logits)/d(input) for one minibatch, one row per sample,
// viewed as (N, C*H*W). C = the N x N Pearson correlation between the rows of J (numpy
// corrcoef: rows centred over their own entries, clipped to [-1, 1]). With the eigenvalues
// v_i of C and k = 1e-5:
//   score = -sum_i [ log(v_i + k) + 1 / (v_i + k) ]       (higher = better)
//
// Choices:
// * The Jacobian comes from the shared pass (network in train mode, BatchNorm batch
//   statistics), as the reference harness runs it.
// * C is symmetric, so its eigenvalues come from a symmetric solver (linalg_eigvalsh, float64)
//   where the reference calls the general numpy.linalg.eig; for a symmetric matrix both give
//   the same real spectrum up to rounding.
// * NaN in C (a sample whose Jacobian row is constant) gives NaN, as the reference does; so
//   does an eigenvalue below -k (the log of a negative number).
// * Taps: not read. The input Jacobian exists for any activation kind, so every kind is
//   accepted; the formula was only studied on ReLU networks.
// * Network identity: function. J depends only on the function from the input to the logits;
//   an op that cannot affect the output contributes exactly zero to it, and no tap or weight
//   is read.
#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <memory>

#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"

namespace {

class Jacov : public nas::Proxy {
 public:
  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kFunction;
    i.passes = nas::kPassInputJacobian;
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    at::NoGradGuard no_grad;
    const at::Tensor& jacobian = context.input_jacobian();
    const at::Tensor c = nas::row_correlation(jacobian.reshape({jacobian.size(0), -1}));
    if (c.isnan().any().item<bool>()) return std::numeric_limits<double>::quiet_NaN();
    const at::Tensor v = at::linalg_eigvalsh(c) + 1e-5;
    return -(v.log() + v.reciprocal()).sum().item<double>();
  }
};

void register_jacov(nas::PluginRegistrar& registrar) {
  registrar.add_proxy("jacov",
                      "Jacobian covariance: -sum(log(v+1e-5) + 1/(v+1e-5)) over the eigenvalues "
                      "of the correlation of input Jacobians",
                      nas::ParamSchema(),
                      [](const nas::Params&) { return std::make_shared<Jacov>(); });
}

}  // namespace

NAS_PLUGIN("jacov", "1.0.0", register_jacov)
