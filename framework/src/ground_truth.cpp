#include "nas/ground_truth.h"

#include "nas/csv.h"
#include "nas/error.h"

namespace nas {

GroundTruth::GroundTruth(const std::string& path, const std::string& column,
                         const std::string& arch_column)
    : path_(path), column_(column) {
  CsvTable table = read_csv(path);
  const std::size_t arch_col = table.column(arch_column);
  const std::size_t value_col = table.column(column);
  order_.reserve(table.rows.size());
  values_.reserve(table.rows.size());
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    double v = parse_double(
        row[value_col], path + ":" + std::to_string(table.lines[r]) + ": column '" + column + "'");
    if (!values_.emplace(row[arch_col], v).second) {
      throw Error(path + ":" + std::to_string(table.lines[r]) + ": architecture '" + row[arch_col] +
                  "' appears twice");
    }
    order_.push_back(row[arch_col]);
  }
}

bool GroundTruth::lookup(const Arch& arch, double* value) const {
  return lookup(arch.str(), value);
}

bool GroundTruth::lookup(const std::string& arch, double* value) const {
  auto it = values_.find(arch);
  if (it == values_.end()) return false;
  if (value) *value = it->second;
  return true;
}

double GroundTruth::require(const Arch& arch) const {
  double v;
  if (!lookup(arch, &v)) {
    throw Error("architecture '" + arch.str() + "' is not in the ground-truth table " + path_);
  }
  return v;
}

}  // namespace nas
