#include "nas/score_table.h"

#include <limits>

#include "nas/error.h"

namespace nas {

ScoreTable::ScoreTable(std::vector<std::string> proxies) : proxies_(std::move(proxies)) {}

int ScoreTable::column(const std::string& proxy) const {
  for (std::size_t i = 0; i < proxies_.size(); ++i)
    if (proxies_[i] == proxy) return static_cast<int>(i);
  return -1;
}

void ScoreTable::set(const Arch& arch, const std::string& proxy, double score) {
  int col = column(proxy);
  if (col < 0) {
    proxies_.push_back(proxy);
    for (auto& row : values_) row.push_back(std::numeric_limits<double>::quiet_NaN());
    col = static_cast<int>(proxies_.size()) - 1;
  }
  auto it = index_.find(arch);
  std::size_t r;
  if (it == index_.end()) {
    r = archs_.size();
    archs_.push_back(arch);
    index_.emplace(arch, r);
    values_.emplace_back(proxies_.size(), std::numeric_limits<double>::quiet_NaN());
  } else {
    r = it->second;
  }
  values_[r][static_cast<std::size_t>(col)] = score;
}

std::vector<double> ScoreTable::column_values(std::size_t column) const {
  std::vector<double> out;
  out.reserve(values_.size());
  for (const auto& row : values_) out.push_back(row[column]);
  return out;
}

std::size_t ScoreTable::row_of(const Arch& arch) const {
  auto it = index_.find(arch);
  if (it == index_.end()) throw Error("architecture '" + arch.str() + "' has no scores");
  return it->second;
}

}  // namespace nas
