#include "nas/pipeline.h"

#include <spdlog/spdlog.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <ATen/Parallel.h>
#include <torch/version.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "config_yaml.h"
#include "nas/csv.h"
#include "nas/dataset.h"
#include "nas/error.h"
#include "nas/ground_truth.h"
#include "nas/plugin_loader.h"
#include "nas/probe_engine.h"
#include "nas/proxy.h"
#include "nas/registry.h"
#include "nas/report.h"
#include "nas/report_command.h"
#include "nas/search_space.h"
#include "nas/strategy.h"
#include "nas/vote.h"
#include "progress.h"
#include "run_files.h"

namespace nas {

namespace fs = std::filesystem;
using detail::where;

struct ComponentConfig {
  std::string type;
  std::string name;  // how results refer to it (defaults to type)
  Params params;
  std::string where;
  YAML::Node node;  // the resolved params, for fingerprints
};

struct PipelineConfig {
  std::string path;
  YAML::Node root;
  std::string name;
  std::string out_dir;
  std::uint64_t seed = 0;
  int workers = 1;
  int torch_threads = 1;
  std::vector<std::string> plugin_paths;

  std::optional<ComponentConfig> data;
  std::int64_t batch_size = 64;
  ComponentConfig space;
  std::vector<ComponentConfig> proxies;
  std::optional<ComponentConfig> vote;  // the strategy's vote
  std::vector<ComponentConfig> votes;   // every vote reported: `vote` first, then `votes`

  bool score = false;
  std::string score_archs = "sample";
  std::int64_t score_count = 100;
  std::string score_file;

  bool search = false;
  ComponentConfig strategy;
  std::int64_t budget = 100;
  std::int64_t search_batch = 0;  // 0: workers × 2

