// GroundTruth: benchmark accuracies looked up by canonical architecture string.
//
// Contract: a table is a CSV file (optionally gzip-compressed) with a header row, one column
// holding canonical architecture strings (`arch` by default) and numeric columns. It is read
// once; lookups are hash lookups. An unknown column is an error listing the columns; an
// architecture not in the table is reported as absent (lookup returns false), and require()
// turns that into an error naming the table. Kept apart from the spaces on purpose: a space
// works where no benchmark exists, and any CSV with an arch column serves.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "nas/arch.h"

namespace nas {

class GroundTruth {
 public:
  GroundTruth(const std::string& path, const std::string& column,
              const std::string& arch_column = "arch");

  const std::string& path() const { return path_; }
  const std::string& column() const { return column_; }
  std::size_t size() const { return values_.size(); }
  bool lookup(const Arch& arch, double* value) const;
  // The same, by canonical architecture string (an entry of archs()).
  bool lookup(const std::string& arch, double* value) const;
  double require(const Arch& arch) const;
  // The table's architecture strings, in file order.
  const std::vector<std::string>& archs() const { return order_; }

 private:
  std::string path_;
  std::string column_;
  std::vector<std::string> order_;
  std::unordered_map<std::string, double> values_;
};

}  // namespace nas
