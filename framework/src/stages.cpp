#include "stages.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "nas/csv.h"
#include "nas/device.h"
#include "nas/error.h"
#include "nas/evaluation_job.h"
#include "nas/plugin.h"
#include "nas/plugin_loader.h"
#include "nas/proxy.h"
#include "nas/registry.h"
#include "nas/report.h"
#include "search_context.h"

namespace nas::detail {

namespace fs = std::filesystem;

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

ComponentSpec spec_of(const ComponentConfig& c) { return {c.type, c.name, c.params}; }

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::vector<Arch> read_arch_file(const SearchSpace& space, const std::string& path) {
  std::string text;
  try {
    text = read_text_file(path);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
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
      throw UsageError(path + ":" + std::to_string(number) + ": " + printable(e.what()));
    }
  }
  if (archs.empty()) throw UsageError(path + ": no architectures in the file");
  return archs;
}

// `count` distinct architectures that satisfy the space's constraints at `spec`.
std::vector<Arch> sample_distinct(const SearchSpace& space, const NetSpec& spec, std::int64_t count,
                                  std::uint64_t seed) {
  if (space.can_enumerate()) {
    std::int64_t valid = 0;
    for (const auto& a : space.enumerate()) valid += space.satisfies_constraints(a, spec) ? 1 : 0;
    if (count > valid) {
      throw UsageError("score.count is " + std::to_string(count) + " but search space '" +
                       space.name() + "' has only " + std::to_string(valid) +
                       " architectures that satisfy its constraints: it could score " +
                       std::to_string(valid) + " (use `score: {archs: all}` for all of them)");
    }
  }
  Rng rng(derive_seed(seed, "score-sample"));
  std::vector<Arch> out;
  std::unordered_set<Arch> seen;
  std::int64_t attempts = 0;
  while (static_cast<std::int64_t>(out.size()) < count) {
    if (++attempts > count * 100 + 1000) {
      throw UsageError("could sample only " + std::to_string(out.size()) + " of " +
                       std::to_string(count) + " distinct architectures of '" + space.name() +
                       "' that satisfy its constraints");
    }
    Arch a = space.sample(rng);
    if (!space.satisfies_constraints(a, spec)) continue;
    if (seen.insert(a).second) out.push_back(a);
  }
  return out;
}

void write_env(const Run& run) {
  nlohmann::json j;
  j["nas_version"] = NAS_VERSION;
  j["torch_version"] = TORCH_VERSION;
  j["cxx11_abi"] = NAS_PLUGIN_CXX11_ABI;
  j["compiler"] = __VERSION__;
  j["seed"] = run.cfg.run.seed;
  j["seed_scheme"] = kSeedSchemeVersion;
  j["workers"] = run.cfg.run.workers;
  j["torch_threads"] = run.cfg.run.torch_threads;
  j["device"] = run.cfg.run.device;
  j["evaluator"] = run.cfg.run.evaluator.type;
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
  write_file_atomic(run.dir + "/env.json", j.dump(2) + "\n");
}

// The level at which a proxy's scores are shared (run.dedup capped by the proxy's own).
NetworkIdentity shared_level(const PipelineConfig& cfg, const ProxyInfo& info) {
  switch (cfg.run.dedup) {
    case Dedup::kNone:
      return NetworkIdentity::kArch;
    case Dedup::kStructure:
      return finer(info.identity, NetworkIdentity::kStructure);
    case Dedup::kAuto:
    default:
      return info.identity;
  }
}

