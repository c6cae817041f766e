#include "config_yaml.h"

#include <cmath>

#include "nas/error.h"

namespace nas::detail {

std::string where(const std::string& file, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return file + " (command-line override)";
  return file + ":" + std::to_string(mark.line + 1);
}

void require_map(const std::string& file, const YAML::Node& node, const std::string& what) {
  if (!node.IsMap()) {
    throw UsageError(where(file, node) + ": `" + what + "` must be a mapping (key: value)");
  }
}

void check_keys(const std::string& file, const YAML::Node& map, const std::string& section,
                const std::vector<std::string>& allowed) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    bool ok = false;
    for (const auto& a : allowed) ok = ok || a == key;
    if (!ok) {
      throw UsageError(where(file, it->first) + ": unknown key '" + key + "' in `" + section +
                       "`; valid keys: " + join(allowed));
    }
  }
}

namespace {
[[noreturn]] void type_error(const std::string& file, const YAML::Node& node,
                             const std::string& key, const std::string& expected) {
  std::string found = node.IsScalar()     ? "'" + node.Scalar() + "'"
                      : node.IsSequence() ? std::string("a list")
                      : node.IsMap()      ? std::string("a mapping")
                                          : std::string("nothing");
  throw UsageError(where(file, node) + ": `" + key + "` must be " + expected + ", found " + found);
}

std::int64_t as_int(const std::string& file, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) type_error(file, node, key, "an integer");
  try {
    std::size_t used = 0;
    const std::string& s = node.Scalar();
    long long v = std::stoll(s, &used);
    if (used != s.size()) type_error(file, node, key, "an integer");
    return v;
  } catch (const std::logic_error&) {
    type_error(file, node, key, "an integer");
  }
}

double as_double(const std::string& file, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) type_error(file, node, key, "a number");
  const std::string& s = node.Scalar();
  try {
    std::size_t used = 0;
    double v = std::stod(s, &used);
    if (used != s.size()) type_error(file, node, key, "a number");
    return v;
  } catch (const std::logic_error&) {
    if (s == ".nan" || s == ".NaN") return std::nan("");
    if (s == ".inf") return HUGE_VAL;
    if (s == "-.inf") return -HUGE_VAL;
    type_error(file, node, key, "a number");
  }
}

bool as_bool(const std::string& file, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) type_error(file, node, key, "true or false");
  const std::string& s = node.Scalar();
  if (s == "true" || s == "True" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "False" || s == "no" || s == "off") return false;
  type_error(file, node, key, "true or false");
}

std::string as_string(const std::string& file, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) type_error(file, node, key, "a string");
  return node.Scalar();
}
}  // namespace

std::string get_string(const std::string& file, const YAML::Node& map, const std::string& key,
                       const std::string& section, const std::string& fallback) {
  const YAML::Node n = map[key];
  if (!n) return fallback;
  return as_string(file, n, section + "." + key);
}

std::int64_t get_int(const std::string& file, const YAML::Node& map, const std::string& key,
                     const std::string& section, std::int64_t fallback) {
  const YAML::Node n = map[key];
  if (!n) return fallback;
  return as_int(file, n, section + "." + key);
}

double get_double(const std::string& file, const YAML::Node& map, const std::string& key,
                  const std::string& section, double fallback) {
  const YAML::Node n = map[key];
  if (!n) return fallback;
  return as_double(file, n, section + "." + key);
}

bool get_bool(const std::string& file, const YAML::Node& map, const std::string& key,
              const std::string& section, bool fallback) {
  const YAML::Node n = map[key];
  if (!n) return fallback;
  return as_bool(file, n, section + "." + key);
}

std::vector<std::string> get_string_list(const std::string& file, const YAML::Node& map,
                                         const std::string& key, const std::string& section) {
  std::vector<std::string> out;
  const YAML::Node n = map[key];
  if (!n) return out;
  if (n.IsScalar()) return {n.Scalar()};
  if (!n.IsSequence()) type_error(file, n, section + "." + key, "a list of strings");
  for (const auto& item : n) out.push_back(as_string(file, item, section + "." + key));
  return out;
}

