// Registers the NAS-Bench-101 space and its benchmark sample table.
#include <memory>

#include "nas/plugin.h"
#include "nb101_space.h"

namespace {

void register_nb101(nas::PluginRegistrar& registrar) {
  registrar.add_space(nb101::Nb101Space::kName,
                      "NAS-Bench-101 cell space: up to 7 vertices, at most 9 edges, ops "
                      "conv3x3-bn-relu / conv1x1-bn-relu / maxpool3x3 (423,624 unique cells), "
                      "3 stacks x 3 modules at 128/256/512 channels; arch strings "
                      "'<49-digit matrix> input,op,...,output'",
                      nas::ParamSchema(),
                      [](const nas::Params&) { return std::make_shared<nb101::Nb101Space>(); });
  registrar.add_benchmark("nb101", "nb101", "sample_accuracies_arch.csv",
                          "NAS-Bench-101, 500 cells (NASLib's sample): 108-epoch CIFAR-10 "
                          "validation accuracy (%, one seed) `val_accuracy`, NASLib's `flops` "
                          "(M) and `params` (M); key column `arch`");
}

}  // namespace

NAS_PLUGIN("nb101", "1.0.0", register_nb101)
