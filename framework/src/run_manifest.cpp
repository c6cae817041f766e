#include "run_manifest.h"

#include <nlohmann/json.hpp>

#include "json_params.h"
#include "nas/csv.h"
#include "nas/error.h"

namespace nas::detail {

using nlohmann::json;

namespace {

json component_json(const ComponentSpec& c) {
  return {{"type", c.type}, {"name", c.name}, {"params", params_to_json(c.params)}};
}

ComponentSpec component_from(const json& j, const std::string& where) {
  ComponentSpec c;
  c.type = j.at("type").get<std::string>();
  c.name = j.at("name").get<std::string>();
  c.params = params_from_json(j.at("params"), where + ".params");
  return c;
}

void add_component_keys(std::map<std::string, std::string>& out, const std::string& prefix,
                        const ComponentSpec& c) {
  out[prefix + ".type"] = c.type;
  for (const auto& [k, v] : c.params.values()) out[prefix + ".params." + k] = format_value(v);
}

}  // namespace

std::string RunManifest::to_json() const {
  json j;
  j["format"] = 1;
  j["nas_version"] = nas_version;
  j["name"] = name;
  j["seed"] = seed;
  j["seed_scheme"] = seed_scheme;
  j["space"] = component_json(space);
  if (net_width) j["net_width"] = net_width;
  if (net_depth) j["net_depth"] = net_depth;
  j["data"] = data ? component_json(*data) : json(nullptr);
  j["batch_size"] = batch_size;
  j["proxies"] = json::array();
  for (const auto& p : proxies) {
    json e = component_json(p.component);
    e["version"] = p.version;
    e["higher_is_better"] = p.higher_is_better;
    e["config_hash"] = p.config_hash;
    e["dedup"] = p.dedup;
    j["proxies"].push_back(e);
  }
  j["votes"] = json::array();
  for (const auto& v : votes) {
    json e = component_json(v.component);
    e["guides_search"] = v.guides_search;
    e["fit_rows"] = v.fit_rows ? json(*v.fit_rows) : json(nullptr);
    j["votes"].push_back(e);
  }
  if (gt_columns.empty()) {
    j["ground_truth"] = nullptr;
  } else {
    j["ground_truth"] = {{"benchmark", gt_benchmark},
                         {"path", gt_path},
                         {"arch_column", gt_arch_column},
                         {"columns", gt_columns}};
  }
  if (strategy) {
    j["search"] = {{"strategy", component_json(*strategy)}, {"budget", budget}};
    if (search_seed) j["search"]["seed"] = *search_seed;
  } else {
    j["search"] = nullptr;
  }
  j["rows_file"] = rows_file;
  return j.dump(2) + "\n";
}

RunManifest RunManifest::read(const std::string& path) {
  RunManifest m;
  std::string text;
  try {
    text = read_text_file(path);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  try {
    const json j = json::parse(text);
    m.nas_version = j.value("nas_version", "");
    m.name = j.at("name").get<std::string>();
    m.seed = j.at("seed").get<std::uint64_t>();
    m.seed_scheme = j.at("seed_scheme").get<int>();
    m.space = component_from(j.at("space"), "space");
    m.net_width = j.value("net_width", 0);
    m.net_depth = j.value("net_depth", 0);
    if (!j.at("data").is_null()) m.data = component_from(j.at("data"), "data");
    m.batch_size = j.at("batch_size").get<std::int64_t>();
    for (const auto& e : j.at("proxies")) {
      ManifestProxy p;
      p.component = component_from(e, "proxies");
      p.version = e.at("version").get<std::string>();
      p.higher_is_better = e.at("higher_is_better").get<bool>();
      p.config_hash = e.at("config_hash").get<std::string>();
      p.dedup = e.value("dedup", "arch");  // manifests from before sharing existed
      m.proxies.push_back(std::move(p));
    }
    for (const auto& e : j.at("votes")) {
      ManifestVote v;
      v.component = component_from(e, "votes");
      v.guides_search = e.at("guides_search").get<bool>();
      if (!e.at("fit_rows").is_null()) v.fit_rows = e.at("fit_rows").get<std::size_t>();
      m.votes.push_back(std::move(v));
    }
    if (const json& g = j.at("ground_truth"); !g.is_null()) {
      m.gt_benchmark = g.at("benchmark").get<std::string>();
      m.gt_path = g.at("path").get<std::string>();
      m.gt_arch_column = g.at("arch_column").get<std::string>();
      m.gt_columns = g.at("columns").get<std::vector<std::string>>();
    }
    // Manifests from before searches were recorded have no "search".
    if (const auto it = j.find("search"); it != j.end() && !it->is_null()) {
      m.strategy = component_from(it->at("strategy"), "search.strategy");
      m.budget = it->at("budget").get<std::int64_t>();
      if (const auto s = it->find("seed"); s != it->end()) m.search_seed = s->get<std::uint64_t>();
    }
    m.rows_file = j.at("rows_file").get<std::string>();
  } catch (const json::exception& e) {
    throw UsageError(path + ": not a valid run manifest (" + printable(e.what()) + ")");
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError(path + ": not a valid run manifest (" + std::string(e.what()) + ")");
  }
  return m;
}

std::map<std::string, std::string> RunManifest::scores_key() const {
  std::map<std::string, std::string> out;
  out["run.seed"] = std::to_string(seed);
  out["seed scheme"] = std::to_string(seed_scheme);
  add_component_keys(out, "search_space", space);
  if (net_width) out["search_space.width"] = std::to_string(net_width);
  if (net_depth) out["search_space.depth"] = std::to_string(net_depth);
  if (data) {
    add_component_keys(out, "data", *data);
    out["data.batch_size"] = std::to_string(batch_size);
  } else {
    out["data"] = "(none)";
  }
  for (const auto& p : proxies) {
    add_component_keys(out, "proxies." + p.component.name, p.component);
    out["proxies." + p.component.name + ".version"] = p.version;
    out["proxies." + p.component.name + ".dedup"] = p.dedup;
  }
  return out;
}

std::map<std::string, std::string> RunManifest::search_key() const {
  std::map<std::string, std::string> out;
  if (!strategy) return out;
  add_component_keys(out, "strategy", *strategy);
  out["strategy.budget"] = std::to_string(budget);
  if (search_seed) out["strategy.seed"] = std::to_string(*search_seed);
  std::string guide = "(first proxy)";
  for (const auto& v : votes) {
    if (!v.guides_search) continue;
    guide = v.component.type;
    for (const auto& [k, value] : v.component.params.values()) {
      guide += " " + k + "=" + format_value(value);
    }
  }
  out["vote"] = guide;
  return out;
}

namespace {

// "key: old -> new" for the keys of `a` and `b` that differ and that `compared` accepts.
template <typename Filter>
void append_differences(const std::map<std::string, std::string>& a,
                        const std::map<std::string, std::string>& b, Filter compared,
                        std::vector<std::string>& out) {
  for (const auto& [k, v] : a) {
    if (!compared(k)) continue;
    auto it = b.find(k);
    if (it == b.end()) {
      out.push_back(k + ": " + v + " -> (unset)");
    } else if (it->second != v) {
      out.push_back(k + ": " + v + " -> " + it->second);
    }
  }
  for (const auto& [k, v] : b) {
    if (compared(k) && !a.count(k)) out.push_back(k + ": (unset) -> " + v);
  }
}

}  // namespace

std::vector<std::string> score_differences(const RunManifest& before, const RunManifest& now) {
  auto a = before.scores_key();
  auto b = now.scores_key();
  auto shared_proxy = [&](const std::string& key) {
    if (key.rfind("proxies.", 0) != 0) return true;
    const std::string rest = key.substr(8);
    for (const auto& p : before.proxies) {
      if (rest.rfind(p.component.name + ".", 0) != 0) continue;
      for (const auto& q : now.proxies) {
        if (q.component.name == p.component.name) return true;
      }
    }
    return false;
  };
  std::vector<std::string> out;
  append_differences(a, b, shared_proxy, out);
  if (before.strategy && now.strategy) {
    append_differences(
        before.search_key(), now.search_key(), [](const std::string&) { return true; }, out);
  }
  return out;
}

}  // namespace nas::detail
