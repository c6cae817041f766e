#include "nas/plugin_loader.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <vector>

#include <torch/version.h>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "nas/plugin.h"

namespace nas {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_path_list(const char* value) {
  std::vector<std::string> out;
  if (!value) return out;
  std::string all = value;
  std::size_t start = 0;
  while (start <= all.size()) {
    std::size_t end = all.find(':', start);
    if (end == std::string::npos) end = all.size();
    if (end > start) out.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Directory of libnas.so itself: its plugins sit in <that>/nas/plugins in the build tree and
// in every install tree.
fs::path core_library_dir() { return boost::dll::this_line_location().parent_path(); }

}  // namespace

std::vector<std::string> default_plugin_dirs() {
  std::vector<std::string> dirs = split_path_list(std::getenv("NAS_PLUGIN_PATH"));
  fs::path bundled = core_library_dir() / "nas" / "plugins";
  dirs.push_back(bundled.string());
  std::vector<std::string> existing;
  for (const auto& d : dirs) {
    std::error_code ec;
    if (fs::is_directory(d, ec)) existing.push_back(fs::weakly_canonical(d, ec).string());
  }
  return existing;
}

PluginLoadReport load_plugin(const std::string& file, Registry& registry) {
  PluginLoadReport report;
  report.file = file;
  try {
    auto library = std::make_shared<boost::dll::shared_library>(
        file, boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local);
    if (!library->has("nas_plugin_descriptor")) {
      report.error = "not a nas plugin: no nas_plugin_descriptor entry point";
      return report;
    }
    auto& entry = library->get<const PluginDescriptor*()>("nas_plugin_descriptor");
    const PluginDescriptor* d = entry();
    if (!d) {
      report.error = "the entry point returned no descriptor";
      return report;
    }
    report.plugin = d->name ? d->name : "";
    report.version = d->version ? d->version : "";
    if (d->api_version != kPluginApiVersion) {
      report.error = file + ": built for plugin API version " + std::to_string(d->api_version) +
                     ", but this nas runs API version " + std::to_string(kPluginApiVersion) +
                     "; rebuild the plugin against this framework";
      return report;
    }
    const std::string torch_version = d->torch_version ? d->torch_version : "?";
    if (torch_version != TORCH_VERSION) {
      report.error = file + ": built against LibTorch " + torch_version +
                     ", but this nas runs LibTorch " + std::string(TORCH_VERSION) +
                     "; rebuild the plugin against the same LibTorch";
      return report;
    }
    if (d->cxx11_abi != _GLIBCXX_USE_CXX11_ABI) {
      report.error = file + ": built with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(d->cxx11_abi) +
                     ", but this nas uses " + std::to_string(_GLIBCXX_USE_CXX11_ABI);
      return report;
    }
    // Register into a scratch registry first, so a registration that throws half-way leaves
    // nothing behind, and duplicates are reported before anything is added.
    Registry scratch;
    PluginRegistrar registrar(scratch, report.plugin, fs::weakly_canonical(file).string(),
                              std::static_pointer_cast<void>(library));
    d->register_components(registrar);
    auto merge = [](auto& from, auto& into) {
      for (const auto& [name, component] : from.entries()) {
        if (const auto* existing = into.find(name)) {
          throw Error(from.kind() + " '" + name + "' is registered twice: by " +
                      existing->plugin_file + " and by " + component.plugin_file);
        }
      }
      for (const auto& [name, component] : from.entries()) into.add(component);
    };
    merge(scratch.proxies, registry.proxies);
    merge(scratch.votes, registry.votes);
    merge(scratch.spaces, registry.spaces);
    merge(scratch.strategies, registry.strategies);
    merge(scratch.datasets, registry.datasets);
    merge(scratch.evaluators, registry.evaluators);
    merge(scratch.benchmarks, registry.benchmarks);
    report.loaded = true;
  } catch (const std::exception& e) {
    report.error = e.what();
  }
  return report;
}

const std::vector<PluginLoadReport>& load_plugins(const std::vector<std::string>& extra_dirs) {
  static std::mutex mutex;
  static std::vector<PluginLoadReport> reports;
  static std::set<std::string> scanned_dirs;
  static std::set<std::string> loaded_names;
  std::lock_guard<std::mutex> lock(mutex);

  std::vector<std::string> dirs = split_path_list(std::getenv("NAS_PLUGIN_PATH"));
  for (const auto& d : extra_dirs) dirs.push_back(d);
  for (const auto& d : default_plugin_dirs()) dirs.push_back(d);
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::string key = fs::weakly_canonical(dir, ec).string();
    if (!scanned_dirs.insert(key).second) continue;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("libnas_", 0) == 0 && entry.path().extension() == ".so") {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      if (!loaded_names.insert(f.filename().string()).second) continue;
      reports.push_back(load_plugin(f.string(), Registry::global()));
    }
  }
  return reports;
}

}  // namespace nas
