// Registry: the typed tables of components that YAML pipelines can name.
//
// Contract: one table per component kind (proxy, vote, search space, strategy, dataset,
// evaluator), each with its kind's name and plural for messages ("valid strategies: ...").
// Names are unique within a kind: registering a name twice is refused with a message naming
// both plugin files. get() of an unknown name throws nas::UsageError listing the valid names.
// Each entry carries its parameter schema and help, so `nas plugins inspect` can print them,
// and a factory that creates the component from validated Params. Objects a factory returns
// keep their plugin's shared library loaded for as long as they live.
//
// Code that must treat every kind alike (the loader's merge, `nas plugins list`) goes through
// Registry::for_each_table, so a new kind is one line in for_each_kind. Benchmark tables are
// data, not components: a plain map from name to BenchmarkTable.
//
// Thread safety: the registry is filled by the plugin loader (under its own lock) and read
// without one. Load every plugin before starting threads that read it; reading from several
// threads once loading is done is safe.
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
  // `kind` and `plural` as messages print them: ("strategy", "strategies").
  ComponentRegistry(std::string kind, std::string plural)
      : kind_(std::move(kind)), plural_(std::move(plural)) {}

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
    throw UsageError("unknown " + kind_ + " '" + printable(name) + "'; valid " + plural_ + ": " +
                     (entries_.empty() ? std::string("(none loaded)") : join(names())));
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, entry] : entries_) out.push_back(name);
    return out;
  }
  const std::string& kind() const { return kind_; }
  const std::string& plural() const { return plural_; }
  const std::map<std::string, Component<T>>& entries() const { return entries_; }

 private:
  std::string kind_;
  std::string plural_;
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
  ComponentRegistry<SearchSpace> spaces{"search space", "search spaces"};
  ComponentRegistry<Dataset> datasets{"dataset", "datasets"};
  ComponentRegistry<Proxy> proxies{"proxy", "proxies"};
  ComponentRegistry<Vote> votes{"vote", "votes"};
  ComponentRegistry<Strategy> strategies{"strategy", "strategies"};
  ComponentRegistry<EvaluatorBackend> evaluators{"evaluator", "evaluators"};

  // The one list of component kinds: calls f(&Registry::table) for each, in listing order.
  // Use it to walk the same kind in two registries (`scratch.*member`, `global.*member`).
  template <class F>
  static void for_each_kind(F&& f) {
    f(&Registry::spaces);
    f(&Registry::datasets);
    f(&Registry::proxies);
    f(&Registry::votes);
    f(&Registry::strategies);
    f(&Registry::evaluators);
  }
  // Calls f(table) for each component table of this registry, in listing order.
  template <class F>
  void for_each_table(F&& f) {
    for_each_kind([&](auto member) { f(this->*member); });
  }
  template <class F>
  void for_each_table(F&& f) const {
    for_each_kind([&](auto member) { f(this->*member); });
  }

  // Benchmark tables by name. add_benchmark refuses a name registered twice, naming both files.
  void add_benchmark(BenchmarkTable table);
  const BenchmarkTable* find_benchmark(const std::string& name) const;  // nullptr if unknown
  std::vector<std::string> benchmark_names() const;
  const std::map<std::string, BenchmarkTable>& benchmarks() const { return benchmarks_; }

  // The process-wide registry that the plugin loader fills (see "Thread safety" above).
  static Registry& global();

 private:
  std::map<std::string, BenchmarkTable> benchmarks_;
};

}  // namespace nas
