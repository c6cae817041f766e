#include "caching_evaluator.h"

#include <algorithm>
#include <set>

#include "nas/error.h"

namespace nas::detail {

CachingEvaluator::CachingEvaluator(std::unique_ptr<Evaluator> inner,
                                   std::map<std::string, std::string> hashes, ScoresWriter* writer,
                                   Sharing sharing)
    : inner_(std::move(inner)),
      hashes_(std::move(hashes)),
      writer_(writer),
      space_(std::move(sharing.space)) {
  names_ = inner_->proxy_names();
  for (std::size_t i = 0; i < names_.size(); ++i) {
    index_[names_[i]] = i;
    if (!hashes_.count(names_[i]))
      throw Error("caching evaluator: no config hash for proxy '" + names_[i] + "'");
    auto it = sharing.levels.find(names_[i]);
    levels_.push_back(space_ && it != sharing.levels.end() ? it->second : NetworkIdentity::kArch);
  }
  // Fresh records are filed under their class the moment the backend hands them over, and the
  // members waiting on them are persisted at once, so a run killed mid-batch keeps every
  // architecture already finished.
  inner_->set_listener([this](const Evaluation& e) {
    ++networks_;
    for (const auto& r : e.scores) {
      auto it = index_.find(r.proxy);
      if (it == index_.end()) continue;
      ++computed_;
      auto job = job_class_.find({e.arch.str(), it->second});
      const std::string key = job != job_class_.end() ? job->second : class_key(e.arch, it->second);
      by_class_[{key, it->second}] = {r, e.arch.str()};
      if (on_class_record_) on_class_record_(e.arch.str(), it->second);
    }
  });
}

std::string CachingEvaluator::class_key(const Arch& arch, std::size_t proxy) const {
  if (level(proxy) == NetworkIdentity::kArch) return arch.str();
  return space_->network_key(arch, level(proxy));
}

Arch CachingEvaluator::representative(const Arch& arch, std::size_t proxy) const {
  if (level(proxy) == NetworkIdentity::kArch) return arch;
  return space_->representative(arch, level(proxy));
}

std::size_t CachingEvaluator::add_known(const std::vector<ScoreRow>& rows, bool in_this_run) {
  std::size_t taken = 0;
  for (const auto& row : rows) {
    auto it = index_.find(row.record.proxy);
    if (it == index_.end() || hashes_.at(row.record.proxy) != row.config_hash) continue;
    if (row.record.status != ScoreStatus::kOk && row.record.status != ScoreStatus::kNonFinite)
      continue;  // a failure is retried, never reused
    const std::size_t p = it->second;
    if (known_.count({row.arch, p})) continue;  // the first matching row answers
    known_[{row.arch, p}] = row.record;
    if (!in_this_run) not_yet_written_.insert({row.arch, p});
    ++taken;
    // The hash covers the sharing level, so the row is its class's score too.
    std::string key = row.arch;
    if (level(p) != NetworkIdentity::kArch) {
      try {
        key = class_key(Arch(space_->name(), row.arch), p);
      } catch (const std::exception&) {
        continue;  // not an architecture of this space: it answers for itself only
      }
    }
    by_class_.emplace(std::make_pair(key, p), ClassRecord{row.record, row.arch});
  }
  return taken;
}

bool CachingEvaluator::has(const std::string& arch, std::size_t proxy) const {
  return known_.count({arch, proxy}) != 0;
}

std::vector<Evaluation> CachingEvaluator::evaluate_subset(const std::vector<Arch>& archs,
                                                          const std::vector<std::size_t>& proxies) {
  // A requested architecture with the proxies it misses, the class of each, and how many of
  // those classes have no record yet.
  struct Member {
    Arch arch;
    std::vector<std::size_t> missing;
    std::vector<std::string> keys;
    std::size_t left = 0;
  };
  std::vector<Member> members;
  // Jobs for the backend: one per representative, with the proxies it is scored with.
  std::vector<std::pair<Arch, std::vector<std::size_t>>> jobs;
  std::map<std::string, std::size_t> job_of;
  std::map<std::pair<std::string, std::size_t>, std::vector<std::size_t>> waiting;

  auto settle = [&](Member& m) {
    Evaluation e;
    e.arch = m.arch;
    for (std::size_t k = 0; k < m.missing.size(); ++k) {
      const ClassRecord& c = by_class_.at({m.keys[k], m.missing[k]});
      if (c.source != m.arch.str()) ++shared_;
      known_[{m.arch.str(), m.missing[k]}] = c.record;
      e.scores.push_back(c.record);
    }
    if (writer_) writer_->append(e, hashes_);
  };

  std::set<std::string> seen;
  for (const auto& a : archs) {
    if (!seen.insert(a.str()).second) continue;
    Member m;
    m.arch = a;
    Evaluation reused;  // records of other runs, first used now: copied into this run's table
    reused.arch = a;
    for (std::size_t p : proxies) {
      if (!has(a.str(), p)) {
        m.missing.push_back(p);
      } else if (not_yet_written_.erase({a.str(), p})) {
        reused.scores.push_back(known_.at({a.str(), p}));
      }
    }
    if (writer_ && !reused.scores.empty()) writer_->append(reused, hashes_);
    if (m.missing.empty()) {
      ++answered_;
      continue;
    }
    for (std::size_t p : m.missing) {
      m.keys.push_back(class_key(a, p));
      if (by_class_.count({m.keys.back(), p})) continue;  // an equivalent one was scored
      ++m.left;
      const Arch rep = representative(a, p);
      auto [it, added] = job_of.emplace(rep.str(), jobs.size());
      if (added) jobs.push_back({rep, {}});
      std::vector<std::size_t>& subset = jobs[it->second].second;
      if (std::find(subset.begin(), subset.end(), p) == subset.end()) subset.push_back(p);
      auto& waiters = waiting[{rep.str(), p}];
      if (waiters.empty()) job_class_[{rep.str(), p}] = m.keys.back();
      waiters.push_back(members.size());
    }
    members.push_back(std::move(m));
    if (members.back().left == 0) settle(members.back());
  }

  // Group the representatives by the proxies they are scored with; groups keep the order of
  // their first representative, and representatives their order of first need.
  std::vector<std::pair<std::vector<std::size_t>, std::vector<Arch>>> groups;
  for (auto& [rep, subset] : jobs) {
    std::sort(subset.begin(), subset.end());
    bool placed = false;
    for (auto& [s, reps] : groups) {
      if (s == subset) {
        reps.push_back(rep);
        placed = true;
        break;
      }
    }
    if (!placed) groups.push_back({subset, {rep}});
  }
  on_class_record_ = [&](const std::string& rep, std::size_t p) {
    auto it = waiting.find({rep, p});
    if (it == waiting.end()) return;
    for (std::size_t id : it->second) {
      if (--members[id].left == 0) settle(members[id]);
    }
    waiting.erase(it);
  };
  try {
    for (const auto& [subset, reps] : groups) inner_->evaluate_subset(reps, subset);
  } catch (...) {
    on_class_record_ = nullptr;
    job_class_.clear();
    throw;
  }
  on_class_record_ = nullptr;
  job_class_.clear();
  for (const auto& m : members) {
    if (m.left != 0) {
      throw Error("evaluator backend returned no score for " + m.arch.str() +
                  " (or its representative) for every requested proxy");
    }
  }

  std::vector<Evaluation> out(archs.size());
  for (std::size_t i = 0; i < archs.size(); ++i) {
    out[i].arch = archs[i];
    for (std::size_t p : proxies) out[i].scores.push_back(known_.at({archs[i].str(), p}));
    notify(out[i]);
  }
  return out;
}

}  // namespace nas::detail
