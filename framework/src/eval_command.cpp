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
#include "trained_network.h"

namespace nas {
namespace fs = std::filesystem;
using json = nlohmann::json;

EvalCommandResult eval_trained(const std::string& dir, const EvalCommandOptions& options) {
  const detail::TrainedNetworkFiles files = detail::read_trained_network(dir);
  const json& net_json = files.network;
  load_plugins(options.plugin_paths);
  Registry& reg = Registry::global();
  std::string data_type = files.data_type;

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

  detail::BuiltNetwork built;
  try {
    built = detail::build_trained_network(files, data->shape(), options.plugin_paths);
  } catch (const UsageError& e) {
    throw UsageError(std::string(e.what()) + " (is dataset '" + data_type +
                     "' shaped like the one it was trained on?)");
  }
  Network* net = built.net.get();
  const Split split = parse_split(options.split, "--split");
  const EvalResult r = evaluate(*net, *data, split, options.batch_size, options.batches, "cpu");
  EvalCommandResult out;
  out.arch = built.arch;
  out.dataset = data_type;
  out.split = options.split;
  out.loss = r.loss;
  out.top1 = r.top1;
  out.top5 = r.top5;
  out.samples = r.samples;
  return out;
}

}  // namespace nas
