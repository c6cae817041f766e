#include "nas/plugin.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <boost/dll/runtime_symbol_info.hpp>

#include "local_backend.h"
#include "nas/dataset.h"
#include "nas/evaluator.h"
#include "nas/paths.h"
#include "nas/proxy.h"
#include "nas/search_space.h"
#include "nas/strategy.h"
#include "nas/vote.h"

namespace nas {

std::string plugin_layout_problem(std::uint64_t plugin_fingerprint) {
  if (plugin_fingerprint == kPluginLayoutFingerprint) return "";
  auto hex = [](std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
    return std::string(buf);
  };
  return "built with plugin interface layout " + hex(plugin_fingerprint) +
         ", but this nas has layout " + hex(kPluginLayoutFingerprint) +
         " (the sizes of ProxyInfo, ScoreRecord, NetSpec, Params and the registration types "
         "differ: the plugin was built against other nas headers); rebuild the plugin against "
         "this framework";
}

Registry& Registry::global() {
  static Registry registry = [] {
    Registry r;
    detail::register_builtin_evaluators(r);
    return r;
  }();
  return registry;
}

void Registry::add_benchmark(BenchmarkTable table) {
  auto it = benchmarks_.find(table.name);
  if (it != benchmarks_.end()) {
    throw Error("benchmark '" + table.name + "' is registered twice: by " + it->second.plugin_file +
                " and by " + table.plugin_file);
  }
  std::string name = table.name;
  benchmarks_.emplace(std::move(name), std::move(table));
}

const BenchmarkTable* Registry::find_benchmark(const std::string& name) const {
  auto it = benchmarks_.find(name);
  return it == benchmarks_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::benchmark_names() const {
  std::vector<std::string> out;
  for (const auto& [name, table] : benchmarks_) out.push_back(name);
  return out;
}

PluginRegistrar::PluginRegistrar(Registry& registry, std::string plugin, std::string file,
                                 std::shared_ptr<void> library_keepalive)
    : registry_(registry),
      plugin_(std::move(plugin)),
      file_(std::move(file)),
      keepalive_(std::move(library_keepalive)) {}

template <class T>
Component<T> PluginRegistrar::wrap(const std::string& name, const std::string& help,
                                   ParamSchema schema,
                                   std::function<std::shared_ptr<T>(const Params&)> create) const {
  Component<T> c;
  c.name = name;
  c.help = help;
  c.schema = std::move(schema);
  c.plugin = plugin_;
  c.plugin_file = file_;
  // The factory's code lives in the plugin: the holder destroys it before it lets the library
  // go, and every object the factory creates holds the library too (its deleter runs plugin
  // code). Lambda capture order is unspecified, hence the explicit holder.
  struct Holder {
    std::shared_ptr<void> keep;
    std::function<std::shared_ptr<T>(const Params&)> create;
    ~Holder() { create = nullptr; }
  };
  auto holder = std::make_shared<Holder>();
  holder->keep = keepalive_;
  holder->create = std::move(create);
  c.create = [holder](const Params& p) -> std::shared_ptr<T> {
    std::shared_ptr<T> inner = holder->create(p);
    T* raw = inner.get();
    auto guard = std::make_shared<std::pair<std::shared_ptr<void>, std::shared_ptr<T>>>(
        holder->keep, std::move(inner));
    return std::shared_ptr<T>(raw, [guard](T*) mutable {
      guard->second.reset();  // plugin code runs here, while the library is still loaded
      guard.reset();
    });
  };
  return c;
}

template <class T>
void PluginRegistrar::add(ComponentRegistry<T>& table, const std::string& name,
                          const std::string& help, ParamSchema schema,
                          std::function<std::shared_ptr<T>(const Params&)> create) {
  Component<T> c = wrap(name, help, std::move(schema), std::move(create));
  // The schema's choices and ranges hold for every Params a component is made from, however
  // they were made (the YAML reader has checked them already, naming the file and line).
  c.create = [made = std::move(c.create), schema = c.schema,
              label = table.kind() + " '" + name + "'"](const Params& p) {
    schema.check(p, label);
    return made(p);
  };
  table.add(std::move(c));
}

void PluginRegistrar::add_proxy(const std::string& name, const std::string& help,
                                ParamSchema schema,
                                std::function<std::shared_ptr<Proxy>(const Params&)> create) {
  add(registry_.proxies, name, help, std::move(schema), std::move(create));
}
void PluginRegistrar::add_vote(const std::string& name, const std::string& help, ParamSchema schema,
                               std::function<std::shared_ptr<Vote>(const Params&)> create) {
  add(registry_.votes, name, help, std::move(schema), std::move(create));
}
void PluginRegistrar::add_space(const std::string& name, const std::string& help,
                                ParamSchema schema,
                                std::function<std::shared_ptr<SearchSpace>(const Params&)> create) {
  add(registry_.spaces, name, help, std::move(schema), std::move(create));
}
void PluginRegistrar::add_strategy(const std::string& name, const std::string& help,
                                   ParamSchema schema,
                                   std::function<std::shared_ptr<Strategy>(const Params&)> create) {
  add(registry_.strategies, name, help, std::move(schema), std::move(create));
}
void PluginRegistrar::add_dataset(const std::string& name, const std::string& help,
                                  ParamSchema schema,
                                  std::function<std::shared_ptr<Dataset>(const Params&)> create) {
  add(registry_.datasets, name, help, std::move(schema), std::move(create));
}
void PluginRegistrar::add_evaluator(
    const std::string& name, const std::string& help, ParamSchema schema,
    std::function<std::shared_ptr<EvaluatorBackend>(const Params&)> create) {
  add(registry_.evaluators, name, help, std::move(schema), std::move(create));
}

void PluginRegistrar::add_benchmark(const std::string& name, const std::string& space,
                                    const std::string& relative_path, const std::string& help) {
  BenchmarkTable table{name, space, data_path(relative_path), help, plugin_, file_};
  if (table.path.empty()) table.path = relative_path;  // reported as missing when used
  registry_.add_benchmark(std::move(table));
}

std::string PluginRegistrar::data_path(const std::string& relative_path) const {
  return data_path(relative_path, source_data_dir);
}

std::string PluginRegistrar::data_path(const std::string& relative_path,
                                       const std::string& source_dir) const {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  for (const auto& dir : split_path_list(std::getenv("NAS_DATA_PATH"))) {
    candidates.push_back(fs::path(dir) / plugin_);
  }
  // Installed: <prefix>/lib/nas/plugins/libnas_x.so -> <prefix>/share/nas/data/<plugin>.
  fs::path lib = fs::path(file_).parent_path();
  candidates.push_back(lib / ".." / ".." / ".." / "share" / "nas" / "data" / plugin_);
  if (!source_dir.empty()) candidates.push_back(source_dir);
  for (const auto& dir : candidates) {
    std::error_code ec;
    fs::path p = dir / relative_path;
    if (fs::exists(p, ec)) return fs::weakly_canonical(p, ec).string();
  }
  return "";
}

}  // namespace nas