  bool ground_truth = false;
  std::string gt_benchmark, gt_path, gt_arch_column = "arch";
  std::vector<std::string> gt_columns;  // the first one fits votes and names the root report
};

namespace {

const std::vector<std::string> kSections = {"run",      "plugins",      "data",  "search_space",
                                            "proxies",  "vote",         "votes", "score",
                                            "strategy", "ground_truth", "train"};

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
  if (!node["type"]) {
    throw UsageError(c.where + ": `" + section + "` needs a `type`; valid " + table.kind() +
                     "s: " + join(table.names()));
  }
  c.type = detail::get_string(file, node, "type", section, "");
  const Component<T>* component = table.find(c.type);
  if (!component) {
    throw UsageError(where(file, node["type"]) + ": unknown " + table.kind() + " '" + c.type +
                     "' in `" + section + "`; valid " + table.kind() + "s: " +
                     (table.names().empty() ? std::string("(none loaded)") : join(table.names())));
  }
  c.name = detail::get_string(file, node, "name", section, c.type);
  c.params = detail::to_params(file, node["params"], component->schema,
                               table.kind() + " '" + c.type + "' (" + section + ")");
  YAML::Node resolved;
  for (const auto& [k, v] : c.params.values()) resolved[k] = format_value(v);
  c.node = resolved;
  return c;
}

std::string fingerprint_text(const YAML::Node& node) {
  YAML::Emitter e;
  e.SetMapFormat(YAML::Flow);
  e << node;
  return e.c_str();
}

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::shared_ptr<PipelineConfig> load_pipeline(const std::string& path,
                                              const std::vector<std::string>& overrides) {
  auto cfg = std::make_shared<PipelineConfig>();
  cfg->path = path;
  const std::string& f = path;
  if (!fs::exists(path)) throw UsageError(path + ": no such pipeline file");
  try {
    cfg->root = YAML::LoadFile(path);
  } catch (const YAML::ParserException& e) {
    throw UsageError(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                     std::to_string(e.mark.column + 1) + ": malformed YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw UsageError(path + ": cannot read YAML: " + e.msg);
  }
  YAML::Node& root = cfg->root;
  if (!root.IsMap()) throw UsageError(path + ": a pipeline must be a YAML mapping of sections");
  for (const auto& o : overrides) detail::apply_override(root, o);
  detail::check_keys(f, root, "pipeline", kSections);

  if (root["train"]) {
    throw UsageError(where(f, root["train"]) +
                     ": the `train` stage is not available in this version of nas; remove it");
  }

  // run
  YAML::Node run = root["run"] ? root["run"] : YAML::Node(YAML::NodeType::Map);
  detail::require_map(f, run, "run");
  detail::check_keys(f, run, "run",
                     {"name", "out_dir", "seed", "workers", "torch_threads", "plugin_paths"});
  cfg->name = detail::get_string(f, run, "name", "run", fs::path(path).stem().string());
  cfg->out_dir = detail::get_string(f, run, "out_dir", "run", "runs/" + cfg->name);
  std::int64_t seed = detail::get_int(f, run, "seed", "run", 0);
  if (seed < 0) throw UsageError(where(f, run["seed"]) + ": `run.seed` must be >= 0");
  cfg->seed = static_cast<std::uint64_t>(seed);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cfg->torch_threads = static_cast<int>(detail::get_int(f, run, "torch_threads", "run", 1));
  if (cfg->torch_threads < 1) {
    throw UsageError(where(f, run["torch_threads"]) + ": `run.torch_threads` must be >= 1");
  }
  cfg->workers = static_cast<int>(
      detail::get_int(f, run, "workers", "run", std::max(1, cores / cfg->torch_threads)));
  if (cfg->workers < 1) throw UsageError(where(f, run["workers"]) + ": `run.workers` must be >= 1");
  if (cfg->workers * cfg->torch_threads > cores) {
    spdlog::warn("run.workers ({}) x run.torch_threads ({}) exceeds the {} cores: expect slowdown",
                 cfg->workers, cfg->torch_threads, cores);
  }
  cfg->plugin_paths = detail::get_string_list(f, run, "plugin_paths", "run");
  if (root["plugins"]) {
    detail::require_map(f, root["plugins"], "plugins");
    detail::check_keys(f, root["plugins"], "plugins", {"paths"});
    for (auto& p : detail::get_string_list(f, root["plugins"], "paths", "plugins"))
      cfg->plugin_paths.push_back(p);
  }
  load_plugins(cfg->plugin_paths);
  Registry& reg = Registry::global();

  if (!root["search_space"]) {
    throw UsageError(path + ": the pipeline needs a `search_space` section; valid spaces: " +
                     join(reg.spaces.names()));
  }
  cfg->space = read_component(f, root["search_space"], "search_space", reg.spaces);

  if (root["data"]) {
    cfg->data = read_component(f, root["data"], "data", reg.datasets, {"batch_size"});
    cfg->batch_size = detail::get_int(f, root["data"], "batch_size", "data", 64);
    if (cfg->batch_size < 1) {
      throw UsageError(where(f, root["data"]["batch_size"]) + ": `data.batch_size` must be >= 1");
    }
  }

  const YAML::Node proxies = root["proxies"];
  if (!proxies || !proxies.IsSequence() || proxies.size() == 0) {
    throw UsageError((proxies ? where(f, proxies) : path) +
                     ": `proxies` must be a non-empty list of {type: NAME}; valid proxies: " +
                     join(reg.proxies.names()));
  }
  std::set<std::string> names;
  for (const auto& p : proxies) {
    ComponentConfig c = p.IsScalar() ? [&] {
      YAML::Node m;
      m["type"] = p.Scalar();
      ComponentConfig cc = read_component(f, m, "proxies", reg.proxies);
      cc.where = where(f, p);
      return cc;
    }()
                                     : read_component(f, p, "proxies", reg.proxies);
    if (!names.insert(c.name).second) {
      throw UsageError(c.where + ": proxy name '" + c.name +
                       "' is used twice; give one of them another `name`");
    }
    cfg->proxies.push_back(std::move(c));
  }

  if (root["vote"]) {
    cfg->vote = read_component(f, root["vote"], "vote", reg.votes);
    cfg->votes.push_back(*cfg->vote);
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
    cfg->score = true;
    cfg->score_archs = detail::get_string(f, s, "archs", "score", "sample");
    if (cfg->score_archs != "sample" && cfg->score_archs != "all" && cfg->score_archs != "file") {
      throw UsageError(where(f, s["archs"]) + ": `score.archs` is '" + cfg->score_archs +
                       "'; valid values: sample, all, file");
    }
    cfg->score_count = detail::get_int(f, s, "count", "score", 100);
    if (cfg->score_count < 1)
      throw UsageError(where(f, s["count"]) + ": `score.count` must be >= 1");
    cfg->score_file = detail::get_string(f, s, "file", "score", "");
    if (cfg->score_archs == "file" && cfg->score_file.empty()) {
      throw UsageError(where(f, s) + ": `score.archs: file` needs `score.file`");
    }
  }

  if (const YAML::Node s = root["strategy"]) {
    cfg->strategy = read_component(f, s, "strategy", reg.strategies, {"budget", "batch"});
    cfg->search = true;
    cfg->budget = detail::get_int(f, s, "budget", "strategy", 100);
    if (cfg->budget < 1)
      throw UsageError(where(f, s["budget"]) + ": `strategy.budget` must be >= 1");
    cfg->search_batch = detail::get_int(f, s, "batch", "strategy", 0);
  }
  if (!cfg->score && !cfg->search) {
    throw UsageError(path +
                     ": nothing to do: add a `score` section, a `strategy` section, or both");
  }

  if (const YAML::Node g = root["ground_truth"]) {
    detail::require_map(f, g, "ground_truth");
    detail::check_keys(f, g, "ground_truth", {"benchmark", "path", "column", "arch_column"});
    cfg->ground_truth = true;
    cfg->gt_benchmark = detail::get_string(f, g, "benchmark", "ground_truth", "");
    cfg->gt_path = detail::get_string(f, g, "path", "ground_truth", "");
    cfg->gt_columns = detail::get_string_list(f, g, "column", "ground_truth");
    cfg->gt_arch_column = detail::get_string(f, g, "arch_column", "ground_truth", "arch");
    if (cfg->gt_benchmark.empty() == cfg->gt_path.empty()) {
      throw UsageError(where(f, g) + ": `ground_truth` needs exactly one of `benchmark` (valid: " +
                       join(reg.benchmarks.names()) + ") or `path`");
    }
    if (cfg->gt_columns.empty()) {
      throw UsageError(where(f, g) + ": `ground_truth` needs a `column` (a name or a list)");
    }
    if (!cfg->gt_benchmark.empty()) {
      const auto* b = reg.benchmarks.find(cfg->gt_benchmark);
      if (!b) {
        throw UsageError(where(f, g["benchmark"]) + ": unknown benchmark '" + cfg->gt_benchmark +
                         "'; valid benchmarks: " + join(reg.benchmarks.names()));
      }
      cfg->gt_path = b->create(Params())->path;
    }
  }
  return cfg;
}

namespace {

// Creates a component; an error in its parameters names where the component was configured.
template <class T>
std::shared_ptr<T> create_component(const ComponentRegistry<T>& table, const ComponentConfig& c) {
  try {
    return table.get(c.type).create(c.params);
  } catch (const std::exception& e) {
    throw UsageError(c.where + ": " + table.kind() + " '" + c.type + "': " + e.what());
  }
}

// Reference-counted view of everything a run needs, built from the config.
struct RunState {
  const PipelineConfig& cfg;
  std::shared_ptr<SearchSpace> space;
  std::shared_ptr<Dataset> data;
  std::vector<ProxySlot> slots;
  std::shared_ptr<Vote> vote;                        // the strategy's (null: first proxy decides)
  std::vector<std::shared_ptr<Vote>> votes;          // parallel to cfg.votes
  std::unique_ptr<GroundTruth> truth;                // first column
  std::vector<std::unique_ptr<GroundTruth>> truths;  // every column
  std::map<std::string, std::string> hashes;         // proxy -> config hash
  // Scores from an earlier run in the same directory: (arch, proxy) -> record.
  std::map<std::pair<std::string, std::string>, ScoreRecord> cache;
  ScoreTable table;
  std::vector<std::string> table_order;
  std::unique_ptr<detail::ScoresWriter> writer;
  Progress* progress = nullptr;
  std::size_t reused = 0;

  explicit RunState(const PipelineConfig& c) : cfg(c) {}

  // Evaluators for subsets of the proxies, by the subset's slot indices: a run that adds a
  // proxy to an earlier run's directory computes only the new proxy (scores do not depend on
  // which other proxies run beside them; the conformance tests check it).
  std::map<std::vector<std::size_t>, std::unique_ptr<LocalEvaluator>> evaluators;
  ProbeOptions probe;
  Evaluator::Listener on_fresh;

  LocalEvaluator& evaluator_for(const std::vector<std::size_t>& subset) {
    auto& e = evaluators[subset];
    if (!e) {
      std::vector<ProxySlot> chosen;
      for (std::size_t i : subset) chosen.push_back(slots[i]);
      auto engine = std::make_shared<ProbeEngine>(space, data, chosen, probe);
      e = std::make_unique<LocalEvaluator>(engine, cfg.workers, cfg.torch_threads);
      e->set_listener(on_fresh);
    }
    return *e;
  }

  // Scores archs, reusing cached scores, appending new ones to scores.csv.
  std::vector<Evaluation> score(const std::vector<Arch>& archs) {
    std::vector<Evaluation> out(archs.size());
    std::map<std::vector<std::size_t>, std::vector<std::size_t>> groups;  // missing -> archs
    for (std::size_t i = 0; i < archs.size(); ++i) {
      out[i].arch = archs[i];
      std::vector<std::size_t> missing;
      for (std::size_t k = 0; k < slots.size(); ++k) {
        if (!cache.count({archs[i].str(), slots[k].name})) missing.push_back(k);
      }
      if (missing.empty()) {
        for (const auto& s : slots) out[i].scores.push_back(cache.at({archs[i].str(), s.name}));
        ++reused;
        add_to_table(out[i]);
        if (progress) progress->advance(1);
      } else {
        groups[missing].push_back(i);
      }
    }
    for (const auto& [missing, members] : groups) {
      std::vector<Arch> pending;
      for (std::size_t i : members) pending.push_back(archs[i]);
      auto fresh = evaluator_for(missing).evaluate(pending);
      for (std::size_t m = 0; m < members.size(); ++m) {
        Evaluation& e = out[members[m]];
        std::size_t next = 0;
        for (std::size_t k = 0; k < slots.size(); ++k) {
          if (next < missing.size() && missing[next] == k) {
            e.scores.push_back(fresh[m].scores[next++]);
          } else {
            e.scores.push_back(cache.at({e.arch.str(), slots[k].name}));
            table.set(e.arch, slots[k].name, e.scores.back().score);
          }
        }
      }
    }
    return out;
  }

  void add_to_table(const Evaluation& e) {
    for (const auto& r : e.scores) table.set(e.arch, r.proxy, r.score);
  }
};

std::vector<Arch> read_arch_file(const SearchSpace& space, const std::string& path) {
  std::string text = read_text_file(path);
  std::vector<Arch> archs;
  std::istringstream in(text);
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    try {
      archs.push_back(space.parse(line));
    } catch (const std::exception& e) {
      throw UsageError(path + ":" + std::to_string(number) + ": " + e.what());
    }
  }
  if (archs.empty()) throw UsageError(path + ": no architectures in the file");
  return archs;
}

std::vector<Arch> sample_distinct(const SearchSpace& space, std::int64_t count,
                                  std::uint64_t seed) {
  Rng rng(derive_seed(seed, "score-sample"));
  std::vector<Arch> out;
  std::unordered_map<Arch, bool> seen;
  std::int64_t attempts = 0;
  while (static_cast<std::int64_t>(out.size()) < count) {
    if (++attempts > count * 100 + 1000) {
      throw UsageError("could not sample " + std::to_string(count) +
                       " distinct architectures of '" + space.name() +
                       "' (the space may be smaller)");
    }
    Arch a = space.sample(rng);
    if (seen.emplace(a, true).second) out.push_back(a);
  }
  return out;
}

class PipelineSearchContext : public SearchContext {
 public:
  PipelineSearchContext(RunState& state, std::int64_t budget, const std::string& trace_path)
      : state_(state), rng_(derive_seed(state.cfg.seed, "strategy")), budget_(budget) {
    trace_.open(trace_path, std::ios::trunc);
    if (!trace_) throw Error(trace_path + ": cannot open for writing");
    trace_ << "step,arch,best_arch";
    if (state_.truth) trace_ << ",best_truth";
    trace_ << "\n";
  }
  ~PipelineSearchContext() override { flush_trace(); }

  const SearchSpace& space() const override { return *state_.space; }
  Rng& rng() override { return rng_; }
  const ScoreTable& table() const override { return state_.table; }
  std::int64_t budget() const override { return budget_; }
  std::int64_t used() const override { return static_cast<std::int64_t>(evaluated_.size()); }

  std::vector<std::size_t> evaluate(const std::vector<Arch>& archs) override {
    flush_trace();
    std::vector<Arch> fresh;
    for (const auto& a : archs) {
      if (evaluated_.count(a)) continue;
      bool dup = false;
      for (const auto& f : fresh) dup = dup || f == a;
      if (dup) continue;
      if (used() + static_cast<std::int64_t>(fresh.size()) >= budget_) break;
      fresh.push_back(a);
    }
    if (!fresh.empty()) state_.score(fresh);
    std::vector<std::size_t> rows;
    for (const auto& a : fresh) {
      evaluated_.insert(a);
      pending_.push_back(a);
    }
    for (const auto& a : archs) {
      if (!evaluated_.count(a)) break;  // beyond the budget
      rows.push_back(state_.table.row_of(a));
    }
    return rows;
  }

  int compare(std::size_t a, std::size_t b) const override {
    if (state_.vote) return state_.vote->compare(state_.table, a, b);
    // No vote: the first proxy decides, with its declared direction; NaN loses.
    const auto& slot = state_.slots.front();
    const int col = state_.table.column(slot.name);
    double x = state_.table.get(a, col), y = state_.table.get(b, col);
    if (!slot.info.higher_is_better) {
      x = -x;
      y = -y;
    }
    const bool fx = std::isfinite(x), fy = std::isfinite(y);
    if (fx != fy) return fx ? 1 : -1;
    if (!fx || x == y) return 0;
    return x > y ? 1 : -1;
  }

  void set_best(std::size_t row) override { best_ = row; }
  std::optional<std::size_t> best() const { return best_; }

 private:
  void flush_trace() {
    for (const auto& a : pending_) {
      ++step_;
      trace_ << step_ << "," << csv_field(a.str()) << ",";
      if (best_) {
        const Arch& b = state_.table.archs()[*best_];
        trace_ << csv_field(b.str());
        if (state_.truth) {
          double t;
          trace_ << "," << (state_.truth->lookup(b, &t) ? detail::format_score(t) : "");
        }
      } else if (state_.truth) {
        trace_ << ",";
      }
      trace_ << "\n";
    }
    pending_.clear();
    trace_.flush();
  }

  RunState& state_;
  Rng rng_;
  std::int64_t budget_;
  std::set<Arch> evaluated_;
  std::vector<Arch> pending_;
  std::optional<std::size_t> best_;
  std::ofstream trace_;
  std::int64_t step_ = 0;
};

void write_env(const PipelineConfig& cfg, const std::string& dir) {
  nlohmann::json j;
  j["nas_version"] = NAS_VERSION;
  j["torch_version"] = TORCH_VERSION;
  j["cxx11_abi"] = _GLIBCXX_USE_CXX11_ABI;
  j["compiler"] = __VERSION__;
  j["seed"] = cfg.seed;
  j["seed_scheme"] = kSeedSchemeVersion;
  j["workers"] = cfg.workers;
  j["torch_threads"] = cfg.torch_threads;
  j["cores"] = std::thread::hardware_concurrency();
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  j["host"] = host;
  std::time_t now = std::time(nullptr);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  j["started"] = stamp;
  j["plugins"] = nlohmann::json::array();
  for (const auto& r : load_plugins()) {
    j["plugins"].push_back({{"file", r.file},
                            {"name", r.plugin},
                            {"version", r.version},
                            {"loaded", r.loaded},
                            {"error", r.error}});
  }
  std::ofstream(dir + "/env.json") << j.dump(2) << "\n";
}

}  // namespace

std::string run_pipeline(const PipelineConfig& cfg, const RunOptions& options) {
  Registry& reg = Registry::global();
  RunState state(cfg);
  const std::string dir = cfg.out_dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw UsageError(dir + ": cannot create the run directory (" + ec.message() + ")");

  // Everything that can fail on bad input is created before the first score is computed.
  state.space = create_component(reg.spaces, cfg.space);
  if (cfg.data) state.data = create_component(reg.datasets, *cfg.data);
  NetSpec spec;
  if (state.data) {
    DataShape shape = state.data->shape();
    spec.in_channels = shape.channels;
    spec.input_size = shape.size;
    spec.num_classes = shape.num_classes;
  }
  const std::string common = fingerprint_text(cfg.space.node) + "|" +
                             (cfg.data ? cfg.data->type + fingerprint_text(cfg.data->node) : "") +
                             "|" + std::to_string(cfg.batch_size) + "|" + std::to_string(cfg.seed);
  for (const auto& p : cfg.proxies) {
    ProxySlot slot;
    slot.name = p.name;
    slot.proxy = create_component(reg.proxies, p);
    slot.info = slot.proxy->info();
    state.hashes[p.name] = hex(
        hash_string(common + "|" + p.type + fingerprint_text(p.node) + "|" + slot.info.version));
    state.slots.push_back(std::move(slot));
  }
  std::vector<std::string> computed;
  for (const auto& s : state.slots) computed.push_back(s.name);
  for (const auto& vc : cfg.votes) {
    auto vote = create_component(reg.votes, vc);
    for (const auto& input : vote->inputs()) {
      bool found = false;
      for (const auto& name : computed) found = found || name == input;
      if (!found) {
        throw UsageError(vc.where + ": vote '" + vc.type + "' needs proxy '" + input +
                         "', which the pipeline does not compute (computed: " + join(computed) +
                         ")");
      }
    }
    if (vote->needs_fit()) {
      if (!cfg.ground_truth) {
        throw UsageError(vc.where + ": vote '" + vc.type +
                         "' is fitted to ground truth: add a `ground_truth` section or give it "
                         "`weights_file`");
      }
      if (!cfg.score) {
        throw UsageError(vc.where + ": vote '" + vc.type +
                         "' is fitted on the score stage's architectures: add a `score` section");
      }
    }
    state.votes.push_back(vote);
  }
  if (cfg.vote) state.vote = state.votes.front();
  if (cfg.ground_truth) {
    try {
      // One read per column keeps GroundTruth simple; the tables are small.
      for (const auto& column : cfg.gt_columns) {
        state.truths.push_back(
            std::make_unique<GroundTruth>(cfg.gt_path, column, cfg.gt_arch_column));
      }
    } catch (const Error& e) {
      throw UsageError(std::string("ground_truth: ") + e.what());
    }
    state.truth =
        std::make_unique<GroundTruth>(cfg.gt_path, cfg.gt_columns.front(), cfg.gt_arch_column);
  }
  ProbeOptions probe;
  probe.seed = cfg.seed;
  probe.batch_size = cfg.batch_size;
  probe.net = spec;
  state.probe = probe;
  // Fails early (before any file is written) when a proxy needs data and there is none.
  ProbeEngine(state.space, state.data, state.slots, probe);
  state.table = ScoreTable([&] {
    std::vector<std::string> names;
    for (const auto& s : state.slots) names.push_back(s.name);
    return names;
  }());

  std::shared_ptr<Strategy> strategy;
  if (cfg.search) strategy = create_component(reg.strategies, cfg.strategy);

  // Architectures for the score stage are resolved (and validated) before work starts too.
  std::vector<Arch> score_archs;
  if (cfg.score) {
    if (cfg.score_archs == "file") {
      score_archs = read_arch_file(*state.space, cfg.score_file);
    } else if (cfg.score_archs == "all") {
      score_archs = state.space->enumerate();
    } else {
      score_archs = sample_distinct(*state.space, cfg.score_count, cfg.seed);
    }
  }

  // Resume: reuse matching scores from an earlier run in this directory.
  const std::string scores_path = dir + "/scores.csv";
  if (fs::exists(scores_path)) {
    for (auto& row : detail::read_scores(scores_path)) {
      auto h = state.hashes.find(row.record.proxy);
      if (h == state.hashes.end() || h->second != row.config_hash) continue;
      state.cache[{row.arch, row.record.proxy}] = row.record;
    }
  }
  {
    YAML::Emitter e;
    e << cfg.root;
    std::ofstream(dir + "/config.resolved.yaml") << "# resolved from " << cfg.path << "\n"
                                                 << e.c_str() << "\n";
  }
  write_env(cfg, dir);
  state.writer = std::make_unique<detail::ScoresWriter>(scores_path);

  Progress progress(options.log_format == LogFormat::kJsonLines, options.progress);
  state.progress = &progress;
  state.on_fresh = ([&](const Evaluation& e) {
    state.writer->append(e, state.hashes);
    state.add_to_table(e);
    progress.advance(1);
  });

  if (cfg.score) {
    progress.start("score", static_cast<std::int64_t>(score_archs.size()));
    const std::size_t step = 16;
    for (std::size_t i = 0; i < score_archs.size(); i += step) {
      std::vector<Arch> chunk(score_archs.begin() + i,
                              score_archs.begin() + std::min(score_archs.size(), i + step));
      state.score(chunk);
    }
    progress.finish();
  }

  for (std::size_t v = 0; v < state.votes.size(); ++v) {
    if (!state.votes[v]->needs_fit()) continue;
    std::vector<double> targets;
    for (const auto& a : state.table.archs()) {
      double x;
      targets.push_back(state.truth->lookup(a, &x) ? x : std::numeric_limits<double>::quiet_NaN());
    }
    state.votes[v]->fit(state.table, targets);
    const std::string vote_dir = dir + "/votes/" + cfg.votes[v].name;
    fs::create_directories(vote_dir);
    state.votes[v]->save(vote_dir);
    progress.message("vote '" + cfg.votes[v].name + "' fitted on `" + cfg.gt_columns.front() +
                     "`; saved in " + vote_dir);
  }

  if (cfg.search) {
    progress.start("search", cfg.budget);
    PipelineSearchContext context(state, cfg.budget, dir + "/search_trace.csv");
    strategy->search(context);
    progress.finish();
    if (context.best()) {
      const Arch& best = state.table.archs()[*context.best()];
      std::ofstream(dir + "/best_arch.txt") << best.str() << "\n";
      std::string line = "best architecture: " + best.str();
      double t;
      if (state.truth && state.truth->lookup(best, &t)) {
        line += " (" + cfg.gt_columns.front() + " = " + detail::format_score(t) + ")";
      }
      progress.message(line);
    } else {
      progress.message("the strategy reported no best architecture");
    }
  }
  if (state.reused) {
    progress.message("reused " + std::to_string(state.reused) +
                     " architectures' scores from an earlier run in " + dir);
  }

  if (state.truth) {
    for (std::size_t k = 0; k < state.truths.size(); ++k) {
      const GroundTruth& gt = *state.truths[k];
      std::vector<double> truth;
      for (const auto& a : state.table.archs()) {
        double t;
        truth.push_back(gt.lookup(a, &t) ? t : std::numeric_limits<double>::quiet_NaN());
      }
      std::vector<ScoreColumn> columns;
      for (const auto& slot : state.slots) {
        columns.push_back(
            {slot.name, slot.info.higher_is_better,
             state.table.column_values(static_cast<std::size_t>(state.table.column(slot.name)))});
      }
      for (std::size_t v = 0; v < state.votes.size() && state.table.rows() > 0; ++v) {
        columns.push_back(vote_report_column(*state.votes[v], cfg.votes[v].name, state.table));
      }
      CorrelationReport report = correlate(columns, truth);
      report.benchmark = cfg.gt_benchmark.empty() ? cfg.gt_path : cfg.gt_benchmark;
      report.column = gt.column();
      // The first column's report sits in the run directory; others in report-<column>/.
      const std::string report_dir = k == 0 ? dir : dir + "/report-" + gt.column();
      fs::create_directories(report_dir);
      const ReportFiles files = write_full_report(report, columns, truth, report_dir);
      for (const auto& w : files.warnings) progress.message("report: " + w);
      progress.message("\n" + format_report(report));
    }
  }
  progress.message("results in " + dir);
  return dir;
}

std::string pipeline_template() {
  return R"(# nas pipeline: every section, with its defaults. `nas plugins inspect NAME` lists the
# parameters of any component.
run:
  name: my-run            # used for the default out_dir
  out_dir: runs/my-run    # scores.csv, reports and traces go here; re-running resumes
  seed: 0                 # master seed: every other seed derives from it
  torch_threads: 1        # intra-op threads per worker
  # workers: 2            # architectures scored at once (default: cores / torch_threads)
  # plugin_paths: [path/to/more/plugins]
data:
  type: fashion_mnist     # or synthetic
  batch_size: 64
  params: {resize: 32, channels: 3}
search_space:
  type: nb201
proxies:                  # each: {type: NAME, name: ALIAS (optional), params: {...}}
  - type: params
  - type: flops
# vote: {type: majority, params: {preset: sjw}}   # the strategy compares with it
# votes: [{type: zscore, name: z, params: {proxies: [params, flops]}}]   # reported too
score:                    # score stage (optional)
  archs: sample           # sample | all | file
  count: 100
  # file: archs.txt       # one architecture string per line
strategy:                 # search stage (optional)
  type: random
  budget: 200             # distinct architectures evaluated
ground_truth:             # optional: correlation report
  benchmark: nb201        # or path: table.csv (with an `arch` column)
  column: cifar10_valid_test
)";
}

}  // namespace nas
