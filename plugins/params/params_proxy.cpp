// `params`: the number of trainable parameters of the architecture's network. A size baseline
// that every report carries.
// * count: analytic (default): the space's analytic count; no network is built, so taps and
//   their activation kinds do not matter.
// * count: network: the elements of every parameter of the network the engine builds (no
//   data, no forward pass). The same number for an architecture (spaces document that their
//   count is the built network's), and it also counts a supernet, which has no analytic count
//   (a pruning search measures how many parameters each op takes away).
//
// Network identity: structure. A relabelled cell has the same parameters; dead ops still own
// theirs, so the count is not a property of the function.
#include <cstdint>
#include <memory>

#include "nas/error.h"
#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"

namespace {

class ParamsProxy : public nas::Proxy {
 public:
  explicit ParamsProxy(const nas::Params& p)
      : millions_(p.get_bool("millions")), network_(p.get_string("count") == "network") {}
  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "1";
    i.identity = nas::NetworkIdentity::kStructure;
    i.needs_network = network_;
    i.needs_data = false;
    return i;
  }
  double score(const nas::ProbeContext& c) const override {
    std::int64_t count = 0;
    if (network_) {
      for (const auto& t : c.network().parameters(/*recurse=*/true)) count += t.numel();
    } else {
      if (nas::is_supernet_arch(c.arch())) {
        throw nas::Error("params: the analytic count has none for a supernet; use count: network");
      }
      count = c.space().params(c.arch(), c.spec());
    }
    const double n = static_cast<double>(count);
    return millions_ ? n / 1e6 : n;
  }

 private:
  bool millions_;
  bool network_;
};

void register_params(nas::PluginRegistrar& r) {
  nas::ParamSchema schema;
  schema.add_bool("millions", false, "report millions of parameters instead of a count");
  schema.add_string("count", "analytic",
                    "analytic: the space's count, no network built; network: count the built "
                    "network's parameters (also a supernet's)",
                    {"analytic", "network"});
  r.add_proxy("params", "number of trainable parameters, analytic (size baseline)", schema,
              [](const nas::Params& p) { return std::make_shared<ParamsProxy>(p); });
}

}  // namespace

NAS_PLUGIN("params", "1.0.0", register_params)
