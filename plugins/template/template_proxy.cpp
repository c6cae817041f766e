// Template for an out-of-tree proxy plugin: copy this folder, rename, and edit.
//
// Two proxies, the two shapes most proxies take. Each shows the three things a proxy does:
// declare its needs in info(), read what it asked for from the ProbeContext, and register
// itself with a parameter schema.
// * `template_logit_std`: the standard deviation of the logits of the shared forward pass over
//   the batch (forward only). It reads no taps, so it accepts networks with any activation kind
//   (ProxyInfo::tap_activations).
// * `template_input_sensitivity`: the mean absolute value of d(sum of logits)/d(input), read
//   from the engine's shared input-Jacobian pass. Backward work the engine already does for
//   another proxy is not repeated; a proxy that must change the network (prune, reinitialise)
//   declares modifies_network and works on context.fresh_network() instead.
#include <ATen/ATen.h>

#include <memory>

#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"

namespace {

class LogitStd : public nas::Proxy {
 public:
  explicit LogitStd(const nas::Params& p) : scale_(p.get_double("scale")) {}

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.passes = nas::kPassForward;  // the engine runs one shared forward pass for us
    // Only the logits are read, and ops that cannot affect them change nothing here, so
    // cells that compute one function may share a score (nas/network_identity.h). Leave the
    // default (kArch, nothing shared) unless you can say why your formula cannot tell them
    // apart.
    i.identity = nas::NetworkIdentity::kFunction;
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    const at::Tensor& logits = context.logits();
    return scale_ * logits.detach().to(at::kDouble).std().item<double>();
  }

 private:
  double scale_;
};

class InputSensitivity : public nas::Proxy {
 public:
  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.passes = nas::kPassInputJacobian;  // shared with every proxy that asks for it
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    return context.input_jacobian().detach().abs().to(at::kDouble).mean().item<double>();
  }
};

void register_template(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_double("scale", 1.0, "multiplies the score");
  registrar.add_proxy("template_logit_std", "std of the logits (template plugin)", schema,
                      [](const nas::Params& p) { return std::make_shared<LogitStd>(p); });
  registrar.add_proxy("template_input_sensitivity",
                      "mean |d(sum of logits)/d(input)| (template plugin)", nas::ParamSchema(),
                      [](const nas::Params&) { return std::make_shared<InputSensitivity>(); });
}

}  // namespace

NAS_PLUGIN("template", "1.0.0", register_template)
