// Search strategies through the `nas` CLI: each finds what a hand argument says it must find,
// and a search interrupted at any point and run again ends exactly where an uninterrupted one
// ends.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nas/csv.h"
#include "test_support.h"

namespace {

using nas::test::CommandResult;
using nas::test::lines_of;
using nas::test::nas_run;
using nas::test::TempDir;

// Ranked by parameter count alone. In NB201 an edge's op adds parameters only when it is a
// convolution (a 3x3 ReLU-conv-BN has 9C^2 + 2C weights, a 1x1 one C^2 + 2C, pooling, skip and
// none add nothing), so the count rises strictly with every edge turned into nor_conv_3x3 and
// the unique largest cell has nor_conv_3x3 on all six edges.
const char* kLargestCell =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    "nor_conv_3x3~2|";

std::string evolution_pipeline(const std::string& out, const std::string& strategy_params,
                               int budget) {
  return "run: {out_dir: '" + out +
         "', seed: 11}\n"
         "search_space: {type: nb201}\nproxies: [params]\n"
         "strategy: {type: regularized_evolution, budget: " +
         std::to_string(budget) + ", params: {" + strategy_params + "}}\n";
}

// On a landscape where one mutation at a time can always climb, aging evolution reaches the
// top: every parent is a tournament winner, so the population drifts up edge by edge.
TEST(RegularizedEvolution, ClimbsToTheLargestCellByParameterCount) {
  TempDir t;
  const std::string out = t.file("re");
  auto path =
      t.write("p.yaml", evolution_pipeline(out, "population: 10, sample: 5, cycles: 400", 300));
  auto r = nas_run(path);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(nas::test::read_file(out + "/best_arch.txt"), std::string(kLargestCell) + "\n");
  // The trace charges each distinct architecture once, and never more than the budget.
  nas::CsvTable trace = nas::read_csv(out + "/search_trace.csv");
  std::set<std::string> distinct;
  for (const auto& row : trace.rows) distinct.insert(row[trace.column("arch")]);
  EXPECT_EQ(distinct.size(), trace.rows.size());
  EXPECT_LE(trace.rows.size(), 300u);
  EXPECT_GT(trace.rows.size(), 10u);
  // The incumbent never gets smaller: with params ranking, best_arch's conv3x3 count is
  // monotone along the trace (a tie goes to the newer cell, which has the same count).
  auto convs = [](const std::string& arch) {
    int n = 0;
    for (std::size_t p = arch.find("nor_conv_3x3"); p != std::string::npos;
         p = arch.find("nor_conv_3x3", p + 1))
      ++n;
    return n;
  };
  int last = -1;
  for (const auto& row : trace.rows) {
    const std::string& best = row[trace.column("best_arch")];
    if (best.empty()) continue;
    EXPECT_GE(convs(best), last) << best;
    last = convs(best);
  }
}

// A run cut off after k rows of scores.csv (what kill -9 leaves: whole rows, each flushed as
// it is computed) resumes into the same search: the same trace, the same best cell.
TEST(RegularizedEvolution, InterruptedSearchEndsWhereAnUninterruptedOneEnds) {
  TempDir t;
  const std::string params = "population: 8, sample: 3, cycles: 60";
  auto whole_path = t.write("whole.yaml", evolution_pipeline(t.file("whole"), params, 50));
  ASSERT_EQ(nas_run(whole_path).status, 0);
  const std::vector<std::string> rows =
      lines_of(nas::test::read_file(t.file("whole") + "/scores.csv"));
  ASSERT_GT(rows.size(), 40u);
  for (std::size_t keep : {std::size_t{1}, std::size_t{5}, std::size_t{30}, rows.size() - 2}) {
    const std::string out = t.file("cut" + std::to_string(keep));
    std::filesystem::create_directories(out);
    std::ofstream partial(out + "/scores.csv");
    for (std::size_t i = 0; i <= keep; ++i) partial << rows[i] << "\n";  // header + keep rows
    partial.close();
    auto path =
        t.write("cut" + std::to_string(keep) + ".yaml", evolution_pipeline(out, params, 50));
    auto r = nas_run(path);
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(nas::test::rows_without_seconds(out + "/search_trace.csv"),
              nas::test::rows_without_seconds(t.file("whole") + "/search_trace.csv"))
        << "cut after " << keep << " rows";
    EXPECT_EQ(nas::test::read_file(out + "/best_arch.txt"),
              nas::test::read_file(t.file("whole") + "/best_arch.txt"));
    EXPECT_EQ(lines_of(nas::test::read_file(out + "/scores.csv")).size(), rows.size());
  }
}

TEST(RegularizedEvolution, ImpossibleSettingsAreClearErrors) {
  TempDir t;
  auto bigger_sample =
      t.write("a.yaml", evolution_pipeline(t.file("a"), "population: 4, sample: 5", 20));
  auto r = nas_run(bigger_sample);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("sample (5) is larger than population (4)"), std::string::npos)
      << r.output;
  auto bigger_population =
      t.write("b.yaml", evolution_pipeline(t.file("b"), "population: 30, sample: 5", 20));
  r = nas_run(bigger_population);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("population (30) is larger than the budget (20)"), std::string::npos)
      << r.output;
  // A budget of 0 is refused where it is read, before anything is scored or written.
  r = nas_run(t.write("c.yaml", evolution_pipeline(t.file("c"), "population: 4, sample: 2", 20)),
              "strategy.budget=0");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("`strategy.budget` is 0; valid range: 1 to"), std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(t.file("c") + "/scores.csv"));
}

}  // namespace
