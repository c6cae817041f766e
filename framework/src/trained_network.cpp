// A trained network rebuilt from its run directory; see trained_network.h.
#include "trained_network.h"

#include <filesystem>
#include <fstream>

#include "global_generator.h"
#include "json_params.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/plugin_loader.h"
#include "nas/registry.h"
#include "nas/search_space.h"
#include "nas/trainer.h"

namespace nas::detail {

namespace fs = std::filesystem;
using json = nlohmann::json;

TrainedNetworkFiles read_trained_network(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw UsageError(dir + ": no such directory");
  TrainedNetworkFiles f;
  f.train_dir = dir + "/train";
  if (!fs::is_regular_file(f.train_dir + "/network.json", ec)) f.train_dir = dir;
  f.network_path = f.train_dir + "/network.json";
  f.weights_path = f.train_dir + "/model.pt";
  if (!fs::is_regular_file(f.network_path, ec)) {
    throw UsageError(dir +
                     " holds no trained network: no train/network.json (a pipeline's "
                     "`train` section writes it)");
  }
  if (!fs::is_regular_file(f.weights_path, ec)) {
    throw UsageError(f.weights_path + " is missing: the training in " + f.train_dir +
                     " has not finished (run the pipeline again to resume it)");
  }
  std::ifstream in(f.network_path);
  f.network = json::parse(in, nullptr, false);
  if (f.network.is_discarded() || !f.network.is_object()) {
    throw Error(f.network_path + ": not a network description (JSON object)");
  }
  try {
    f.arch = f.network.at("arch").get<std::string>();
    f.space_type = f.network.at("space").at("type").get<std::string>();
    f.space_params = params_from_json(f.network.at("space").at("params"), f.network_path);
    f.data_type = f.network.at("data").at("type").get<std::string>();
    f.data_params = params_from_json(f.network.at("data").at("params"), f.network_path);
    f.width = f.network.at("width").get<int>();
    f.depth = f.network.at("depth").get<int>();
  } catch (const json::exception& e) {
    throw Error(f.network_path + ": " + e.what());
  }
  return f;
}

BuiltNetwork build_trained_network(const TrainedNetworkFiles& f, const DataShape& shape,
                                   const std::vector<std::string>& plugin_paths) {
  load_plugins(plugin_paths);
  std::shared_ptr<SearchSpace> space =
      Registry::global().spaces.get(f.space_type).create(f.space_params);
  const Arch arch = space->parse(f.arch);
  NetSpec spec = net_spec_for(shape);
  spec.width = f.width;
  spec.depth = f.depth;
  BuiltNetwork out;
  out.arch = arch.str();
  out.net =
      build_with_global_seed(0, AfterBuild::kRestore, [&] { return space->build(arch, spec); });
  try {
    load_weights(*out.net, f.weights_path);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  return out;
}

}  // namespace nas::detail