// The manifest of this configuration (rows_file empty: the run has not finished).
RunManifest make_manifest(const Run& run) {
  const PipelineConfig& cfg = run.cfg;
  RunManifest m;
  m.nas_version = NAS_VERSION;
  m.name = cfg.run.name;
  m.seed = cfg.run.seed;
  m.seed_scheme = kSeedSchemeVersion;
  m.space = spec_of(cfg.space);
  m.net_width = cfg.net_width;
  m.net_depth = cfg.net_depth;
  if (cfg.data) m.data = spec_of(*cfg.data);
  m.batch_size = cfg.batch_size;
  // What every score depends on besides its own proxy: the config hash covers all of it.
  const std::string common =
      cfg.space.type + params_fingerprint(cfg.space.params) + "|" +
      (cfg.data ? cfg.data->type + params_fingerprint(cfg.data->params) : std::string()) + "|" +
      std::to_string(cfg.batch_size) + "|" + std::to_string(cfg.run.seed) + "|scheme" +
      std::to_string(kSeedSchemeVersion) +
      // Only when set, so that the scores of the published networks keep their hashes.
      (cfg.net_width || cfg.net_depth
           ? "|net:" + std::to_string(cfg.net_width) + "x" + std::to_string(cfg.net_depth)
           : std::string());
  for (std::size_t i = 0; i < cfg.proxies.size(); ++i) {
    const ComponentConfig& p = cfg.proxies[i];
    ManifestProxy mp;
    mp.component = spec_of(p);
    mp.version = run.slots[i].info.version;
    mp.higher_is_better = run.slots[i].info.higher_is_better;
    // A shared score is the representative's, not the architecture's own: another number.
    const NetworkIdentity level = shared_level(cfg, run.slots[i].info);
    mp.dedup = to_string(level);
    mp.config_hash =
        hex(hash_string(common + "|" + p.type + params_fingerprint(p.params) + "|" + mp.version +
                        (level == NetworkIdentity::kArch ? std::string() : "|dedup:" + mp.dedup)));
    m.proxies.push_back(std::move(mp));
  }
  for (std::size_t v = 0; v < cfg.votes.size(); ++v) {
    ManifestVote mv;
    mv.component = spec_of(cfg.votes[v]);
    mv.guides_search = cfg.vote && *cfg.vote == v;
    m.votes.push_back(std::move(mv));
  }
  if (cfg.search) {
    m.strategy = spec_of(cfg.search->strategy);
    m.budget = cfg.search->budget;
    m.search_seed = cfg.search->seed;
  }
  if (cfg.ground_truth) {
    m.gt_benchmark = cfg.ground_truth->benchmark;
    std::error_code ec;
    m.gt_path = fs::absolute(cfg.ground_truth->path, ec).string();
    m.gt_arch_column = cfg.ground_truth->arch_column;
    m.gt_columns = cfg.ground_truth->columns;
  }
  return m;
}

// Locks `dir`, and says why its earlier run's scores cannot be resumed under `manifest` (empty:
// they can, or there is no earlier run).
std::vector<std::string> lock_and_compare(Run& run, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw UsageError(dir + ": cannot create the run directory (" + ec.message() + ")");
  if (!fs::is_directory(dir, ec)) throw UsageError(dir + ": run.out_dir is not a directory");
  run.lock = std::make_unique<RunDirLock>(dir);
  const std::string path = dir + "/run.json";
  if (!fs::exists(path, ec)) return {};
  return score_differences(RunManifest::read(path), run.manifest);
}

}  // namespace

namespace {
// What every process of a run builds first: the space, the device and the probe data.
std::unique_ptr<Run> start_run(const PipelineConfig& cfg, Progress& progress) {
  Registry& reg = Registry::global();
  auto run = std::make_unique<Run>(cfg);
  Run& r = *run;
  r.progress = &progress;
  r.space = create_component(reg.spaces, cfg.space);
  r.spec.device = cfg.run.device;
  r.spec.width = cfg.net_width;
  r.spec.depth = cfg.net_depth;
  if (cfg.data) {
    r.data = create_component(reg.datasets, *cfg.data);
    r.spec = net_spec_for(r.data->shape(), r.spec);
  }
  return run;
}
}  // namespace

std::unique_ptr<Run> open_follower(const PipelineConfig& cfg, Progress& progress) {
  Registry& reg = Registry::global();
  auto run = start_run(cfg, progress);
  Run& r = *run;
  if (cfg.train)
    r.train_data = cfg.train->data ? create_component(reg.datasets, *cfg.train->data) : r.data;
  return run;
}

