#include "nas/params.h"

#include <cmath>
#include <sstream>

#include "nas/error.h"

namespace nas {

const char* to_string(ParamType type) {
  switch (type) {
    case ParamType::kInt:
      return "int";
    case ParamType::kDouble:
      return "float";
    case ParamType::kBool:
      return "bool";
    case ParamType::kString:
      return "string";
    case ParamType::kStringList:
      return "list of strings";
    case ParamType::kDoubleList:
      return "list of floats";
  }
  return "unknown";
}

namespace {
// The shortest text that reads back as v bit for bit (1, 0.1, 4096, 1e-06), so that
// `nas plugins inspect` prints 0.1 rather than 0.10000000000000001.
std::string format_double(double v) {
  if (!std::isfinite(v)) {
    std::ostringstream out;
    out << v;
    return out.str();
  }
  // Whole numbers in full (1000000000, not 1e+09): they are budgets and sizes.
  if (v == std::trunc(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  for (int precision = 1; precision <= 17; ++precision) {
    std::ostringstream out;
    out.precision(precision);
    out << v;
    if (std::stod(out.str()) == v) return out.str();
  }
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}
}  // namespace

std::string format_value(const ParamValue& value) {
  struct Visitor {
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return format_double(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const { return v; }
    std::string operator()(const std::vector<std::string>& v) const { return "[" + join(v) + "]"; }
    std::string operator()(const std::vector<double>& v) const {
      std::vector<std::string> parts;
      for (double d : v) parts.push_back(format_double(d));
      return "[" + join(parts) + "]";
    }
  };
  return std::visit(Visitor{}, value);
}

bool Range::contains(double v) const {
  if (!bounded()) return true;
  if (!std::isfinite(v)) return false;
  if (min && (min_exclusive ? !(v > *min) : !(v >= *min))) return false;
  if (max && (max_exclusive ? !(v < *max) : !(v <= *max))) return false;
  return true;
}

std::string Range::text() const {
  const std::string lo =
      min ? (min_exclusive ? "greater than " : "at least ") + format_double(*min) : "";
  const std::string hi =
      max ? (max_exclusive ? "less than " : "at most ") + format_double(*max) : "";
  if (min && max && !min_exclusive && !max_exclusive)
    return "from " + format_double(*min) + " to " + format_double(*max);
  if (min && max) return lo + " and " + hi;
  return min ? lo : hi;
}

ParamSchema& ParamSchema::add(ParamSpec spec) {
  if (find(spec.name)) throw Error("parameter '" + spec.name + "' declared twice");
  if (spec.range.bounded() && spec.default_value) {
    bool ok = true;
    if (const auto* i = std::get_if<std::int64_t>(&*spec.default_value))
      ok = spec.range.contains(static_cast<double>(*i));
    if (const auto* d = std::get_if<double>(&*spec.default_value)) ok = spec.range.contains(*d);
    if (const auto* l = std::get_if<std::vector<double>>(&*spec.default_value))
      for (double d : *l) ok = ok && spec.range.contains(d);
    if (!ok) {
      throw Error("parameter '" + spec.name + "': default " + format_value(*spec.default_value) +
                  " is outside its range (" + spec.range.text() + ")");
    }
  }
  specs_.push_back(std::move(spec));
  return *this;
}
ParamSchema& ParamSchema::add_int(std::string name, std::int64_t def, std::string help,
                                  Range range) {
  return add({std::move(name), ParamType::kInt, ParamValue(def), std::move(help), {}, range});
}
ParamSchema& ParamSchema::add_double(std::string name, double def, std::string help, Range range) {
  return add({std::move(name), ParamType::kDouble, ParamValue(def), std::move(help), {}, range});
}
ParamSchema& ParamSchema::add_bool(std::string name, bool def, std::string help) {
  return add({std::move(name), ParamType::kBool, ParamValue(def), std::move(help), {}, {}});
}
ParamSchema& ParamSchema::add_string(std::string name, std::string def, std::string help,
                                     std::vector<std::string> choices) {
  return add({std::move(name), ParamType::kString, ParamValue(std::move(def)), std::move(help),
              std::move(choices), {}});
}
ParamSchema& ParamSchema::add_string_list(std::string name, std::vector<std::string> def,
                                          std::string help) {
  return add({std::move(name), ParamType::kStringList, ParamValue(std::move(def)),
              std::move(help), {}, {}});
}
ParamSchema& ParamSchema::add_double_list(std::string name, std::vector<double> def,
                                          std::string help, Range range) {
  return add({std::move(name),
              ParamType::kDoubleList,
              ParamValue(std::move(def)),
              std::move(help),
              {},
              range});
}
ParamSchema& ParamSchema::add_required(std::string name, ParamType type, std::string help,
                                       Range range) {
  return add({std::move(name), type, std::nullopt, std::move(help), {}, range});
}

void ParamSchema::check(const Params& params, const std::string& component) const {
  for (const auto& spec : specs_) {
    if (!params.has(spec.name)) continue;
    const ParamValue& v = params.values().at(spec.name);
    auto refuse = [&](const std::string& value, const std::string& valid) {
      throw UsageError(component + ": parameter `" + spec.name + "` is " + value + "; " + valid);
    };
    if (const auto* s = std::get_if<std::string>(&v); s && !spec.choices.empty()) {
      bool ok = false;
      for (const auto& c : spec.choices) ok = ok || c == *s;
      if (!ok) refuse("'" + *s + "'", "valid values: " + join(spec.choices));
    }
    if (!spec.range.bounded()) continue;
    if (const auto* i = std::get_if<std::int64_t>(&v);
        i && !spec.range.contains(static_cast<double>(*i))) {
      refuse(std::to_string(*i), "valid range: " + spec.range.text());
    }
    if (const auto* d = std::get_if<double>(&v); d && !spec.range.contains(*d))
      refuse(format_double(*d), "valid range: " + spec.range.text());
    if (const auto* l = std::get_if<std::vector<double>>(&v)) {
      for (double d : *l)
        if (!spec.range.contains(d)) refuse(format_double(d), "valid range: " + spec.range.text());
    }
  }
}

const ParamSpec* ParamSchema::find(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<std::string> ParamSchema::names() const {
  std::vector<std::string> out;
  for (const auto& s : specs_) out.push_back(s.name);
  return out;
}

Params Params::defaults(const ParamSchema& schema, const std::string& component) {
  Params p;
  for (const auto& spec : schema.specs()) {
    if (!spec.default_value) {
      throw UsageError(component + ": parameter '" + spec.name + "' (" + to_string(spec.type) +
                       ") is required: " + spec.help);
    }
    p.set(spec.name, *spec.default_value);
  }
  return p;
}

const ParamValue& Params::at(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw Error("component asked for undeclared parameter '" + name + "'");
  return it->second;
}

namespace {
template <class T>
const T& typed(const ParamValue& v, const std::string& name, const char* type) {
  if (const T* p = std::get_if<T>(&v)) return *p;
  throw Error("parameter '" + name + "' is not of type " + type);
}
}  // namespace

std::int64_t Params::get_int(const std::string& name) const {
  return typed<std::int64_t>(at(name), name, "int");
}
double Params::get_double(const std::string& name) const {
  const ParamValue& v = at(name);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  return typed<double>(v, name, "float");
}
bool Params::get_bool(const std::string& name) const { return typed<bool>(at(name), name, "bool"); }
const std::string& Params::get_string(const std::string& name) const {
  return typed<std::string>(at(name), name, "string");
}
const std::vector<std::string>& Params::get_string_list(const std::string& name) const {
  return typed<std::vector<std::string>>(at(name), name, "list of strings");
}
const std::vector<double>& Params::get_double_list(const std::string& name) const {
  return typed<std::vector<double>>(at(name), name, "list of floats");
}

}  // namespace nas
