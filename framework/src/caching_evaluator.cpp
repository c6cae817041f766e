#include "caching_evaluator.h"

#include "nas/error.h"

namespace nas::detail {

CachingEvaluator::CachingEvaluator(std::unique_ptr<Evaluator> inner,
                                   std::map<std::string, std::string> hashes,
                                   ScoresWriter* writer)
    : inner_(std::move(inner)), hashes_(std::move(hashes)), writer_(writer) {
  names_ = inner_->proxy_names();
  for (std::size_t i = 0; i < names_.size(); ++i) {
    index_[names_[i]] = i;
    if (!hashes_.count(names_[i])) throw Error("caching evaluator: no config hash for proxy '" +
                                               names_[i] + "'");
  }
  // Fresh records are persisted and remembered the moment the backend hands them over, so a
  // run killed mid-batch keeps every architecture already finished.
  inner_->set_listener([this](const Evaluation& e) {
    if (writer_) writer_->append(e, hashes_);
    for (const auto& r : e.scores) {
      auto it = index_.find(r.proxy);
      if (it != index_.end()) known_[{e.arch.str(), it->second}] = r;
      ++computed_;
    }
  });
}

std::size_t CachingEvaluator::add_known(const std::vector<ScoreRow>& rows) {
  std::size_t taken = 0;
  for (const auto& row : rows) {
    auto it = index_.find(row.record.proxy);
    if (it == index_.end() || hashes_.at(row.record.proxy) != row.config_hash) continue;
    if (row.record.status != ScoreStatus::kOk && row.record.status != ScoreStatus::kNonFinite)
      continue;  // a failure is retried, never reused
    known_[{row.arch, it->second}] = row.record;
    ++taken;
  }
  return taken;
}

bool CachingEvaluator::has(const std::string& arch, std::size_t proxy) const {
  return known_.count({arch, proxy}) != 0;
}

std::vector<Evaluation> CachingEvaluator::evaluate_subset(
    const std::vector<Arch>& archs, const std::vector<std::size_t>& proxies) {
  // Group the distinct architectures by the proxies they still miss; groups keep the order of
  // their first member, and members their input order.
  std::vector<std::pair<std::vector<std::size_t>, std::vector<Arch>>> groups;
  std::map<std::string, bool> seen;
  for (const auto& a : archs) {
    if (!seen.emplace(a.str(), true).second) continue;
    std::vector<std::size_t> missing;
    for (std::size_t p : proxies) {
      if (!has(a.str(), p)) missing.push_back(p);
    }
    if (missing.empty()) {
      ++answered_;
      continue;
    }
    bool placed = false;
    for (auto& [subset, members] : groups) {
      if (subset == missing) {
        members.push_back(a);
        placed = true;
        break;
      }
    }
    if (!placed) groups.push_back({missing, {a}});
  }
  for (const auto& [subset, members] : groups) inner_->evaluate_subset(members, subset);

  std::vector<Evaluation> out(archs.size());
  for (std::size_t i = 0; i < archs.size(); ++i) {
    out[i].arch = archs[i];
    for (std::size_t p : proxies) out[i].scores.push_back(known_.at({archs[i].str(), p}));
    notify(out[i]);
  }
  return out;
}

}  // namespace nas::detail
