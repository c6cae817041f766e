// Internal: reading validated values out of yaml-cpp nodes with file:line messages.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "nas/params.h"

namespace nas::detail {

// "file:line" of a node, or "file (command-line override)" for nodes without a mark.
std::string where(const std::string& file, const YAML::Node& node);
void require_map(const std::string& file, const YAML::Node& node, const std::string& what);
void check_keys(const std::string& file, const YAML::Node& map, const std::string& section,
                const std::vector<std::string>& allowed);
std::string get_string(const std::string& file, const YAML::Node& map, const std::string& key,
                       const std::string& section, const std::string& fallback);
std::int64_t get_int(const std::string& file, const YAML::Node& map, const std::string& key,
                     const std::string& section, std::int64_t fallback);
double get_double(const std::string& file, const YAML::Node& map, const std::string& key,
                  const std::string& section, double fallback);
bool get_bool(const std::string& file, const YAML::Node& map, const std::string& key,
              const std::string& section, bool fallback);
std::vector<std::string> get_string_list(const std::string& file, const YAML::Node& map,
                                         const std::string& key, const std::string& section);
// Validates `node` (a map or null) against `schema` and fills in defaults.
Params to_params(const std::string& file, const YAML::Node& node, const ParamSchema& schema,
                 const std::string& component);
// Applies one "a.b.c=value" override to the document.
void apply_override(YAML::Node& root, const std::string& assignment);

}  // namespace nas::detail
