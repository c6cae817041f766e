// ScoreTable: proxy scores of many architectures, one column per proxy.
//
// Contract: rows are architectures in insertion order, columns are proxies; a missing or
// failed score is NaN. Votes and reports read it; the evaluator's results fill it.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "nas/arch.h"

namespace nas {

class ScoreTable {
 public:
  ScoreTable() = default;
  explicit ScoreTable(std::vector<std::string> proxies);

  const std::vector<std::string>& proxies() const { return proxies_; }
  std::size_t rows() const { return archs_.size(); }
  const std::vector<Arch>& archs() const { return archs_; }
  // Index of a proxy column, or -1.
  int column(const std::string& proxy) const;
  // Adds (or overwrites) one score; adds the row and column as needed.
  void set(const Arch& arch, const std::string& proxy, double score);
  double get(std::size_t row, std::size_t column) const { return values_[row][column]; }
  const std::vector<double>& row(std::size_t r) const { return values_[r]; }
  std::vector<double> column_values(std::size_t column) const;
  std::size_t row_of(const Arch& arch) const;  // throws if absent
  bool has(const Arch& arch) const { return index_.count(arch) != 0; }

 private:
  std::vector<std::string> proxies_;
  std::vector<Arch> archs_;
  std::unordered_map<Arch, std::size_t> index_;
  std::vector<std::vector<double>> values_;
};

}  // namespace nas