std::unique_ptr<Run> open_run(const PipelineConfig& cfg, const RunOptions& options,
                              Progress& progress) {
  Registry& reg = Registry::global();
  // Components first: everything that can fail on bad input fails before a file is written.
  // Refuses a misspelt device, and CUDA where this LibTorch or machine has none, by key.
  resolve_device(cfg.run.device, cfg.run.device_where + ": `run.device`");
  auto run = start_run(cfg, progress);
  Run& r = *run;
  for (const auto& p : cfg.proxies) {
    ProxySlot slot;
    slot.name = p.name;
    slot.proxy = create_component(reg.proxies, p);
    slot.info = slot.proxy->info();
    r.slots.push_back(std::move(slot));
  }
  std::vector<std::string> computed;
  for (const auto& s : r.slots) computed.push_back(s.name);
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
    r.votes.push_back(vote);
  }
  if (cfg.ground_truth) {
    try {
      for (const auto& column : cfg.ground_truth->columns) {
        r.truths.push_back(std::make_unique<GroundTruth>(cfg.ground_truth->path, column,
                                                         cfg.ground_truth->arch_column));
      }
    } catch (const Error& e) {
      throw UsageError(std::string("ground_truth: ") + e.what());
    }
  }
  if (cfg.search) r.strategy = create_component(reg.strategies, cfg.search->strategy);
  if (cfg.train) {
    const TrainStage& t = *cfg.train;
    r.train_data = t.data ? create_component(reg.datasets, *t.data) : r.data;
    const ComponentConfig& dc = t.data ? *t.data : *cfg.data;
    try {
      // Training reads indexed samples; a dataset that only draws probe batches says so here.
      if (r.train_data->size(Split::kTrain) < t.options.batch_size) {
        throw Error("its train split has " + std::to_string(r.train_data->size(Split::kTrain)) +
                    " samples, fewer than train.batch_size " +
                    std::to_string(t.options.batch_size));
      }
    } catch (const std::exception& e) {
      throw UsageError(dc.where + ": data '" + dc.type +
                       "' cannot feed the train stage: " + e.what());
    }
    if (!t.arch.empty()) {
      try {
        r.space->parse(t.arch);
      } catch (const Error& e) {
        throw UsageError(t.where + ": `train.arch`: " + e.what());
      }
    }
  }

  // The data must give a batch of the configured size before any score depends on it: a
  // missing or corrupt file, or a batch larger than the dataset, stops the run here.
  bool needs_data = false;
  for (std::size_t i = 0; i < r.slots.size(); ++i) {
    const ProxyInfo& info = r.slots[i].info;
    const bool wants_data = info.needs_network && (info.needs_data || info.passes != kPassNone);
    if (wants_data && !cfg.data) {
      throw UsageError(cfg.proxies[i].where + ": proxy '" + r.slots[i].name +
                       "' feeds batches through the network, but the pipeline has no `data` "
                       "section: add one (e.g. `data: {type: synthetic}`)");
    }
    needs_data = needs_data || wants_data;
  }
  if (r.data && needs_data) {
    try {
      r.data->batch(cfg.batch_size, derive_seed(cfg.run.seed, "data-check"), Split::kTrain);
    } catch (const std::exception& e) {
      throw UsageError(cfg.data->where + ": data '" + cfg.data->type + "' cannot give a batch of " +
                       std::to_string(cfg.batch_size) + ": " + e.what());
    }
  }

  // The evaluator, from its job description.
  EvaluationJob job;
  job.space = spec_of(cfg.space);
  if (cfg.data) job.data = spec_of(*cfg.data);
  for (const auto& p : cfg.proxies) job.proxies.push_back(spec_of(p));
  job.batch_size = cfg.batch_size;
  job.seed = cfg.run.seed;
  job.seed_scheme = kSeedSchemeVersion;
  job.net = r.spec;
  job.workers = cfg.run.workers;
  job.torch_threads = cfg.run.torch_threads;
  std::shared_ptr<EvaluatorBackend> backend = create_component(reg.evaluators, cfg.run.evaluator);
  std::unique_ptr<Evaluator> inner;
  try {
    inner = backend->create(job);
  } catch (const std::exception& e) {
    throw UsageError(cfg.run.evaluator.where + ": evaluator '" + cfg.run.evaluator.type +
                     "': " + e.what());
  }

  // Score-stage architectures are resolved (and validated) before work starts too.
  r.manifest = make_manifest(r);
  std::map<std::string, std::string> hashes;
  for (const auto& p : r.manifest.proxies) hashes[p.component.name] = p.config_hash;
  r.table = ScoreTable(computed);

  // The run directory: locked, and resumable only under the same configuration.
  r.dir = cfg.run.out_dir;
  std::vector<std::string> diffs = lock_and_compare(r, r.dir);
  if (!diffs.empty()) {
    if (!options.force_new) {
      throw UsageError(r.dir +
                       " holds a run whose scores or search were made under another "
                       "configuration; its keys differ: " +
                       join(diffs, "; ") +
                       ". Use another run.out_dir, or `nas run --force-new` to start over in a "
                       "new directory beside it");
    }
    r.lock.reset();
    for (int k = 2;; ++k) {
      const std::string candidate = cfg.run.out_dir + "-" + std::to_string(k);
      std::error_code ec;
      if (fs::exists(candidate, ec)) continue;
      r.dir = candidate;
      break;
    }
    lock_and_compare(r, r.dir);
    progress.message("the configuration differs from " + cfg.run.out_dir + "'s (" +
                     join(diffs, "; ") + "): starting over in " + r.dir);
  }

  const std::string scores_path = r.dir + "/scores.csv";
  std::vector<ScoreRow> earlier;
  std::error_code ec;
  if (fs::exists(scores_path, ec)) {
    ScoresFile file = read_scores_file(scores_path);
    if (!file.dropped_line.empty()) {
      progress.message(scores_path + ": its last line was incomplete (" +
                       printable(file.dropped_line, 60) +
                       ") and is dropped; the run goes on from the complete rows");
    }
    earlier = std::move(file.rows);
  }
  r.writer = std::make_unique<ScoresWriter>(scores_path);
  CachingEvaluator::Sharing sharing;
  sharing.space = r.space;
  for (const auto& p : r.manifest.proxies)
    sharing.levels[p.component.name] = network_identity_from_string(p.dedup);
  r.evaluator =
      std::make_unique<CachingEvaluator>(std::move(inner), hashes, r.writer.get(), sharing);
  r.evaluator->add_known(earlier);
  for (const auto& other : cfg.run.reuse_scores) {
    // A run directory, or a shipped copy of its table compressed as scores.csv.gz.
    std::string path = other + "/scores.csv";
    if (!fs::is_regular_file(path, ec)) path += ".gz";
    if (!fs::is_regular_file(path, ec)) {
      throw UsageError("run.reuse_scores: " + other + " has no scores.csv (nor scores.csv.gz)");
    }
    const std::size_t taken = r.evaluator->add_known(read_scores_file(path).rows, false);
    progress.message("run.reuse_scores: " + std::to_string(taken) + " scores of " + other +
                     " match this configuration and will be reused");
  }

  write_file_atomic(r.dir + "/run.json", r.manifest.to_json());
  {
    YAML::Emitter e;
    e << cfg.resolved();
    write_file_atomic(r.dir + "/config.resolved.yaml", "# resolved from " + cfg.path +
                                                           ": every default filled in\n" +
                                                           std::string(e.c_str()) + "\n");
  }
  write_env(r);
  return run;
}

