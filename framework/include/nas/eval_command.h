// `nas eval DIR`: judges the weights a train stage saved, on any split of any dataset.
//
// Contract: eval_trained() reads DIR/train/network.json (or DIR/network.json when DIR is the
// training directory itself; the train stage writes it: the architecture, its search space
// and resolved parameters, the network's width and depth, and the dataset it was trained on)
// and DIR/.../model.pt, builds the network for the dataset, loads the weights and reports
// top-1 and top-5 (percent) and the mean loss on the split, in index order, unaugmented.
// The dataset is the one it was trained on unless `data_type` names another (its parameters
// then start from that dataset's defaults); `data_params` ("key=value", YAML values) override
// parameters either way. Plugin code is loaded only from the user's environment (the default
// directories, $NAS_PLUGIN_PATH and `plugin_paths`), never from paths inside DIR.
//
// Errors: a missing directory, network.json or model.pt, an unknown dataset or parameter, a
// dataset whose shape the weights do not fit: nas::UsageError naming the file or key; a
// corrupt file: nas::Error naming it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nas {

struct EvalCommandOptions {
  std::string split = "test";            // train | validation | test
  std::string data_type;                 // another dataset ("" = the one trained on)
  std::vector<std::string> data_params;  // "key=value" overrides
  std::int64_t batch_size = 256;
  std::int64_t batches = 0;               // 0: the whole split
  std::vector<std::string> plugin_paths;  // more plugin directories
};

struct EvalCommandResult {
  std::string arch;
  std::string dataset;
  std::string split;
  double loss = 0, top1 = 0, top5 = 0;
  std::int64_t samples = 0;
};

EvalCommandResult eval_trained(const std::string& dir, const EvalCommandOptions& options);

}  // namespace nas
