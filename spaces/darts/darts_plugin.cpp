// Registers the DARTS cell space and the NAS-Bench-301 sample table.
#include <memory>
#include <string>

#include "darts_space.h"
#include "nas/plugin.h"

namespace {

constexpr const char* kSampleTable = "sample_accuracies.csv.gz";

void register_darts(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_int("layers", 8,
                 "cells in the network (NAS-Bench-301: 8; DARTS's CIFAR eval net: 20); the "
                 "reduction cells sit at layers/3 and 2*layers/3. NetSpec depth N overrides it "
                 "with 3N + 2",
                 nas::between(1, 30002));
  schema.add_bool("imagenet_stem", false,
                  "NetworkImageNet's two stride-2 stems (three halvings) instead of the CIFAR "
                  "3x3 stem to 3C channels");
  schema.add_bool("auxiliary", false,
                  "build DARTS's auxiliary head on cell 2*layers/3 (counted in params and "
                  "flops; its logits are computed in training mode only). NAS-Bench-301's "
                  "`params` column counts the network without it");
  schema.add_bool("cell_affine", false,
                  "affine BatchNorm in the cell ops (DARTS's eval net); NASLib, whose network "
                  "gives NAS-Bench-301's `params` column, builds them non-affine");
  schema.add_bool("pool_bn", true,
                  "a non-affine BatchNorm after each pooling op, as NASLib builds the "
                  "NAS-Bench-301 network (DARTS's eval net has none)");
  schema.add_int("supernet_width", 0,
                 "C of the supernet (pruning's view) where the NetSpec leaves the width at its "
                 "default; 0: the network's (TE-NAS: C = 1, here 2 as the width must be even)",
                 nas::between(0, 65536));
  schema.add_int("supernet_depth", 0,
                 "normal cells per stage N of the supernet (layers 3N + 2) where the NetSpec "
                 "leaves the depth at its default; 0: the network's (TE-NAS: 1)",
                 nas::between(0, 10000));
  schema.add_int("supernet_cells", 0,
                 "cells of the supernet (max_cells) where the NetSpec leaves max_cells at its "
                 "default; 0: all (TE-NAS: 2, a normal and a reduction cell)",
                 nas::between(0, 30002));
  registrar.add_space(
      darts::DartsSpace::kName,
      "DARTS cell space (NAS-Bench-301): normal and reduction cells, 4 nodes x 2 (op, input) "
      "entries, 7 ops; NetworkCIFAR C=32, 8 cells; genotypes "
      "normal=[('op',i),...];reduce=[...] or DARTS's Genotype(...)",
      schema, [](const nas::Params& params) {
        darts::Options options;
        options.layers = params.get_int("layers");
        options.imagenet_stem = params.get_bool("imagenet_stem");
        options.auxiliary = params.get_bool("auxiliary");
        options.cell_affine = params.get_bool("cell_affine");
        options.pool_bn = params.get_bool("pool_bn");
        options.supernet_width = static_cast<int>(params.get_int("supernet_width"));
        options.supernet_depth = static_cast<int>(params.get_int("supernet_depth"));
        options.supernet_cells = static_cast<int>(params.get_int("supernet_cells"));
        return std::make_shared<darts::DartsSpace>(options);
      });

  registrar.add_benchmark("nb301", "darts", kSampleTable,
                          "NAS-Bench-301 sample (NASLib / NAS-Bench-Suite-Zero): 725 DARTS "
                          "genotypes (column `genotype`) with the NB301 surrogate's CIFAR-10 "
                          "validation accuracy `val_acc` (%), `flops` (M) and `params` (M)");
}

}  // namespace

NAS_PLUGIN("darts", "1.0.0", register_darts)
