// Internal: the network a train stage wrote (DIR/train/network.json and model.pt), rebuilt.
//
// Contract: read_trained_network() finds the files in DIR/train/ or in DIR itself, and reads
// network.json (architecture, space with its parameters, the dataset it was trained on with
// its parameters, width and depth). A missing directory, missing file or unfinished training
// is nas::UsageError saying what is missing; a corrupt network.json is nas::Error naming it.
// build_trained_network() loads the plugins, builds the architecture for `shape` (the data it
// will see) with the recorded width and depth and loads model.pt into it; weights that do not
// fit (another architecture, another class count) are nas::UsageError naming model.pt and the
// first mismatch.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nas/dataset.h"
#include "nas/params.h"

namespace nas {
class Network;
}

namespace nas::detail {

struct TrainedNetworkFiles {
  std::string train_dir, network_path, weights_path;
  nlohmann::json network;  // network.json as read
  std::string arch, space_type, data_type;
  Params space_params, data_params;
  int width = 0, depth = 0;
};

TrainedNetworkFiles read_trained_network(const std::string& dir);

struct BuiltNetwork {
  std::shared_ptr<Network> net;
  std::string arch;  // canonical
};

BuiltNetwork build_trained_network(const TrainedNetworkFiles& files, const DataShape& shape,
                                   const std::vector<std::string>& plugin_paths);

}  // namespace nas::detail
