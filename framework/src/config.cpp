// Reading and validating a pipeline file; see config.h.
#include "config.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <set>
#include <thread>

#include "config_yaml.h"
#include "nas/error.h"
#include "nas/plugin_loader.h"
#include "nas/registry.h"

namespace nas {

namespace fs = std::filesystem;
using detail::where;

namespace {

const std::vector<std::string> kSections = {"run",      "plugins",      "data",  "search_space",
                                            "proxies",  "vote",         "votes", "score",
                                            "strategy", "ground_truth", "train"};

// Plugins that failed to load, for messages about an unknown component: the component the user
// named may live in one of them.
std::string refused_plugins_note() {
  std::vector<std::string> refused;
  for (const auto& r : load_plugins()) {
    if (!r.loaded) refused.push_back(fs::path(r.file).filename().string() + " (" + r.error + ")");
  }
  if (refused.empty()) return "";
  return "; plugins that failed to load: " + join(refused, "; ");
}

template <class T>
ComponentConfig read_component(const std::string& file, const YAML::Node& node,
                               const std::string& section, const ComponentRegistry<T>& table,
                               const std::vector<std::string>& extra_keys = {}) {
  detail::require_map(file, node, section);
  std::vector<std::string> keys = {"type", "params", "name"};
  keys.insert(keys.end(), extra_keys.begin(), extra_keys.end());
  detail::check_keys(file, node, section, keys);
  ComponentConfig c;
  c.where = where(file, node);
  const std::string valid =
      table.names().empty() ? std::string("(none loaded)") : join(table.names());
  if (!node["type"]) {
    throw UsageError(c.where + ": `" + section + "` needs a `type`; valid " + table.plural() +
                     ": " + valid);
  }
  c.type = detail::get_string(file, node, "type", section, "");
  const Component<T>* component = table.find(c.type);
  if (!component) {
    throw UsageError(where(file, node["type"]) + ": unknown " + table.kind() + " '" +
                     printable(c.type) + "' in `" + section + "`; valid " + table.plural() + ": " +
                     valid + refused_plugins_note());
  }
  c.name = detail::get_string(file, node, "name", section, c.type);
  c.params = detail::to_params(file, node["params"], component->schema,
                               table.kind() + " '" + c.type + "' (" + section + ")");
  return c;
}

template <class T>
ComponentConfig default_component(const ComponentRegistry<T>& table, const std::string& type,
                                  const std::string& where_text) {
  ComponentConfig c;
  c.type = type;
  c.name = type;
  c.where = where_text;
  c.params = Params::defaults(table.get(type).schema, table.kind() + " '" + type + "'");
  return c;
}

// An integer in [lo, hi], or the fallback when absent.
std::int64_t get_bounded(const std::string& f, const YAML::Node& map, const std::string& key,
                         const std::string& section, std::int64_t fallback, std::int64_t lo,
                         std::int64_t hi) {
  const std::int64_t v = detail::get_int(f, map, key, section, fallback);
  if (v < lo || v > hi) {
    throw UsageError(where(f, map[key]) + ": `" + section + "." + key + "` is " +
                     std::to_string(v) + "; valid range: " + std::to_string(lo) + " to " +
                     std::to_string(hi));
  }
  return v;
}

// Input paths in a pipeline are relative to the pipeline's folder.
std::string resolve_input(const std::string& pipeline, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (fs::path(pipeline).parent_path() / p).lexically_normal().string();
}

}  // namespace

const char* to_string(Dedup dedup) {
  switch (dedup) {
    case Dedup::kStructure:
      return "structure";
    case Dedup::kNone:
      return "none";
    case Dedup::kAuto:
    default:
      return "auto";
  }
}

std::string params_fingerprint(const Params& params) {
  YAML::Emitter e;
  e.SetMapFormat(YAML::Flow);
  e << params_node(params);
  return e.c_str();
}

YAML::Node params_node(const Params& params) {
  YAML::Node n(YAML::NodeType::Map);
  for (const auto& [k, v] : params.values()) n[k] = format_value(v);
  return n;
}

YAML::Node PipelineConfig::resolved() const {
  auto component = [](const ComponentConfig& c) {
    YAML::Node n;
    n["type"] = c.type;
    if (c.name != c.type) n["name"] = c.name;
    n["params"] = params_node(c.params);
    return n;
  };
  YAML::Node out;
  YAML::Node r;
  r["name"] = run.name;
  r["out_dir"] = run.out_dir;
  r["seed"] = run.seed;
  r["workers"] = run.workers;
  r["torch_threads"] = run.torch_threads;
  r["device"] = run.device;
  for (const auto& p : run.plugin_paths) r["plugin_paths"].push_back(p);
  for (const auto& p : run.reuse_scores) r["reuse_scores"].push_back(p);
  r["evaluator"] = component(run.evaluator);
  r["dedup"] = to_string(run.dedup);
  out["run"] = r;
  if (data) {
    YAML::Node d = component(*data);
    d["batch_size"] = batch_size;
    out["data"] = d;
  }
  out["search_space"] = component(space);
  if (net_width) out["search_space"]["width"] = net_width;
  if (net_depth) out["search_space"]["depth"] = net_depth;
  for (const auto& p : proxies) out["proxies"].push_back(component(p));
  for (std::size_t v = 0; v < votes.size(); ++v) {
    if (vote && *vote == v) {
      out["vote"] = component(votes[v]);
    } else {
      out["votes"].push_back(component(votes[v]));
    }
  }
  if (score) {
    YAML::Node s;
    s["archs"] = score->archs == ArchSource::kAll    ? "all"
                 : score->archs == ArchSource::kFile ? "file"
                                                     : "sample";
    s["count"] = score->count;
    if (!score->file.empty()) s["file"] = score->file;
    out["score"] = s;
  }
  if (search) {
    YAML::Node s = component(search->strategy);
    s["budget"] = search->budget;
    if (search->seed) s["seed"] = *search->seed;
    out["strategy"] = s;
  }
  if (train) {
    const TrainOptions& o = train->options;
    YAML::Node t;
    t["epochs"] = o.epochs;
    t["batch_size"] = o.batch_size;
    t["lr"] = o.lr;
    t["min_lr"] = o.min_lr;
    t["momentum"] = o.momentum;
    t["nesterov"] = o.nesterov;
    t["weight_decay"] = o.weight_decay;
    t["decay_norm_and_bias"] = o.decay_norm_and_bias;
    t["schedule"] = o.schedule;
    t["warmup_epochs"] = o.warmup_epochs;
    t["label_smoothing"] = o.label_smoothing;
    t["mixup"] = o.mixup;
    t["grad_clip"] = o.grad_clip;
    if (!o.teacher.empty()) {
      t["teacher"] = o.teacher;
      t["kd_ratio"] = o.kd_ratio;
    }
    t["auxiliary_weight"] = o.auxiliary_weight;
    t["drop_path"] = o.drop_path;
    t["steps_per_epoch"] = o.steps_per_epoch;
    t["eval_batches"] = o.eval_batches;
    t["eval_batch_size"] = o.eval_batch_size;
    t["checkpoint_every"] = o.checkpoint_every;
    t["log_every"] = o.log_every;
    if (!train->arch.empty()) t["arch"] = train->arch;
    if (train->data) t["data"] = component(*train->data);
    t["width"] = train->width;
    t["depth"] = train->depth;
    out["train"] = t;
  }
  if (ground_truth) {
    YAML::Node g;
    if (!ground_truth->benchmark.empty()) {
      g["benchmark"] = ground_truth->benchmark;
    } else {
      g["path"] = ground_truth->path;
    }
    for (const auto& c : ground_truth->columns) g["column"].push_back(c);
    g["arch_column"] = ground_truth->arch_column;
    out["ground_truth"] = g;
  }
  return out;
}

std::shared_ptr<PipelineConfig> load_pipeline(const std::string& path,
                                              const std::vector<std::string>& overrides) {
  auto cfg = std::make_shared<PipelineConfig>();
  cfg->path = path;
  const std::string& f = path;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw UsageError(path + ": no such pipeline file");
  if (fs::is_directory(path, ec)) {
    throw UsageError(path + ": is a directory; expected a pipeline YAML file");
  }
  try {
    cfg->root = YAML::LoadFile(path);
  } catch (const YAML::ParserException& e) {
    throw UsageError(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                     std::to_string(e.mark.column + 1) + ": malformed YAML: " + printable(e.msg));
  } catch (const YAML::Exception& e) {
    throw UsageError(path + ": cannot read YAML: " + printable(e.msg));
  }
  YAML::Node& root = cfg->root;
  if (!root.IsMap()) throw UsageError(path + ": a pipeline must be a YAML mapping of sections");
  for (const auto& o : overrides) detail::apply_override(root, o);
  detail::check_keys(f, root, "pipeline", kSections);

  // run
  RunSection& run = cfg->run;
  YAML::Node run_node = root["run"] ? root["run"] : YAML::Node(YAML::NodeType::Map);
  detail::require_map(f, run_node, "run");
  detail::check_keys(f, run_node, "run",
                     {"name", "out_dir", "seed", "workers", "torch_threads", "device",
                      "plugin_paths", "reuse_scores", "evaluator", "dedup"});
  run.name = detail::get_string(f, run_node, "name", "run", fs::path(path).stem().string());
  run.out_dir = detail::get_string(f, run_node, "out_dir", "run", "runs/" + run.name);
  run.seed = static_cast<std::uint64_t>(
      get_bounded(f, run_node, "seed", "run", 0, 0, std::numeric_limits<std::int64_t>::max()));
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  run.torch_threads =
      static_cast<int>(get_bounded(f, run_node, "torch_threads", "run", 1, 1, 1024));
  run.workers = static_cast<int>(
      get_bounded(f, run_node, "workers", "run", std::max(1, cores / run.torch_threads), 1, 1024));
  if (run.workers * run.torch_threads > cores) {
    spdlog::warn("run.workers ({}) x run.torch_threads ({}) exceeds the {} cores: expect slowdown",
                 run.workers, run.torch_threads, cores);
  }
  run.device = detail::get_string(f, run_node, "device", "run", "cpu");
  run.device_where = run_node["device"] ? where(f, run_node["device"]) : f;
  if (run.device != "cpu" && run.device != "cuda" && run.device.rfind("cuda:", 0) != 0) {
    throw UsageError(where(f, run_node["device"]) + ": `run.device` is '" + printable(run.device) +
                     "'; valid devices: cpu, cuda, cuda:N");
  }
  const std::string dedup = detail::get_string(f, run_node, "dedup", "run", "auto");
  if (dedup == "auto") {
    run.dedup = Dedup::kAuto;
  } else if (dedup == "structure") {
    run.dedup = Dedup::kStructure;
  } else if (dedup == "none") {
    run.dedup = Dedup::kNone;
  } else {
    throw UsageError(where(f, run_node["dedup"]) + ": `run.dedup` is '" + printable(dedup) +
                     "'; valid values: auto (each proxy at the level it declares), structure "
                     "(relabelled cells only), none (every architecture scored on its own)");
  }
  for (auto& p : detail::get_string_list(f, run_node, "plugin_paths", "run"))
    run.plugin_paths.push_back(resolve_input(path, p));
  if (root["plugins"]) {
    detail::require_map(f, root["plugins"], "plugins");
    detail::check_keys(f, root["plugins"], "plugins", {"paths"});
    for (auto& p : detail::get_string_list(f, root["plugins"], "paths", "plugins"))
      run.plugin_paths.push_back(resolve_input(path, p));
  }
  for (auto& p : detail::get_string_list(f, run_node, "reuse_scores", "run")) {
    const std::string dir = resolve_input(path, p);
    if (!fs::is_directory(dir, ec)) {
      throw UsageError(where(f, run_node["reuse_scores"]) + ": `run.reuse_scores` names '" + dir +
                       "', which is not a run directory");
    }
    run.reuse_scores.push_back(dir);
  }
  load_plugins(run.plugin_paths);
  for (const auto& r : load_plugins()) {
    if (!r.loaded) spdlog::warn("plugin {} was not loaded: {}", r.file, r.error);
  }
  Registry& reg = Registry::global();
  if (run_node["evaluator"]) {
    run.evaluator = read_component(f, run_node["evaluator"], "run.evaluator", reg.evaluators);
  } else {
    run.evaluator = default_component(reg.evaluators, "local", path);
  }

  if (!root["search_space"]) {
    throw UsageError(path + ": the pipeline needs a `search_space` section; valid search spaces: " +
                     join(reg.spaces.names()) + refused_plugins_note());
  }
  cfg->space =
      read_component(f, root["search_space"], "search_space", reg.spaces, {"width", "depth"});
  cfg->net_width = static_cast<int>(
      get_bounded(f, root["search_space"], "width", "search_space", 0, 0, 1 << 16));
  cfg->net_depth = static_cast<int>(
      get_bounded(f, root["search_space"], "depth", "search_space", 0, 0, 1 << 16));

  if (root["data"]) {
    cfg->data = read_component(f, root["data"], "data", reg.datasets, {"batch_size"});
    cfg->batch_size = get_bounded(f, root["data"], "batch_size", "data", 64, 1, 1 << 20);
  }

  const YAML::Node proxies = root["proxies"];
  if (!proxies || !proxies.IsSequence() || proxies.size() == 0) {
    throw UsageError((proxies ? where(f, proxies) : path) +
                     ": `proxies` must be a non-empty list of {type: NAME}; valid proxies: " +
                     join(reg.proxies.names()));
  }
  std::set<std::string> names;
  for (const auto& p : proxies) {
    ComponentConfig c;
    if (p.IsScalar()) {
      YAML::Node m;
      m["type"] = p.Scalar();
      c = read_component(f, m, "proxies", reg.proxies);
      c.where = where(f, p);
    } else {
      c = read_component(f, p, "proxies", reg.proxies);
    }
    if (!names.insert(c.name).second) {
      throw UsageError(c.where + ": proxy name '" + c.name +
                       "' is used twice; give one of them another `name`");
    }
    cfg->proxies.push_back(std::move(c));
  }

  if (root["vote"]) {
    cfg->votes.push_back(read_component(f, root["vote"], "vote", reg.votes));
    cfg->vote = 0;
  }
  if (const YAML::Node vs = root["votes"]) {
    if (!vs.IsSequence()) {
      throw UsageError(where(f, vs) +
                       ": `votes` must be a list of {type: NAME, name: ..., params: ...}");
    }
    for (const auto& v : vs) {
      ComponentConfig c = read_component(f, v, "votes", reg.votes);
      for (const auto& other : cfg->votes) {
        if (other.name == c.name) {
          throw UsageError(c.where + ": vote name '" + c.name +
                           "' is used twice; give one a `name`");
        }
      }
      cfg->votes.push_back(std::move(c));
    }
  }

  if (const YAML::Node s = root["score"]) {
    detail::require_map(f, s, "score");
    detail::check_keys(f, s, "score", {"archs", "count", "file"});
    ScoreStage stage;
    const std::string archs = detail::get_string(f, s, "archs", "score", "sample");
    if (archs == "sample") {
      stage.archs = ArchSource::kSample;
    } else if (archs == "all") {
      stage.archs = ArchSource::kAll;
    } else if (archs == "file") {
      stage.archs = ArchSource::kFile;
    } else {
      throw UsageError(where(f, s["archs"]) + ": `score.archs` is '" + printable(archs) +
                       "'; valid values: sample, all, file");
    }
    stage.count = get_bounded(f, s, "count", "score", 100, 1, 1'000'000'000);
    stage.file = resolve_input(path, detail::get_string(f, s, "file", "score", ""));
    if (stage.archs == ArchSource::kFile) {
      if (stage.file.empty())
        throw UsageError(where(f, s) + ": `score.archs: file` needs `score.file`");
      if (!fs::exists(stage.file, ec)) {
        throw UsageError(where(f, s["file"]) + ": `score.file` '" + stage.file +
                         "' does not exist");
      }
      if (!fs::is_regular_file(stage.file, ec)) {
        throw UsageError(where(f, s["file"]) + ": `score.file` '" + stage.file +
                         "' is not a regular file (a directory?); expected a list of "
                         "architectures, one per line");
      }
    }
    cfg->score = stage;
  }

  if (const YAML::Node s = root["strategy"]) {
    SearchStage stage;
    stage.strategy = read_component(f, s, "strategy", reg.strategies, {"budget", "seed"});
    stage.budget = get_bounded(f, s, "budget", "strategy", 100, 1, 1'000'000'000);
    if (s["seed"]) {
      stage.seed = static_cast<std::uint64_t>(
          get_bounded(f, s, "seed", "strategy", 0, 0, std::numeric_limits<std::int64_t>::max()));
    }
    cfg->search = stage;
  }
  if (const YAML::Node t = root["train"]) {
    detail::require_map(f, t, "train");
    detail::check_keys(f, t, "train",
                       {"epochs",
                        "batch_size",
                        "lr",
                        "min_lr",
                        "momentum",
                        "nesterov",
                        "weight_decay",
                        "decay_norm_and_bias",
                        "schedule",
                        "warmup_epochs",
                        "label_smoothing",
                        "mixup",
                        "grad_clip",
                        "teacher",
                        "kd_ratio",
                        "auxiliary_weight",
                        "drop_path",
                        "steps_per_epoch",
                        "eval_batches",
                        "eval_batch_size",
                        "checkpoint_every",
                        "log_every",
                        "arch",
                        "data",
                        "width",
                        "depth"});
    TrainStage stage;
    stage.where = where(f, t);
    TrainOptions& o = stage.options;
    o.epochs = get_bounded(f, t, "epochs", "train", o.epochs, 1, 100000);
    o.batch_size = get_bounded(f, t, "batch_size", "train", o.batch_size, 1, 1 << 20);
    o.lr = detail::get_double(f, t, "lr", "train", o.lr);
    o.min_lr = detail::get_double(f, t, "min_lr", "train", o.min_lr);
    o.momentum = detail::get_double(f, t, "momentum", "train", o.momentum);
    o.nesterov = detail::get_bool(f, t, "nesterov", "train", o.nesterov);
    o.weight_decay = detail::get_double(f, t, "weight_decay", "train", o.weight_decay);
    o.decay_norm_and_bias =
        detail::get_bool(f, t, "decay_norm_and_bias", "train", o.decay_norm_and_bias);
    o.schedule = detail::get_string(f, t, "schedule", "train", o.schedule);
    o.warmup_epochs = detail::get_double(f, t, "warmup_epochs", "train", o.warmup_epochs);
    o.label_smoothing = detail::get_double(f, t, "label_smoothing", "train", o.label_smoothing);
    o.mixup = detail::get_double(f, t, "mixup", "train", o.mixup);
    o.grad_clip = detail::get_double(f, t, "grad_clip", "train", o.grad_clip);
    if (t["teacher"])
      o.teacher = resolve_input(path, detail::get_string(f, t, "teacher", "train", ""));
    o.kd_ratio = detail::get_double(f, t, "kd_ratio", "train", o.kd_ratio);
    o.auxiliary_weight = detail::get_double(f, t, "auxiliary_weight", "train", o.auxiliary_weight);
    o.drop_path = detail::get_double(f, t, "drop_path", "train", o.drop_path);
    o.steps_per_epoch = get_bounded(f, t, "steps_per_epoch", "train", 0, 0, 1'000'000'000);
    o.eval_batches = get_bounded(f, t, "eval_batches", "train", 0, 0, 1'000'000'000);
    o.eval_batch_size = get_bounded(f, t, "eval_batch_size", "train", 0, 0, 1 << 20);
    o.checkpoint_every = get_bounded(f, t, "checkpoint_every", "train", 0, 0, 1'000'000'000);
    o.log_every = get_bounded(f, t, "log_every", "train", o.log_every, 1, 1'000'000'000);
    o.seed = run.seed;
    o.threads = run.torch_threads;
    o.device = run.device;
    try {
      validate(o);
    } catch (const UsageError& e) {
      throw UsageError(stage.where + ": " + e.what());
    }
    stage.arch = detail::get_string(f, t, "arch", "train", "");
    stage.width = static_cast<int>(get_bounded(f, t, "width", "train", 0, 0, 1 << 16));
    stage.depth = static_cast<int>(get_bounded(f, t, "depth", "train", 0, 0, 1 << 16));
    if (t["data"]) {
      stage.data = read_component(f, t["data"], "train.data", reg.datasets);
    } else if (!cfg->data) {
      throw UsageError(stage.where +
                       ": the train stage needs data: a `data` section or "
                       "`train.data`; valid datasets: " +
                       join(reg.datasets.names()));
    }
    if (stage.arch.empty() && !cfg->search) {
      throw UsageError(stage.where +
                       ": the train stage trains `train.arch` or the search's best "
                       "architecture; give `train.arch` or add a `strategy` section");
    }
    cfg->train = stage;
  }
  if (!cfg->score && !cfg->search && !cfg->train) {
    throw UsageError(path +
                     ": nothing to do: add a `score` section, a `strategy` section, a "
                     "`train` section, or several");
  }

  if (const YAML::Node g = root["ground_truth"]) {
    detail::require_map(f, g, "ground_truth");
    detail::check_keys(f, g, "ground_truth", {"benchmark", "path", "column", "arch_column"});
    GroundTruthSection gt;
    gt.benchmark = detail::get_string(f, g, "benchmark", "ground_truth", "");
    gt.path = resolve_input(path, detail::get_string(f, g, "path", "ground_truth", ""));
    gt.columns = detail::get_string_list(f, g, "column", "ground_truth");
    gt.arch_column = detail::get_string(f, g, "arch_column", "ground_truth", "arch");
    if (gt.benchmark.empty() == gt.path.empty()) {
      throw UsageError(where(f, g) + ": `ground_truth` needs exactly one of `benchmark` (valid: " +
                       join(reg.benchmark_names()) + ") or `path`");
    }
    if (gt.columns.empty()) {
      throw UsageError(where(f, g) + ": `ground_truth` needs a `column` (a name or a list)");
    }
    if (!gt.benchmark.empty()) {
      const BenchmarkTable* b = reg.find_benchmark(gt.benchmark);
      if (!b) {
        throw UsageError(where(f, g["benchmark"]) + ": unknown benchmark '" +
                         printable(gt.benchmark) +
                         "'; valid benchmarks: " + join(reg.benchmark_names()));
      }
      gt.path = b->path;
    } else if (fs::is_directory(gt.path, ec)) {
      throw UsageError(where(f, g["path"]) + ": `ground_truth.path` '" + gt.path +
                       "' is a directory; expected a CSV table");
    }
    cfg->ground_truth = gt;
  }
  return cfg;
}

}  // namespace nas
