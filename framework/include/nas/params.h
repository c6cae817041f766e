// Parameters of a component and the schema that declares them.
//
// Contract: every component (proxy, vote, space, strategy, dataset) declares a ParamSchema:
// each parameter's name, type, default and one line of help. The pipeline validates the
// YAML `params:` map of the component against that schema before the component is created:
// an unknown key, a wrong type or a missing required value is an error that names the file,
// the line and the key, and lists the valid keys. A component therefore receives a complete
// Params object (defaults filled in) and never sees YAML. `nas plugins inspect NAME` prints
// the schema.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace nas {

enum class ParamType { kInt, kDouble, kBool, kString, kStringList, kDoubleList };

const char* to_string(ParamType type);

using ParamValue = std::variant<std::int64_t, double, bool, std::string, std::vector<std::string>,
                                std::vector<double>>;

std::string format_value(const ParamValue& value);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kString;
  std::optional<ParamValue> default_value;  // none: the parameter is required
  std::string help;
  std::vector<std::string> choices;  // for kString: the allowed values, if a closed set
};

class ParamSchema {
 public:
  ParamSchema& add_int(std::string name, std::int64_t def, std::string help);
  ParamSchema& add_double(std::string name, double def, std::string help);
  ParamSchema& add_bool(std::string name, bool def, std::string help);
  ParamSchema& add_string(std::string name, std::string def, std::string help,
                          std::vector<std::string> choices = {});
  ParamSchema& add_string_list(std::string name, std::vector<std::string> def, std::string help);
  ParamSchema& add_double_list(std::string name, std::vector<double> def, std::string help);
  ParamSchema& add_required(std::string name, ParamType type, std::string help);

  const std::vector<ParamSpec>& specs() const { return specs_; }
  const ParamSpec* find(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  ParamSchema& add(ParamSpec spec);
  std::vector<ParamSpec> specs_;
};

// Validated parameter values. Getters throw nas::Error when the name is not in the schema
// or the type differs: that is a bug in the component, not in the user's file.
class Params {
 public:
  Params() = default;
  // The schema's defaults; throws if a parameter is required.
  static Params defaults(const ParamSchema& schema, const std::string& component);

  void set(const std::string& name, ParamValue value) { values_[name] = std::move(value); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }

  std::int64_t get_int(const std::string& name) const;
  double get_double(const std::string& name) const;  // an int value converts
  bool get_bool(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  const std::vector<std::string>& get_string_list(const std::string& name) const;
  const std::vector<double>& get_double_list(const std::string& name) const;

  const std::map<std::string, ParamValue>& values() const { return values_; }

 private:
  const ParamValue& at(const std::string& name) const;
  std::map<std::string, ParamValue> values_;
};

}  // namespace nas