namespace {
std::vector<Arch> score_stage_archs(const Run& r) {
  const ScoreStage& s = *r.cfg.score;
  switch (s.archs) {
    case ArchSource::kFile:
      return read_arch_file(*r.space, s.file);
    case ArchSource::kAll:
      return r.space->enumerate();
    case ArchSource::kSample:
      break;
  }
  return sample_distinct(*r.space, r.spec, s.count, r.cfg.run.seed);
}

// The score stage's positions that belong to this run's shard (all of them when unsharded).
std::vector<Arch> shard_of(const std::vector<Arch>& all, int index, int count) {
  std::vector<Arch> out;
  for (std::size_t p = static_cast<std::size_t>(index); p < all.size();
       p += static_cast<std::size_t>(count)) {
    out.push_back(all[p]);
  }
  return out;
}
}  // namespace

void score_stage(Run& r) {
  const std::vector<Arch> all = score_stage_archs(r);
  r.score_positions = static_cast<std::int64_t>(all.size());
  if (r.shard_count > 1 && static_cast<std::int64_t>(all.size()) < r.shard_count) {
    throw UsageError("--shard " + std::to_string(r.shard_index) + "/" +
                     std::to_string(r.shard_count) + ": the score stage has only " +
                     std::to_string(all.size()) + " architectures, fewer than the " +
                     std::to_string(r.shard_count) + " shards; use at most " +
                     std::to_string(all.size()) + " shards");
  }
  const std::vector<Arch> archs = shard_of(all, r.shard_index, r.shard_count);
  r.progress->start("score", static_cast<std::int64_t>(archs.size()));
  const std::size_t before = r.evaluator->answered_from_cache();
  r.evaluator->set_listener([&](const Evaluation&) { r.progress->advance(1); });
  // Chunks big enough to keep every worker of a large distributed evaluator busy (64 nodes of
  // 16 workers); evaluators bound the networks they hold themselves, and rows are persisted as
  // they arrive either way.
  const std::size_t step = 1024;
  for (std::size_t i = 0; i < archs.size(); i += step) {
    std::vector<Arch> chunk(
        archs.begin() + static_cast<std::ptrdiff_t>(i),
        archs.begin() + static_cast<std::ptrdiff_t>(std::min(archs.size(), i + step)));
    for (const auto& e : r.evaluator->evaluate(chunk)) record_in_table(r.table, e);
  }
  r.evaluator->set_listener(nullptr);
  r.progress->finish();
  const std::size_t reused = r.evaluator->answered_from_cache() - before;
  if (reused) {
    r.notes.push_back("score stage: " + std::to_string(reused) +
                      " architectures' scores were already known (an earlier run in " + r.dir +
                      " or run.reuse_scores) and were not recomputed");
  }
}

