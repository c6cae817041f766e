// `params`: the number of trainable parameters of the architecture's network, from the
// space's analytic count (no network is built). A size baseline that every report carries.
// No network is built, so taps and their activation kinds do not matter.
//
// Network identity: structure. A relabelled cell has the same parameters; dead ops still own
// theirs, so the count is not a property of the function.
#include <memory>

#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"

namespace {

class ParamsProxy : public nas::Proxy {
 public:
  explicit ParamsProxy(const nas::Params& p) : millions_(p.get_bool("millions")) {}
  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kStructure;
    i.needs_network = false;
    return i;
  }
  double score(const nas::ProbeContext& c) const override {
    const double n = static_cast<double>(c.space().params(c.arch(), c.spec()));
    return millions_ ? n / 1e6 : n;
  }

 private:
  bool millions_;
};

void register_params(nas::PluginRegistrar& r) {
  nas::ParamSchema schema;
  schema.add_bool("millions", false, "report millions of parameters instead of a count");
  r.add_proxy("params", "number of trainable parameters, analytic (size baseline)", schema,
              [](const nas::Params& p) { return std::make_shared<ParamsProxy>(p); });
}

}  // namespace

NAS_PLUGIN("params", "1.0.0", register_params)
