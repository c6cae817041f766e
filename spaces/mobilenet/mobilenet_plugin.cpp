// Registers the MobileNetV2-like space of WRCor's ImageNet search.
#include <memory>
#include <string>

#include "mobilenet_space.h"
#include "nas/error.h"
#include "nas/plugin.h"

namespace {

void register_mobilenet(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_double("flops_budget", 600e6,
                    "satisfies_constraints: FLOPs at the architecture's own resolution must be "
                    "at most this (the reference's --flops_limit 600e6)",
                    nas::greater_than(0));
  schema.add_string("flops_formula", "reference",
                    "the count the budget uses: reference (WRCor's get_FLOPs, with its stride-2 "
                    "projection undercount, so a search keeps what the reference kept) or macs "
                    "(the built network's multiply-accumulates)",
                    {"reference", "macs"});
  schema.add_int("budget_num_classes", 1000,
                 "classes of the classifier counted in the budget (the reference searched for "
                 "ImageNet-1k); 0: the NetSpec's num_classes",
                 nas::between(0, 1000000));
  schema.add_int("probe_resolution", 0,
                 "0: the network resizes its input to the architecture's resolution (the "
                 "reference); N >= 16: to N instead, for cheap probes (the FLOPs budget is still "
                 "judged at the architecture's resolution)",
                 nas::between(0, 4096));
  schema.add_string("tap_set", "all",
                    "which ReLUs are taps: all, or nn_relu (only the SE blocks' ReLUs, the "
                    "torch.nn.ReLU modules the released WRCor code hooks in this space)",
                    {"all", "nn_relu"});
  registrar.add_space(
      mobilenet::MobileNetSpace::kName,
      "WRCor's MobileNetV2-like ImageNet space: stem, 7 inverted-residual stages with SE "
      "(expansion, kernel, width, bottleneck, layers, stride), 1x1 head and input resolution; "
      "arch strings SuperConvK3BNRELU(3,c0,2,1)SuperResIDWE{e}K{k}(in,out,s,b,l)x7"
      "SuperConvK1BNRELU(c7,c8,1,1)@R",
      schema, [](const nas::Params& params) {
        mobilenet::SpaceOptions options;
        options.flops_budget = params.get_double("flops_budget");
        options.formula = params.get_string("flops_formula") == "macs"
                              ? mobilenet::FlopsFormula::kMacs
                              : mobilenet::FlopsFormula::kReference;
        options.budget_num_classes = params.get_int("budget_num_classes");
        options.probe_resolution = static_cast<int>(params.get_int("probe_resolution"));
        options.se_taps_only = params.get_string("tap_set") == "nn_relu";
        if (options.probe_resolution != 0 && options.probe_resolution < 16) {
          throw nas::Error(
              "mobilenet: probe_resolution must be 0 (the architecture's own) or "
              "at least 16, got " +
              std::to_string(options.probe_resolution));
        }
        return std::make_shared<mobilenet::MobileNetSpace>(options);
      });
}

}  // namespace

NAS_PLUGIN("mobilenet", "1.0.0", register_mobilenet)