void fit_votes_stage(Run& r) {
  for (std::size_t v = 0; v < r.votes.size(); ++v) {
    if (!r.votes[v]->needs_fit()) continue;
    std::vector<double> targets;
    for (const auto& a : r.table.archs()) {
      double x;
      targets.push_back(r.truth()->lookup(a, &x) ? x : std::numeric_limits<double>::quiet_NaN());
    }
    r.votes[v]->fit(r.table, targets);
    r.manifest.votes[v].fit_rows = r.table.rows();
    const std::string vote_dir = r.dir + "/votes/" + r.cfg.votes[v].name;
    std::error_code ec;
    fs::create_directories(vote_dir, ec);
    if (ec) throw Error(vote_dir + ": cannot create (" + ec.message() + ")");
    r.votes[v]->save(vote_dir);
    r.progress->message("vote '" + r.cfg.votes[v].name + "' fitted on `" +
                        r.cfg.ground_truth->columns.front() + "`; saved in " + vote_dir);
  }
}

TruthStanding standing_in(const GroundTruth& truth, const Arch& arch) {
  TruthStanding st;
  st.found = truth.lookup(arch, &st.value);
  if (!st.found) return st;
  st.best_value = -std::numeric_limits<double>::infinity();
  for (const auto& a : truth.archs()) {
    double x;
    if (!truth.lookup(a, &x) || std::isnan(x)) continue;
    ++st.of;
    st.best_value = std::max(st.best_value, x);
    if (x > st.value) ++st.rank;
    if (x == st.value) ++st.ties;
  }
  ++st.rank;
  --st.ties;  // not counting itself
  return st;
}

void search_stage(Run& r) {
  const SearchStage& s = *r.cfg.search;
  r.progress->start("search", s.budget);
  SearchSettings settings;
  settings.budget = s.budget;
  settings.seed = s.seed.value_or(r.cfg.run.seed);
  settings.trace_path = r.dir + "/search_trace.csv";
  if (r.cfg.vote) settings.vote = r.votes[*r.cfg.vote].get();
  settings.first_proxy = r.slots.front().name;
  for (const auto& slot : r.slots)
    settings.higher_is_better[slot.name] = slot.info.higher_is_better;
  settings.truth = r.truth();
  settings.on_charged = [&](std::int64_t n) { r.progress->advance(n); };
  PipelineSearchContext context(*r.space, r.spec, *r.evaluator, r.table, std::move(settings));
  r.strategy->search(context);
  context.finish();
  r.progress->finish();
  if (context.used() < s.budget) {
    std::string why = "the strategy stopped after " + std::to_string(context.used()) + " of " +
                      std::to_string(s.budget) + " architectures";
    if (r.space->can_enumerate()) {
      const auto size = static_cast<std::int64_t>(r.space->enumerate().size());
      if (size < s.budget) {
        why += ": search space '" + r.space->name() + "' has only " + std::to_string(size);
      }
    }
    r.notes.push_back(why);
  }
  nlohmann::json result;
  result["strategy"] = s.strategy.type;
  result["budget"] = s.budget;
  result["seed"] = s.seed.value_or(r.cfg.run.seed);
  result["evaluated"] = context.used();
  result["networks_computed"] = r.evaluator->networks_computed();
  result["seconds"] = context.seconds();
  result["best_arch"] = nullptr;
  if (context.best()) {
    const Arch& best = r.table.archs()[*context.best()];
    write_file_atomic(r.dir + "/best_arch.txt", best.str() + "\n");
    result["best_arch"] = best.str();
    r.progress->message("best architecture: " + best.str());
    result["ground_truth"] = nlohmann::json::object();
    for (const auto& gt : r.truths) {
      const TruthStanding st = standing_in(*gt, best);
      if (!st.found) {
        result["ground_truth"][gt->column()] = nullptr;
        r.progress->message("  " + gt->column() + ": not in " + gt->path());
        continue;
      }
      result["ground_truth"][gt->column()] = {{"value", st.value},
                                              {"rank", st.rank},
                                              {"of", st.of},
                                              {"ties", st.ties},
                                              {"best_value", st.best_value}};
      r.progress->message("  " + gt->column() + " = " + format_score(st.value) + ": rank " +
                          std::to_string(st.rank) + " of " + std::to_string(st.of) + " (best " +
                          format_score(st.best_value) + ")");
    }
  } else {
    r.progress->message("the strategy reported no best architecture");
  }
  write_file_atomic(r.dir + "/search_result.json", result.dump(2) + "\n");
}