Params to_params(const std::string& file, const YAML::Node& node, const ParamSchema& schema,
                 const std::string& component) {
  Params p;
  if (node && !node.IsNull()) {
    if (!node.IsMap()) {
      throw UsageError(where(file, node) + ": `params` of " + component + " must be a mapping");
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      const ParamSpec* spec = schema.find(key);
      if (!spec) {
        throw UsageError(where(file, it->first) + ": " + component + " has no parameter '" + key +
                         "'; valid parameters: " +
                         (schema.specs().empty() ? std::string("(none)") : join(schema.names())));
      }
      const YAML::Node v = it->second;  // a copy: the iterator yields a temporary pair
      const std::string label = component + " parameter `" + key + "`";
      // The schema's range, checked on the value as written.
      auto in_range = [&](double x, const YAML::Node& at) {
        if (spec->range.contains(x)) return;
        throw UsageError(where(file, at) + ": " + label + " is " + at.Scalar() +
                         "; valid range: " + spec->range.text());
      };
      switch (spec->type) {
        case ParamType::kInt: {
          const std::int64_t i = as_int(file, v, label);
          in_range(static_cast<double>(i), v);
          p.set(key, i);
          break;
        }
        case ParamType::kDouble: {
          const double d = as_double(file, v, label);
          in_range(d, v);
          p.set(key, d);
          break;
        }
        case ParamType::kBool:
          p.set(key, as_bool(file, v, label));
          break;
        case ParamType::kString: {
          std::string s = as_string(file, v, label);
          if (!spec->choices.empty()) {
            bool ok = false;
            for (const auto& c : spec->choices) ok = ok || c == s;
            if (!ok) {
              throw UsageError(where(file, v) + ": " + label + " is '" + s +
                               "'; valid values: " + join(spec->choices));
            }
          }
          p.set(key, s);
          break;
        }
        case ParamType::kStringList: {
          std::vector<std::string> list;
          if (v.IsScalar()) {
            list.push_back(v.Scalar());
          } else if (v.IsSequence()) {
            for (const auto& item : v) list.push_back(as_string(file, item, label));
          } else {
            type_error(file, v, label, "a list of strings");
          }
          p.set(key, list);
          break;
        }
        case ParamType::kDoubleList: {
          std::vector<double> list;
          if (!v.IsSequence()) type_error(file, v, label, "a list of numbers");
          for (const auto& item : v) {
            list.push_back(as_double(file, item, label));
            in_range(list.back(), item);
          }
          p.set(key, list);
          break;
        }
      }
    }
  }
  for (const auto& spec : schema.specs()) {
    if (p.has(spec.name)) continue;
    if (!spec.default_value) {
      throw UsageError(where(file, node) + ": " + component + " needs parameter '" + spec.name +
                       "' (" + to_string(spec.type) + "): " + spec.help);
    }
    p.set(spec.name, *spec.default_value);
  }
  return p;
}

void apply_override(YAML::Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw UsageError("override '" + assignment + "' must look like section.key=value");
  }
  const std::string path = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw UsageError("override '" + assignment + "': value is not valid YAML (" + e.msg + ")");
  }
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto dot = path.find('.', start);
    parts.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  // yaml-cpp nodes are handles: walking with operator[] on copies edits the tree in place.
  std::vector<YAML::Node> chain{root};
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (next && !next.IsMap()) {
      throw UsageError("override '" + assignment + "': '" + parts[i] + "' is not a mapping");
    }
    chain.push_back(next);
  }
  // A scalar is rebuilt without a source mark, so messages say it came from the command line.
  if (value.IsScalar()) value = YAML::Node(value.Scalar());
  chain.back()[parts.back()] = value;
}

}  // namespace nas::detail
