// Speed benchmark of the votes' rank() on a table the size of NAS-Bench-201 (not a test: it
// prints a table and asserts nothing; correctness is tests/test_votes.cpp's job).
//
//   build/bin/bench_votes [--rows 15625] [--repeat 3] [--seed 1]
//
// The table has the SJW columns (synflow, jacov, wrcor) drawn from a standard normal, with
// every 97th wrcor NaN as a failed score would be. For each vote and ranking it prints the
// best of `repeat` timings of rank() on the whole table. majority/copeland compares every
// pair (O(n² K)); the others sort (O(n log n K)).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "nas/plugin_loader.h"
#include "nas/registry.h"
#include "nas/score_table.h"
#include "nas/vote.h"

namespace {

std::shared_ptr<nas::Vote> make_vote(const std::string& type,
                                     const std::map<std::string, nas::ParamValue>& set) {
  const auto& component = nas::Registry::global().votes.get(type);
  nas::Params p = nas::Params::defaults(component.schema, type);
  for (const auto& [k, v] : set) p.set(k, v);
  return component.create(p);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t rows = 15625;
  int repeat = 3;
  std::uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--rows") {
      rows = std::stoul(v);
    } else if (k == "--repeat") {
      repeat = std::stoi(v);
    } else if (k == "--seed") {
      seed = std::stoull(v);
    } else {
      std::fprintf(stderr, "unknown option %s (valid: --rows, --repeat, --seed)\n", k.c_str());
      return 2;
    }
  }
  nas::load_plugins();
  const std::vector<std::string> sjw = {"synflow", "jacov", "wrcor"};
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  nas::ScoreTable table(sjw);
  for (std::size_t i = 0; i < rows; ++i) {
    const nas::Arch a("bench", "r" + std::to_string(i));
    table.set(a, "synflow", normal(rng));
    table.set(a, "jacov", normal(rng));
    table.set(a, "wrcor",
              i % 97 == 0 ? std::numeric_limits<double>::quiet_NaN() : normal(rng));
  }
  struct Case {
    std::string label, type;
    std::map<std::string, nas::ParamValue> params;
  };
  const std::vector<Case> cases = {
      {"majority sjw, copeland", "majority", {{"preset", std::string("sjw")}}},
      {"majority sjw, sort", "majority",
       {{"preset", std::string("sjw")}, {"ranking", std::string("sort")}}},
      {"rank_sum", "rank_sum", {{"proxies", sjw}}},
      {"zscore", "zscore", {{"proxies", sjw}}},
  };
  std::printf("%zu rows x %zu proxies, best of %d\n\n", rows, sjw.size(), repeat);
  std::printf("%-26s %12s\n", "vote", "seconds");
  for (const auto& c : cases) {
    std::shared_ptr<nas::Vote> vote;
    try {
      vote = make_vote(c.type, c.params);
    } catch (const std::exception& e) {
      std::printf("%-26s %12s  (%s)\n", c.label.c_str(), "-", e.what());
      continue;
    }
    double best = std::numeric_limits<double>::infinity();
    for (int r = 0; r < repeat; ++r) {
      const auto start = std::chrono::steady_clock::now();
      const std::vector<double> scores = vote->rank(table);
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (scores.size() != rows) std::fprintf(stderr, "%s: wrong size\n", c.label.c_str());
      best = std::min(best, s);
    }
    std::printf("%-26s %12.3f\n", c.label.c_str(), best);
  }
  return 0;
}
