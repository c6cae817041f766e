// A search space from the bundled plugins, as the space tests use one: its component by type
// (a missing one names the plugins that failed to load), a space with some parameters set over
// the defaults, the tables its plugin ships, and the parameter count of a built network.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include <torch/nn/module.h>

#include "nas/params.h"
#include "nas/plugin_loader.h"
#include "nas/registry.h"
#include "nas/search_space.h"

namespace nas::test {

inline const nas::Component<nas::SearchSpace>& space_component(const std::string& type) {
  std::string failures;
  for (const auto& report : nas::load_plugins()) {
    if (!report.loaded) failures += "\n  " + report.file + ": " + report.error;
  }
  const auto* component = nas::Registry::global().spaces.find(type);
  if (component == nullptr) throw std::runtime_error(type + " plugin not loaded" + failures);
  return *component;
}

// The space `type` with the defaults of its schema, `set` overriding some of them.
inline std::shared_ptr<nas::SearchSpace> make_space(
    const std::string& type, const std::map<std::string, nas::ParamValue>& set = {}) {
  const auto& component = space_component(type);
  nas::Params params = nas::Params::defaults(component.schema, type);
  for (const auto& [name, value] : set) params.set(name, value);
  return component.create(params);
}

// A file of spaces/<type>/data in the source tree (NAS_SOURCE_DIR is set by ctest).
inline std::string space_data_file(const std::string& type, const std::string& name) {
  const char* source = std::getenv("NAS_SOURCE_DIR");
  if (source == nullptr) throw std::runtime_error("NAS_SOURCE_DIR is not set (run through ctest)");
  return std::string(source) + "/spaces/" + type + "/data/" + name;
}

// The number of scalars in the parameters a network really holds (what params() predicts).
inline std::int64_t param_count(const torch::nn::Module& net) {
  std::int64_t count = 0;
  for (const auto& p : net.parameters()) count += p.numel();
  return count;
}

}  // namespace nas::test
