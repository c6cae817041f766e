#include "search_context.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "nas/csv.h"
#include "nas/error.h"
#include "run_files.h"

namespace nas::detail {

void record_in_table(ScoreTable& table, const Evaluation& e) {
  for (const auto& r : e.scores) table.set(e.arch, r.proxy, r.score);
}

PipelineSearchContext::PipelineSearchContext(const SearchSpace& space, const NetSpec& spec,
                                             Evaluator& evaluator, ScoreTable& table,
                                             SearchSettings settings)
    : space_(space),
      spec_(spec),
      evaluator_(evaluator),
      table_(table),
      settings_(std::move(settings)),
      rng_(derive_seed(settings_.seed, "strategy")) {
  trace_.open(settings_.trace_path, std::ios::trunc);
  if (!trace_) throw Error(settings_.trace_path + ": cannot open for writing");
  trace_ << "step,arch";
  for (const auto& p : table_.proxies()) trace_ << "," << csv_field(p);
  trace_ << ",became_best,best_arch";
  if (settings_.truth) trace_ << ",best_truth";
  trace_ << ",seconds\n";
  started_ = std::chrono::steady_clock::now();
}

std::vector<Candidate> PipelineSearchContext::evaluate(const std::vector<Arch>& archs) {
  flush_trace();
  std::vector<Arch> fresh;
  std::set<std::string> in_batch;
  std::vector<Candidate> out;
  std::size_t accepted = 0;  // the prefix of archs the budget allows
  for (const auto& a : archs) {
    const std::string key = a.str();
    if (evaluated_.count(key) || in_batch.count(key)) {
      ++accepted;
      continue;
    }
    if (used() + static_cast<std::int64_t>(fresh.size()) >= settings_.budget) break;
    in_batch.insert(key);
    fresh.push_back(a);
    ++accepted;
  }
  if (!fresh.empty()) {
    for (const auto& e : evaluator_.evaluate(fresh)) record_in_table(table_, e);
  }
  std::set<std::string> charged;
  for (const auto& a : fresh) {
    evaluated_.insert(a.str());
    pending_.push_back(a);
  }
  for (std::size_t i = 0; i < accepted; ++i) {
    const bool first = in_batch.count(archs[i].str()) && charged.insert(archs[i].str()).second;
    out.push_back({table_.row_of(archs[i]), first});
  }
  if (settings_.on_charged && !fresh.empty()) {
    settings_.on_charged(static_cast<std::int64_t>(fresh.size()));
  }
  return out;
}

std::vector<double> PipelineSearchContext::evaluate_supernet(
    const std::vector<std::vector<bool>>& alive) {
  if (!space_.has_supernet()) {
    throw Error("search space '" + space_.name() +
                "' has no supernet (a pruning strategy needs one)");
  }
  // Checked here so that a malformed `alive` is the strategy's error, not a row of statuses.
  check_supernet_alive(space_, alive);
  const Arch net = supernet_arch(space_, alive);
  std::vector<double> out(table_.proxies().size(), std::numeric_limits<double>::quiet_NaN());
  for (const auto& e : evaluator_.evaluate({net})) {
    for (const auto& r : e.scores) {
      if (r.status != ScoreStatus::kOk) continue;
      const int col = table_.column(r.proxy);
      if (col >= 0) out[static_cast<std::size_t>(col)] = r.score;
    }
  }
  return out;
}

int PipelineSearchContext::compare(std::size_t a, std::size_t b) const {
  if (settings_.vote) return settings_.vote->compare(table_, a, b);
  const double x = fitness(a), y = fitness(b);
  if (x == y) return 0;
  return x > y ? 1 : -1;
}

double PipelineSearchContext::fitness(std::size_t row) const {
  if (settings_.vote) {
    if (rank_rows_ != table_.rows()) {
      ranks_ = settings_.vote->rank(table_);
      rank_rows_ = table_.rows();
    }
    return ranks_.at(row);
  }
  const int col = table_.column(settings_.first_proxy);
  double x = table_.get(row, static_cast<std::size_t>(col));
  if (!std::isfinite(x)) return -std::numeric_limits<double>::infinity();
  return higher_is_better(static_cast<std::size_t>(col)) ? x : -x;
}

bool PipelineSearchContext::higher_is_better(std::size_t column) const {
  return settings_.higher_is_better.at(table_.proxies().at(column));
}

double PipelineSearchContext::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

void PipelineSearchContext::flush_trace() {
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.3f", seconds());
  for (const auto& a : pending_) {
    ++step_;
    trace_ << step_ << "," << csv_field(a.str());
    const std::size_t row = table_.row_of(a);
    for (std::size_t c = 0; c < table_.proxies().size(); ++c) {
      const double x = table_.get(row, c);
      trace_ << "," << (std::isnan(x) ? std::string() : format_score(x));
    }
    // The vote's verdict on this candidate: it displaced the incumbent the strategy held
    // before it (only the newest of a batch can still be the incumbent).
    const bool became = best_ && *best_ == row && best_ != reported_best_;
    trace_ << "," << (became ? 1 : 0) << ",";
    if (best_) {
      const Arch& b = table_.archs()[*best_];
      trace_ << csv_field(b.str());
      if (settings_.truth) {
        double t;
        trace_ << "," << (settings_.truth->lookup(b, &t) ? format_score(t) : "");
      }
    } else if (settings_.truth) {
      trace_ << ",";
    }
    trace_ << "," << elapsed << "\n";
  }
  reported_best_ = best_;
  pending_.clear();
  trace_.flush();
  if (!trace_) throw Error(settings_.trace_path + ": could not write the search trace");
}

void PipelineSearchContext::finish() {
  flush_trace();
  trace_.close();
  if (!trace_) throw Error(settings_.trace_path + ": could not write the search trace");
}

}  // namespace nas::detail
