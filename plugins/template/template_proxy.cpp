// Template for an out-of-tree proxy plugin: copy this folder, rename, and edit.
//
// `template_logit_std`: the standard deviation of the logits of one forward pass over the
// batch. It shows the three things a proxy does: declare its needs in info(), read what it
// asked for from the ProbeContext, and register itself with a parameter schema. It reads no
// taps, so it accepts networks with any activation kind (ProxyInfo::tap_activations).
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

void register_template(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_double("scale", 1.0, "multiplies the score");
  registrar.add_proxy("template_logit_std", "std of the logits (template plugin)", schema,
                      [](const nas::Params& p) { return std::make_shared<LogitStd>(p); });
}

}  // namespace

NAS_PLUGIN("template", "1.0.0", register_template)