void report_stage(Run& r) {
  for (std::size_t k = 0; k < r.truths.size(); ++k) {
    const GroundTruth& gt = *r.truths[k];
    std::vector<double> truth;
    for (const auto& a : r.table.archs()) {
      double t;
      truth.push_back(gt.lookup(a, &t) ? t : std::numeric_limits<double>::quiet_NaN());
    }
    std::vector<ScoreColumn> columns;
    for (const auto& slot : r.slots) {
      columns.push_back(
          {slot.name, slot.info.higher_is_better,
           r.table.column_values(static_cast<std::size_t>(r.table.column(slot.name)))});
    }
    for (std::size_t v = 0; v < r.votes.size() && r.table.rows() > 0; ++v) {
      columns.push_back(vote_report_column(*r.votes[v], r.cfg.votes[v].name, r.table));
    }
    CorrelationReport report = correlate(columns, truth);
    report.benchmark = r.cfg.ground_truth->benchmark.empty() ? r.cfg.ground_truth->path
                                                             : r.cfg.ground_truth->benchmark;
    report.column = gt.column();
    // The first column's report sits in the run directory; others in report-<column>/.
    const std::string report_dir = k == 0 ? r.dir : r.dir + "/report-" + gt.column();
    std::error_code ec;
    fs::create_directories(report_dir, ec);
    if (ec) throw Error(report_dir + ": cannot create (" + ec.message() + ")");
    const ReportFiles files = write_full_report(report, columns, truth, report_dir);
    for (const auto& w : files.warnings) r.progress->message("report: " + w);
    r.progress->message("\n" + format_report(report));
  }
}

void close_run(Run& r) {
  std::vector<std::string> levels;
  for (const auto& p : r.manifest.proxies) levels.push_back(p.component.name + ": " + p.dedup);
  r.notes.push_back("networks computed: " + std::to_string(r.evaluator->networks_computed()) +
                    "; scores taken from an equivalent architecture's network: " +
                    std::to_string(r.evaluator->shared()) + " (run.dedup " +
                    to_string(r.cfg.run.dedup) + "; " + join(levels, ", ") + ")");
  std::string rows;
  for (const auto& a : r.table.archs()) rows += a.str() + "\n";
  write_file_atomic(r.dir + "/rows.txt", rows);
  r.manifest.rows_file = "rows.txt";
  write_file_atomic(r.dir + "/run.json", r.manifest.to_json());
}

void write_shard_file(const Run& r) {
  nlohmann::json j;
  j["shard"] = r.shard_index;
  j["of"] = r.shard_count;
  j["positions"] = r.score_positions;
  j["rows"] = r.table.rows();
  j["pipeline"] = r.cfg.path;
  j["fitted_votes"] = nlohmann::json::array();
  for (std::size_t v = 0; v < r.votes.size(); ++v)
    if (r.votes[v]->needs_fit()) j["fitted_votes"].push_back(r.cfg.votes[v].name);
  write_file_atomic(r.dir + "/shard.json", j.dump(2) + "\n");
}

}  // namespace nas::detail
