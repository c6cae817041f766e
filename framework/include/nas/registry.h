// Registry: the typed tables of components that YAML pipelines can name.
//
// Contract: one table per component kind (proxy, vote, space, strategy, dataset, benchmark
// table). Names are unique within a kind: registering a name twice is refused with a message
// naming both plugin files. get() of an unknown name throws nas::UsageError listing the valid
// names. Each entry carries its parameter schema and help, so `nas plugins inspect` can print
// them, and a factory that creates the component from validated Params. Objects a factory
// returns keep their plugin's shared library loaded for as long as they live.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nas/error.h"
#include "nas/params.h"

namespace nas {

class Proxy;
class Vote;
class SearchSpace;
class Strategy;
class Dataset;
class EvaluatorBackend;

template <class T>
struct Component {
  using Factory = std::function<std::shared_ptr<T>(const Params&)>;
  std::string name;
  std::string help;
  ParamSchema schema;
  Factory create;
  std::string plugin;       // the plugin's name ("builtin" for the core's own)
  std::string plugin_file;  // the shared library it came from
};

template <class T>
class ComponentRegistry {
 public:
  explicit ComponentRegistry(std::string kind) : kind_(std::move(kind)) {}

  void add(Component<T> component) {
    auto it = entries_.find(component.name);
    if (it != entries_.end()) {
      throw Error(kind_ + " '" + component.name + "' is registered twice: by " +
                  it->second.plugin_file + " and by " + component.plugin_file);
    }
    std::string name = component.name;
    entries_.emplace(std::move(name), std::move(component));
  }
  const Component<T>* find(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }
  const Component<T>& get(const std::string& name) const {
    if (const Component<T>* c = find(name)) return *c;
    throw UsageError("unknown " + kind_ + " '" + name + "'; valid " + kind_ +
                     "s: " + (entries_.empty() ? std::string("(none loaded)") : join(names())));
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, entry] : entries_) out.push_back(name);
    return out;
  }
  const std::string& kind() const { return kind_; }
  std::string plural() const {
    if (kind_ == "proxy") return "proxies";
    if (kind_ == "strategy") return "strategies";
    return kind_ + "s";
  }
  const std::map<std::string, Component<T>>& entries() const { return entries_; }

 private:
  std::string kind_;
  std::map<std::string, Component<T>> entries_;
};

// A named benchmark table (ground truth) shipped by a plugin, e.g. `nb201`.
struct BenchmarkTable {
  std::string name;
  std::string space;  // the search space its arch column belongs to
  std::string path;   // resolved absolute path of the CSV (may be .gz)
  std::string help;
  std::string plugin;
  std::string plugin_file;
};

class Registry {
 public:
  ComponentRegistry<Proxy> proxies{"proxy"};
  ComponentRegistry<Vote> votes{"vote"};
  ComponentRegistry<SearchSpace> spaces{"search space"};
  ComponentRegistry<Strategy> strategies{"strategy"};
  ComponentRegistry<Dataset> datasets{"dataset"};
  ComponentRegistry<EvaluatorBackend> evaluators{"evaluator"};
  ComponentRegistry<BenchmarkTable> benchmarks{"benchmark"};

  const BenchmarkTable* find_benchmark(const std::string& name) const {
    const Component<BenchmarkTable>* c = benchmarks.find(name);
    if (!c) return nullptr;
    cache_ = *c->create(Params());
    return &cache_;
  }
  std::vector<std::string> benchmark_names() const { return benchmarks.names(); }

  // The process-wide registry that the plugin loader fills.
  static Registry& global();

 private:
  mutable BenchmarkTable cache_;
};

}  // namespace nas
