// `flops`: multiply-accumulate operations of one forward pass at batch size 1, from the
// space's analytic count (no network is built). A compute baseline that every report carries.
// No network is built, so taps and their activation kinds do not matter.
//
// Network identity: structure. A relabelled cell runs the same operations; dead ops are still
// computed and counted.
#include <memory>

#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"

namespace {

class FlopsProxy : public nas::Proxy {
 public:
  explicit FlopsProxy(const nas::Params& p) : mega_(p.get_bool("mega")) {}
  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kStructure;
    i.needs_network = false;
    return i;
  }
  double score(const nas::ProbeContext& c) const override {
    const double n = static_cast<double>(c.space().flops(c.arch(), c.spec()));
    return mega_ ? n / 1e6 : n;
  }

 private:
  bool mega_;
};

void register_flops(nas::PluginRegistrar& r) {
  nas::ParamSchema schema;
  schema.add_bool("mega", false, "report millions (MFLOPs) instead of a count");
  r.add_proxy("flops", "multiply-accumulates of one forward pass at batch 1, analytic", schema,
              [](const nas::Params& p) { return std::make_shared<FlopsProxy>(p); });
}

}  // namespace

NAS_PLUGIN("flops", "1.0.0", register_flops)
