#include "nas/eval_command.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config.h"
#include "config_yaml.h"
#include "global_generator.h"
#include "json_params.h"
#include "nas/dataset.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/plugin_loader.h"
#include "nas/registry.h"
#include "nas/seed.h"
#include "nas/trainer.h"

namespace nas {
namespace fs = std::filesystem;
using json = nlohmann::json;

EvalCommandResult eval_trained(const std::string& dir, const EvalCommandOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw UsageError(dir + ": no such directory");
  std::string train_dir = dir + "/train";
  if (!fs::is_regular_file(train_dir + "/network.json", ec)) train_dir = dir;
  const std::string network_path = train_dir + "/network.json";
  const std::string weights_path = train_dir + "/model.pt";
  if (!fs::is_regular_file(network_path, ec)) {
    throw UsageError(dir +
                     " holds no trained network: no train/network.json (a pipeline's "
                     "`train` section writes it)");
  }
  if (!fs::is_regular_file(weights_path, ec)) {
    throw UsageError(weights_path + " is missing: the training in " + train_dir +
                     " has not finished (run the pipeline again to resume it)");
  }
  std::ifstream in(network_path);
  const json net_json = json::parse(in, nullptr, false);
  if (net_json.is_discarded() || !net_json.is_object()) {
    throw Error(network_path + ": not a network description (JSON object)");
  }

  load_plugins(options.plugin_paths);
  Registry& reg = Registry::global();
  std::string arch_text, space_type, data_type;
  Params space_params, data_params;
  int width = 0, depth = 0;
  try {
    arch_text = net_json.at("arch").get<std::string>();
    space_type = net_json.at("space").at("type").get<std::string>();
    space_params = detail::params_from_json(net_json.at("space").at("params"), network_path);
    data_type = net_json.at("data").at("type").get<std::string>();
    data_params = detail::params_from_json(net_json.at("data").at("params"), network_path);
    width = net_json.at("width").get<int>();
    depth = net_json.at("depth").get<int>();
  } catch (const json::exception& e) {
    throw Error(network_path + ": " + e.what());
  }

  // The dataset: the one trained on, or another, with key=value overrides checked against its
  // schema.
  YAML::Node data_node(YAML::NodeType::Map);
  if (!options.data_type.empty() && options.data_type != data_type) {
    data_type = options.data_type;
  } else {
    // The stored values ({type: value}) as plain YAML values: JSON is YAML.
    for (const auto& [key, typed] : net_json.at("data").at("params").items()) {
      data_node[key] = YAML::Load(typed.begin().value().dump());
    }
  }
  const Component<Dataset>& data_component = reg.datasets.get(data_type);
  for (const auto& assignment : options.data_params) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("--data-param '" + assignment + "': expected key=value");
    }
    data_node[assignment.substr(0, eq)] = YAML::Load(assignment.substr(eq + 1));
  }
  const Params resolved = detail::to_params("--data-param", data_node, data_component.schema,
                                            "dataset '" + data_type + "'");
  std::shared_ptr<Dataset> data = data_component.create(resolved);

  std::shared_ptr<SearchSpace> space = reg.spaces.get(space_type).create(space_params);
  const Arch arch = space->parse(arch_text);
  NetSpec spec = net_spec_for(data->shape());
  spec.width = width;
  spec.depth = depth;
  std::shared_ptr<Network> net =
      build_with_global_seed(0, AfterBuild::kRestore, [&] { return space->build(arch, spec); });
  try {
    load_weights(*net, weights_path);
  } catch (const Error& e) {
    throw UsageError(std::string(e.what()) + " (is dataset '" + data_type +
                     "' shaped like the one it was trained on?)");
  }
  const Split split = parse_split(options.split, "--split");
  const EvalResult r = evaluate(*net, *data, split, options.batch_size, options.batches, "cpu");
  EvalCommandResult out;
  out.arch = arch.str();
  out.dataset = data_type;
  out.split = options.split;
  out.loss = r.loss;
  out.top1 = r.top1;
  out.top5 = r.top5;
  out.samples = r.samples;
  return out;
}

}  // namespace nas
