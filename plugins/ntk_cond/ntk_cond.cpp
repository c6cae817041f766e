// `ntk_cond`: the condition number of the empirical neural tangent kernel at initialisation,
// the trainability indicator of TE-NAS (Chen, Gong, Wang, ICLR 2021; VITA-Group/TENAS
// lib/procedures/ntk.py, and the port in idstcv/ZenNAS ZeroShotProxy/compute_te_nas_score.py),
// one of the four indicators of the Fusion Indicator.
//
//   re-initialise Conv/Linear weights Kaiming-normal (fan_in, ReLU gain), biases 0,
//   BatchNorm gamma 1, beta 0;
//   for each sample n of the batch: g_n = d(sum_k logits_nk)/d(theta), theta = every parameter
//   whose name contains "weight" (conv, linear and BatchNorm gamma), flattened and joined;
//   NTK = G G^T (N x N);  kappa = lambda_max / lambda_min;  averaged over `repeats`.
//   Lower is better (TE-NAS ranks by -kappa).
//
// Choices:
// * Train mode, as TE-NAS calls it (train_mode=True): BN uses batch statistics, so every g_n
//   depends on the whole batch; each g_n is one backward pass of the shared forward graph
//   (N backward passes per repeat, as in the reference). This makes the proxy about N times
//   as expensive as one gradient pass.
// * Inputs (`inputs`): "data", the default, uses the probe engine's batch, as TE-NAS does
//   with its training loader; "gaussian" draws N(0, 1) inputs of size `batch` from the proxy's
//   generator, as the Zen-NAS port does.
// * Repeats default to 1 (TE-NAS averages 3): each repeat re-initialises the weights (and
//   re-draws Gaussian inputs) from the proxy's generator.
// * The NTK and its eigenvalues are computed in float64 (the reference: float32 symeig), from
//   float32 gradients. kappa is returned raw: no nan_to_num, so a singular or indefinite NTK
//   gives an infinite or negative value that the report can flag.
// * The network is the proxy's own copy (it is re-initialised).
// * Taps: not read; every kind accepted. The Kaiming re-initialisation keeps ReLU's gain
//   whatever the kind, as TE-NAS does.
// * Network identity: function. The gradients of the logits with respect to a weight of an
//   op that cannot affect the output are zero, so its columns of G add nothing to G G^T, and
//   the NTK does not depend on the order of the columns.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

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

// G G^T in float64 without holding a float64 copy of all of G.
at::Tensor gram_float64(const at::Tensor& g) {
  const std::int64_t n = g.size(0), p = g.size(1);
  const std::int64_t chunk = std::int64_t{1} << 18;
  at::Tensor k = at::zeros({n, n}, at::kDouble);
  for (std::int64_t start = 0; start < p; start += chunk) {
    at::Tensor part = g.narrow(1, start, std::min(chunk, p - start)).to(at::kDouble);
    k += part.mm(part.t());
  }
  return k;
}

class NtkCond : public nas::Proxy {
 public:
  explicit NtkCond(const nas::Params& p)
      : repeats_(p.get_int("repeats")),
        gaussian_(p.get_string("inputs") == "gaussian"),
        batch_(p.get_int("batch")) {}

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kFunction;
    i.higher_is_better = false;
    i.needs_data = !gaussian_;
    i.modifies_network = true;
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    std::shared_ptr<nas::Network> net = context.fresh_network();
    net->train();
    std::vector<at::Tensor> params;
    for (auto& item : net->named_parameters(/*recurse=*/true)) {
      if (item.key().find("weight") != std::string::npos) params.push_back(item.value());
    }
    at::Generator gen = context.generator();
    const nas::NetSpec& spec = context.spec();
    double sum = 0.0;
    for (std::int64_t r = 0; r < repeats_; ++r) {
      nas::reinit_kaiming_normal(*net, gen);
      at::Tensor inputs =
          gaussian_ ? at::randn({batch_, spec.in_channels, spec.input_size, spec.input_size}, gen,
                                at::kFloat)
                    : context.batch().inputs;
      at::Tensor logits = net->forward(inputs);
      const std::int64_t n = logits.size(0);
      std::vector<at::Tensor> rows;
      for (std::int64_t s = 0; s < n; ++s) {
        std::vector<at::Tensor> grads =
            torch::autograd::grad({logits[s].sum()}, params, {}, /*retain_graph=*/s + 1 < n,
                                  /*create_graph=*/false, /*allow_unused=*/true);
        std::vector<at::Tensor> flat;
        for (const at::Tensor& g : grads) {
          if (g.defined()) flat.push_back(g.reshape({-1}));
        }
        if (flat.empty()) throw nas::Error("ntk_cond: no weight receives a gradient");
        rows.push_back(at::cat(flat));
      }
      at::Tensor ntk = gram_float64(at::stack(rows));
      rows.clear();
      at::Tensor eig = at::linalg_eigvalsh(ntk);  // ascending
      sum += eig[-1].item<double>() / eig[0].item<double>();
    }
    return sum / static_cast<double>(repeats_);
  }

 private:
  std::int64_t repeats_;
  bool gaussian_;
  std::int64_t batch_;
};

void register_ntk_cond(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_int("repeats", 1, "Kaiming re-initialisations averaged (TE-NAS: 3)", nas::at_least(1));
  schema.add_string("inputs", "data",
                    "data: the probe batch (TE-NAS); gaussian: N(0,1) inputs (Zen-NAS port)",
                    {"data", "gaussian"});
  schema.add_int("batch", 64, "number of Gaussian inputs (inputs: gaussian only)",
                 nas::at_least(2));
  registrar.add_proxy("ntk_cond",
                      "TE-NAS NTK condition number at Kaiming-normal init, train mode, per-sample "
                      "logit-sum gradients of all 'weight' parameters; lower is better",
                      schema, [](const nas::Params& p) { return std::make_shared<NtkCond>(p); });
}

}  // namespace

NAS_PLUGIN("ntk_cond", "1.0.0", register_ntk_cond)
