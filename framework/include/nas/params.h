// Parameters of a component and the schema that declares them.
//
// Contract: every component (proxy, vote, space, strategy, dataset) declares a ParamSchema:
// each parameter's name, type, default and one line of help, with the allowed values of a
// string and the range of a number. The pipeline validates the YAML `params:` map of the
// component against that schema before the component is created: an unknown key, a wrong
// type, a value outside its choices or its range, or a missing required value is an error that
// names the file, the line and the key, and lists the valid keys, values or range. A component
// therefore receives a complete Params object (defaults filled in), in range, and never sees
// YAML: it does not re-check what its schema declares. `nas plugins inspect NAME` prints the
// schema.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace nas {

class Params;

enum class ParamType { kInt, kDouble, kBool, kString, kStringList, kDoubleList };

const char* to_string(ParamType type);

using ParamValue = std::variant<std::int64_t, double, bool, std::string, std::vector<std::string>,
                                std::vector<double>>;

std::string format_value(const ParamValue& value);

// The range of a number (kInt, kDouble, and each element of kDoubleList). Bounds are
// inclusive unless min_exclusive / max_exclusive; a bounded number must also be finite (no NaN,
// no inf).
struct Range {
  std::optional<double> min;
  std::optional<double> max;
  bool min_exclusive = false;
  bool max_exclusive = false;

  bool bounded() const { return min || max; }
  bool contains(double v) const;
  // "at least 1", "greater than 0", "at most 6", "less than 1", "from 1 to 4096", "greater
  // than 0 and at most 1", "at least 0 and less than 1"; "" when unbounded.
  std::string text() const;
};
inline Range at_least(double min) { return {min, std::nullopt, false, false}; }
inline Range greater_than(double min) { return {min, std::nullopt, true, false}; }
inline Range at_most(double max) { return {std::nullopt, max, false, false}; }
inline Range between(double min, double max) { return {min, max, false, false}; }
// [min, max): a momentum, a probability that must leave something over.
inline Range from_below(double min, double max) { return {min, max, false, true}; }

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kString;
  std::optional<ParamValue> default_value;  // none: the parameter is required
  std::string help;
  std::vector<std::string> choices;  // for kString: the allowed values, if a closed set
  Range range;                       // for numbers: the allowed values, if bounded
};

class ParamSchema {
 public:
  // A default outside `range` is a bug in the component: nas::Error.
  ParamSchema& add_int(std::string name, std::int64_t def, std::string help, Range range = {});
  ParamSchema& add_double(std::string name, double def, std::string help, Range range = {});
  ParamSchema& add_bool(std::string name, bool def, std::string help);
  ParamSchema& add_string(std::string name, std::string def, std::string help,
                          std::vector<std::string> choices = {});
  ParamSchema& add_string_list(std::string name, std::vector<std::string> def, std::string help);
  ParamSchema& add_double_list(std::string name, std::vector<double> def, std::string help,
                               Range range = {});
  ParamSchema& add_required(std::string name, ParamType type, std::string help, Range range = {});

  const std::vector<ParamSpec>& specs() const { return specs_; }
  // Checks the values `params` holds against their choices and ranges; a value outside them
  // is a nas::UsageError naming `component`, the parameter, the value and what is valid. The
  // registry runs it before every factory call, so a component never sees such a value,
  // whatever made its Params (the YAML reader checks first, with the file and line).
  void check(const Params& params, const std::string& component) const;
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
