// EvaluationJob <-> JSON; see nas/evaluation_job.h.
#include "nas/evaluation_job.h"

#include <nlohmann/json.hpp>

#include "json_params.h"
#include "nas/error.h"

namespace nas {

using nlohmann::json;
using detail::params_from_json;
using detail::params_to_json;

namespace {

// Each value carries its type, so a job reads back without the component's schema.
json value_to_json(const ParamValue& v) {
  return std::visit(
      [](const auto& x) -> json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::int64_t>) return {{"int", x}};
        if constexpr (std::is_same_v<T, double>) return {{"double", x}};
        if constexpr (std::is_same_v<T, bool>) return {{"bool", x}};
        if constexpr (std::is_same_v<T, std::string>) return {{"string", x}};
        if constexpr (std::is_same_v<T, std::vector<std::string>>) return {{"string_list", x}};
        if constexpr (std::is_same_v<T, std::vector<double>>) return {{"double_list", x}};
      },
      v);
}

ParamValue value_from_json(const json& j, const std::string& where) {
  if (!j.is_object() || j.size() != 1) throw Error(where + ": expected {type: value}");
  // Not a structured binding over j.items(): its iterator is a temporary that owns the pair.
  const auto first = j.begin();
  const std::string type = first.key();
  const json& v = first.value();
  if (type == "int") return v.get<std::int64_t>();
  if (type == "double") return v.get<double>();
  if (type == "bool") return v.get<bool>();
  if (type == "string") return v.get<std::string>();
  if (type == "string_list") return v.get<std::vector<std::string>>();
  if (type == "double_list") return v.get<std::vector<double>>();
  throw Error(where + ": unknown parameter type '" + type +
              "'; valid: int, double, bool, string, string_list, double_list");
}

}  // namespace

namespace detail {
json params_to_json(const Params& params) {
  json out = json::object();
  for (const auto& [k, v] : params.values()) out[k] = value_to_json(v);
  return out;
}

Params params_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": expected a map of parameters");
  Params p;
  for (const auto& [k, v] : j.items()) p.set(k, value_from_json(v, where + "." + k));
  return p;
}
}  // namespace detail

namespace {

json component_to_json(const ComponentSpec& c) {
  return {{"type", c.type}, {"name", c.name}, {"params", params_to_json(c.params)}};
}

ComponentSpec component_from_json(const json& j, const std::string& where) {
  ComponentSpec c;
  c.type = j.at("type").get<std::string>();
  c.name = j.at("name").get<std::string>();
  c.params = params_from_json(j.at("params"), where + ".params");
  return c;
}

}  // namespace

std::string EvaluationJob::to_json() const {
  json j;
  j["space"] = component_to_json(space);
  j["data"] = data ? component_to_json(*data) : json(nullptr);
  j["proxies"] = json::array();
  for (const auto& p : proxies) j["proxies"].push_back(component_to_json(p));
  j["batch_size"] = batch_size;
  j["seed"] = seed;
  j["seed_scheme"] = seed_scheme;
  j["net"] = {{"num_classes", net.num_classes}, {"in_channels", net.in_channels},
              {"input_size", net.input_size},   {"width", net.width},
              {"depth", net.depth},             {"max_cells", net.max_cells},
              {"stem", net.stem},               {"width_multiplier", net.width_multiplier},
              {"device", net.device}};
  j["workers"] = workers;
  j["torch_threads"] = torch_threads;
  return j.dump();
}

EvaluationJob EvaluationJob::from_json(const std::string& text) {
  EvaluationJob job;
  try {
    const json j = json::parse(text);
    job.space = component_from_json(j.at("space"), "job.space");
    if (!j.at("data").is_null()) job.data = component_from_json(j.at("data"), "job.data");
    for (std::size_t i = 0; i < j.at("proxies").size(); ++i) {
      job.proxies.push_back(
          component_from_json(j["proxies"][i], "job.proxies[" + std::to_string(i) + "]"));
    }
    job.batch_size = j.at("batch_size").get<std::int64_t>();
    job.seed = j.at("seed").get<std::uint64_t>();
    job.seed_scheme = j.at("seed_scheme").get<int>();
    const json& n = j.at("net");
    job.net.num_classes = n.at("num_classes").get<int>();
    job.net.in_channels = n.at("in_channels").get<int>();
    job.net.input_size = n.at("input_size").get<int>();
    job.net.width = n.at("width").get<int>();
    job.net.depth = n.at("depth").get<int>();
    job.net.max_cells = n.at("max_cells").get<int>();
    job.net.stem = n.at("stem").get<bool>();
    job.net.width_multiplier = n.at("width_multiplier").get<double>();
    job.net.device = n.at("device").get<std::string>();
    job.workers = j.at("workers").get<int>();
    job.torch_threads = j.at("torch_threads").get<int>();
  } catch (const json::exception& e) {
    throw Error(std::string("evaluation job: ") + e.what());
  }
  return job;
}

}  // namespace nas
