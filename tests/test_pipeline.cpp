// Pipelines through the `nas` CLI: bad input gives clear messages and exit status 2, failures
// of a proxy are recorded and the run goes on, results are deterministic for any worker
// count, and an interrupted run resumes without recomputing or losing scores.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "nas/csv.h"

#include <torch/cuda.h>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include "test_support.h"

namespace {

using nas::test::CommandResult;
using nas::test::nas_run;
using nas::test::TempDir;

std::string basic_pipeline(const std::string& out_dir, const std::string& more = "") {
  return "run: {name: t, out_dir: '" + out_dir +
         "', seed: 3}\n"
         "search_space: {type: nb201}\n"
         "proxies:\n  - type: params\n  - type: flops\n"
         "score: {archs: sample, count: 20}\n" +
         more;
}

void expect_usage_error(const CommandResult& r, const std::vector<std::string>& fragments) {
  EXPECT_EQ(r.status, 2) << r.output;
  for (const auto& f : fragments) EXPECT_NE(r.output.find(f), std::string::npos) << r.output;
}

TEST(PipelineErrors, MalformedYamlNamesFileAndLine) {
  TempDir t;
  auto path = t.write("p.yaml", "run: {name: x\nproxies: [\n");
  expect_usage_error(nas_run(path), {path + ":", "malformed YAML"});
}

TEST(PipelineErrors, UnknownSectionListsValidOnes) {
  TempDir t;
  auto path = t.write("p.yaml", basic_pipeline(t.file("o"), "serach: {}\n"));
  expect_usage_error(nas_run(path), {path + ":7", "unknown key 'serach'", "search_space"});
}

TEST(PipelineErrors, UnknownProxyListsValidProxiesWithLine) {
  TempDir t;
  auto path = t.write(
      "p.yaml", "search_space: {type: nb201}\nproxies:\n  - type: parms\nscore: {count: 2}\n");
  expect_usage_error(nas_run(path), {path + ":3", "unknown proxy 'parms'", "params", "flops"});
}

// A proxy that feeds batches needs a data section; the error names the proxy's line, not the
// evaluator, and nothing is written.
TEST(PipelineErrors, ProxyNeedingDataWithoutDataSectionNamesTheProxy) {
  TempDir t;
  const std::string out = t.file("o");
  auto path = t.write("p.yaml", "run: {name: t, out_dir: '" + out +
                                    "', seed: 3}\nsearch_space: {type: nb201}\n"
                                    "proxies:\n  - type: params\n  - type: nwot\n"
                                    "score: {archs: sample, count: 2}\n");
  expect_usage_error(nas_run(path), {path + ":5", "proxy 'nwot'", "no `data` section"});
  EXPECT_FALSE(std::filesystem::exists(out + "/scores.csv"));
}

TEST(PipelineErrors, WrongTypeNamesKey) {
  TempDir t;
  auto path = t.write("p.yaml", basic_pipeline(t.file("o")) + "");
  auto r = nas_run(path, "run.seed=abc");
  expect_usage_error(r, {"run.seed", "an integer", "'abc'", "command-line override"});
  auto path2 = t.write("q.yaml",
                       "run: {seed: [1, 2]}\nsearch_space: {type: nb201}\n"
                       "proxies: [params]\nscore: {count: 2}\n");
  expect_usage_error(nas_run(path2), {path2 + ":1", "run.seed", "an integer", "a list"});
}

TEST(PipelineErrors, UnknownParameterListsValidParameters) {
  TempDir t;
  auto path = t.write("p.yaml",
                      "search_space: {type: nb201}\nproxies:\n  - {type: params, params: {milions: "
                      "true}}\nscore: {count: 2}\n");
  expect_usage_error(nas_run(path), {path + ":3", "no parameter 'milions'", "millions"});
}

TEST(PipelineErrors, BadArchInListNamesFileLineAndPart) {
  TempDir t;
  auto list =
      t.write("archs.txt",
              "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|\n"
              "|nor_conv_3x3~0|+|none~0|conv_9x9~1|+|skip_connect~0|none~1|skip_connect~2|\n");
  auto path = t.write("p.yaml", "run: {out_dir: '" + t.file("o") +
                                    "'}\nsearch_space: {type: nb201}\nproxies: [params]\n"
                                    "score: {archs: file, file: '" +
                                    list + "'}\n");
  expect_usage_error(nas_run(path), {list + ":2", "conv_9x9"});
}

TEST(PipelineErrors, MissingGroundTruthFileAndColumn) {
  TempDir t;
  auto path = t.write("p.yaml",
                      basic_pipeline(t.file("o"), "ground_truth: {path: '" + t.file("missing.csv") +
                                                      "', column: acc}\n"));
  expect_usage_error(nas_run(path), {t.file("missing.csv"), "cannot open"});
  auto path2 = t.write("q.yaml", basic_pipeline(t.file("o2"),
                                                "ground_truth: {benchmark: nb201, "
                                                "column: cifar11_test}\n"));
  expect_usage_error(nas_run(path2), {"no column 'cifar11_test'", "cifar10_valid_test"});
}

TEST(PipelineErrors, CorruptGroundTruthRowNamesLine) {
  TempDir t;
  auto csv = t.write("gt.csv", "arch,acc\nfoo,1.5\nbar,oops\n");
  auto path = t.write(
      "p.yaml", basic_pipeline(t.file("o"), "ground_truth: {path: '" + csv + "', column: acc}\n"));
  expect_usage_error(nas_run(path), {csv + ":3", "oops"});
}

TEST(PipelineErrors, NoStageOrNoSpaceIsRefused) {
  TempDir t;
  auto path = t.write("p.yaml", "search_space: {type: nb201}\nproxies: [params]\n");
  expect_usage_error(nas_run(path), {"nothing to do"});
  auto path2 = t.write("q.yaml", "proxies: [params]\nscore: {count: 1}\n");
  expect_usage_error(nas_run(path2), {"search_space", "nb201"});
  expect_usage_error(nas_run(t.file("absent.yaml")), {"no such pipeline file"});
}

TEST(PipelineErrors, VoteNamingAnUncomputedProxy) {
  TempDir t;
  auto path = t.write("p.yaml", basic_pipeline(t.file("o"),
                                               "vote: {type: majority, params: "
                                               "{preset: sjw}}\n"));
  expect_usage_error(nas_run(path),
                     {path + ":7", "needs proxy 'synflow'", "computed: params, flops"});
  EXPECT_FALSE(std::filesystem::exists(t.file("o") + "/scores.csv"));  // nothing started
}

TEST(PipelineErrors, FittedVoteWithoutGroundTruth) {
  TempDir t;
  auto path = t.write("p.yaml", basic_pipeline(t.file("o"),
                                               "votes: [{type: fusion, params: "
                                               "{proxies: [params, flops], log: []}}]\n"));
  expect_usage_error(nas_run(path), {"fitted to ground truth", "ground_truth"});
  // A parameter the component itself rejects is reported with the file and line.
  auto bad = t.write("q.yaml", basic_pipeline(t.file("o"),
                                              "votes: [{type: fusion, params: "
                                              "{proxies: [params, flops]}}]\n"));
  expect_usage_error(nas_run(bad), {bad + ":7", "ntk_cond"});
}

TEST(PipelineErrors, UnknownCliSubcommandIsUsageError) {
  auto r = nas::test::run_command("'" + nas::test::cli() + "' frobnicate");
  EXPECT_EQ(r.status, 2) << r.output;
}

TEST(PipelineRun, FailingProxyIsRecordedAndRunGoesOn) {
  TempDir t;
  const std::string fixtures = nas::test::fixture_plugins("fault");
  for (std::string mode : {"throw", "oom", "nan", "inf"}) {
    const std::string out = t.file("o_" + mode);
    auto path = t.write(mode + ".yaml",
                        "run: {out_dir: '" + out + "', seed: 1, plugin_paths: ['" + fixtures +
                            "']}\nsearch_space: {type: nb201}\nproxies:\n  - type: params\n"
                            "  - {type: fault_proxy, params: {mode: " +
                            mode +
                            ", marker: 'avg_pool'}}\nscore: {count: 40}\n"
                            "ground_truth: {benchmark: nb201, column: cifar10_valid_test}\n");
    auto r = nas_run(path);
    ASSERT_EQ(r.status, 0) << r.output;
    nas::CsvTable scores = nas::read_csv(out + "/scores.csv");
    ASSERT_EQ(scores.rows.size(), 80u);
    const std::string expected = mode == "throw" ? "error"
                                 : mode == "oom" ? "out_of_memory"
                                                 : "non_finite";
    int failed = 0, ok = 0;
    for (const auto& row : scores.rows) {
      if (row[scores.column("proxy")] != "fault_proxy") continue;
      const bool hit = row[scores.column("arch")].find("avg_pool") != std::string::npos;
      EXPECT_EQ(row[scores.column("status")], hit ? expected : "ok");
      (hit ? failed : ok)++;
    }
    EXPECT_GT(failed, 0);
    EXPECT_GT(ok, 0);
    // The report counts the failures.
    std::string report = nas::test::read_file(out + "/correlation.json");
    EXPECT_NE(report.find("\"non_finite\": " + std::to_string(failed)), std::string::npos)
        << report;
  }
}

// Proxies that build networks and run shared passes (WRCor, JacCor, NASWOT) and ones with their
// own copies and random draws (SynFlow, linear regions) give the same scores at any worker count.
TEST(PipelineRun, NetworkProxiesSameScoresForOneAndTwoWorkers) {
  TempDir t;
  std::vector<std::vector<std::vector<std::string>>> results;
  for (int workers : {1, 2}) {
    const std::string out = t.file("n" + std::to_string(workers));
    auto path = t.write("n" + std::to_string(workers) + ".yaml",
                        "run: {out_dir: '" + out +
                            "', seed: 11, torch_threads: 1}\n"
                            "data: {type: synthetic, batch_size: 16}\n"
                            "search_space: {type: nb201}\n"
                            "proxies: [wrcor, jacov, nwot, synflow, "
                            "{type: linear_regions, params: {repeats: 1, batch: 16}}]\n"
                            "score: {count: 6}\n");
    auto r = nas_run(path, "run.workers=" + std::to_string(workers));
    ASSERT_EQ(r.status, 0) << r.output;
    results.push_back(nas::test::rows_without_seconds(out + "/scores.csv"));
  }
  ASSERT_EQ(results[0].size(), 31u);  // the header and 30 rows
  EXPECT_EQ(results[0], results[1]);
}

TEST(PipelineRun, SearchWritesTraceBestAndReport) {
  TempDir t;
  const std::string out = t.file("s");
  auto path =
      t.write("p.yaml", "run: {out_dir: '" + out +
                            "', seed: 5}\n"
                            "search_space: {type: nb201}\nproxies: [params, flops]\n"
                            "strategy: {type: random, budget: 30}\n"
                            "ground_truth: {benchmark: nb201, column: cifar10_valid_test}\n");
  auto r = nas_run(path);
  ASSERT_EQ(r.status, 0) << r.output;
  nas::CsvTable trace = nas::read_csv(out + "/search_trace.csv");
  EXPECT_EQ(trace.rows.size(), 30u);
  // Without a vote the first proxy (params, higher is better) decides: the best architecture
  // is the largest of the 30 evaluated.
  nas::CsvTable scores = nas::read_csv(out + "/scores.csv");
  double largest = -1;
  std::string largest_arch;
  for (const auto& row : scores.rows) {
    if (row[scores.column("proxy")] != "params") continue;
    double v = std::stod(row[scores.column("score")]);
    if (v >= largest) {  // a tie goes to the newer candidate, as in the reference
      largest = v;
      largest_arch = row[scores.column("arch")];
    }
  }
  std::string best = nas::test::read_file(out + "/best_arch.txt");
  EXPECT_EQ(best, largest_arch + "\n");
  EXPECT_EQ(trace.rows.back()[trace.column("best_arch")], largest_arch);
  // Every line carries the candidate's scores; became_best marks exactly the lines whose
  // (new) candidate is the incumbent the strategy reported after it, so the last marked line
  // is the best architecture.
  std::map<std::string, std::string> params_of;
  for (const auto& row : scores.rows) {
    if (row[scores.column("proxy")] == "params") {
      params_of[row[scores.column("arch")]] = row[scores.column("score")];
    }
  }
  std::string last_marked;
  int marked = 0;
  for (const auto& row : trace.rows) {
    const std::string& arch = row[trace.column("arch")];
    EXPECT_EQ(row[trace.column("params")], params_of.at(arch));
    EXPECT_FALSE(row[trace.column("flops")].empty());
    const bool moved_here = row[trace.column("best_arch")] == arch;
    EXPECT_EQ(row[trace.column("became_best")], moved_here ? "1" : "0") << arch;
    if (moved_here) last_marked = arch;
    marked += moved_here;
    EXPECT_GE(std::stod(row[trace.column("seconds")]), 0.0);
  }
  EXPECT_EQ(last_marked, largest_arch);
  EXPECT_GE(marked, 1);
  // search_result.json: the found cell's accuracy and its rank among all 15,625 cells, counted
  // here straight from the shipped table.
  const nas::CsvTable table =
      nas::read_csv(nas::test::source_dir() + "/spaces/nb201/data/accuracies.csv.gz");
  const std::size_t acc = table.column("cifar10_valid_test");
  double found = -1;
  for (const auto& row : table.rows) {
    if (row[table.column("arch")] == largest_arch) found = std::stod(row[acc]);
  }
  long better = 0, ties = 0;
  for (const auto& row : table.rows) {
    better += std::stod(row[acc]) > found;
    ties += std::stod(row[acc]) == found;
  }
  const auto result = nlohmann::json::parse(nas::test::read_file(out + "/search_result.json"));
  EXPECT_EQ(result["best_arch"], largest_arch);
  EXPECT_EQ(result["evaluated"], 30);
  const auto& c10 = result["ground_truth"]["cifar10_valid_test"];
  EXPECT_DOUBLE_EQ(c10["value"].get<double>(), found);
  EXPECT_EQ(c10["rank"].get<long>(), better + 1);
  EXPECT_EQ(c10["ties"].get<long>(), ties - 1);
  EXPECT_EQ(c10["of"].get<long>(), 15625);
  for (const char* f : {"config.resolved.yaml", "env.json", "correlation.json", "correlation.md"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
  }
}

// A search resumed under another strategy, budget or guiding vote would write a trace and a
// best architecture that belong to neither run: refused by key, nothing recorded lost.
TEST(PipelineRun, ChangedSearchIsRefusedNamingTheKeys) {
  TempDir t;
  const std::string out = t.file("s");
  auto path = t.write("p.yaml", "run: {out_dir: '" + out +
                                    "', seed: 5}\n"
                                    "search_space: {type: nb201}\nproxies: [params, flops]\n"
                                    "strategy: {type: random, budget: 20}\n");
  ASSERT_EQ(nas_run(path).status, 0);
  const std::string scores = nas::test::read_file(out + "/scores.csv");
  const auto trace = nas::test::rows_without_seconds(out + "/search_trace.csv");
  expect_usage_error(nas_run(path, "strategy.budget=30"), {out, "strategy.budget: 20 -> 30"});
  expect_usage_error(nas_run(path, "strategy.type=regularized_evolution"),
                     {"strategy.type: random -> regularized_evolution"});
  expect_usage_error(nas_run(path, "strategy.seed=7"), {"strategy.seed: (unset) -> 7"});
  EXPECT_EQ(nas::test::read_file(out + "/scores.csv"), scores);
  EXPECT_EQ(nas::test::rows_without_seconds(out + "/search_trace.csv"), trace);
  // The same search resumes; a re-run without the search only reports.
  EXPECT_EQ(nas_run(path).status, 0);
  EXPECT_EQ(nas::test::rows_without_seconds(out + "/search_trace.csv"), trace);
}

// strategy.seed drives the strategy's random choices and nothing else: params and FLOPs do not
// depend on the run seed, so a search under run.seed 5 and one under run.seed 0 with
// strategy.seed 5 visit the same cells in the same order; another strategy seed visits others.
TEST(PipelineRun, StrategySeedSteersTheSearchAlone) {
  TempDir t;
  struct Search {
    std::vector<std::string> archs;
    int seed;
    std::string resolved;
  };
  auto search = [&](const std::string& name, int run_seed, const std::string& strategy_seed) {
    const std::string out = t.file(name);
    auto path =
        t.write(name + ".yaml", "run: {out_dir: '" + out + "', seed: " + std::to_string(run_seed) +
                                    "}\nsearch_space: {type: nb201}\n"
                                    "proxies: [params, flops]\n"
                                    "strategy: {type: random, budget: 20" +
                                    strategy_seed + "}\n");
    auto r = nas_run(path);
    EXPECT_EQ(r.status, 0) << r.output;
    Search s;
    nas::CsvTable trace = nas::read_csv(out + "/search_trace.csv");
    for (const auto& row : trace.rows) s.archs.push_back(row[trace.column("arch")]);
    s.seed = nlohmann::json::parse(nas::test::read_file(out + "/search_result.json"))["seed"];
    s.resolved = nas::test::read_file(out + "/config.resolved.yaml");
    return s;
  };
  const Search by_run_seed = search("a", 5, "");
  const Search other = search("b", 0, "");
  const Search by_strategy_seed = search("c", 0, ", seed: 5");
  ASSERT_EQ(by_run_seed.archs.size(), 20u);
  EXPECT_EQ(by_run_seed.seed, 5);
  EXPECT_EQ(other.seed, 0);
  EXPECT_EQ(by_strategy_seed.archs, by_run_seed.archs);
  EXPECT_NE(by_strategy_seed.archs, other.archs);
  EXPECT_EQ(by_strategy_seed.seed, 5);
  EXPECT_NE(by_strategy_seed.resolved.find("seed: 5"), std::string::npos);
}

// search_space.width/depth size every scored network. Counted by hand for NB201 at C = 3, N = 1
// (TE-NAS's NTK network; the same sum gives the published C = 16, N = 5 fixed part, 73,306):
// stem conv 3x3 3->3 + BN = 87; residual blocks 3->6 and 6->12 (two conv-BN, a 1x1 shortcut)
// = 528 and 2,064; last BN 24; classifier 12x10 + 10 = 130; total 2,833 with every edge
// `none`. One nor_conv_3x3 edge adds a conv-BN per cell: 87 + 336 + 1,320 = 1,743.
TEST(PipelineRun, SearchSpaceWidthAndDepthSizeTheScoredNetworks) {
  TempDir t;
  const std::string out = t.file("w");
  t.write("archs.txt",
          "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|\n"
          "|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|\n");
  auto path = t.write("p.yaml", "run: {out_dir: '" + out +
                                    "'}\n"
                                    "search_space: {type: nb201, width: 3, depth: 1}\n"
                                    "proxies: [params]\n"
                                    "score: {archs: file, file: archs.txt}\n");
  auto r = nas_run(path);
  ASSERT_EQ(r.status, 0) << r.output;
  nas::CsvTable scores = nas::read_csv(out + "/scores.csv");
  ASSERT_EQ(scores.rows.size(), 2u);
  std::map<std::string, double> params;
  for (const auto& row : scores.rows)
    params[row[scores.column("arch")]] = std::stod(row[scores.column("score")]);
  EXPECT_EQ(params.at("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"), 2833);
  EXPECT_EQ(params.at("|none~0|+|none~0|none~1|+|nor_conv_3x3~0|none~1|none~2|"), 2833 + 1743);
  const std::string resolved = nas::test::read_file(out + "/config.resolved.yaml");
  EXPECT_NE(resolved.find("width: 3"), std::string::npos);
  // Scores of another size are other numbers: a resume under it is refused by key.
  expect_usage_error(nas_run(path, "search_space.width=4"), {"search_space.width: 3 -> 4"});
}

TEST(PipelineRun, RerunResumesWithoutRecomputingOrDuplicating) {
  TempDir t;
  const std::string out = t.file("r");
  auto path = t.write("p.yaml", basic_pipeline(out));
  ASSERT_EQ(nas_run(path).status, 0);
  const std::string first = nas::test::read_file(out + "/scores.csv");
  auto again = nas::test::run_command("'" + nas::test::cli() + "' run '" + path + "'");
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("20 architectures' scores were already known"), std::string::npos)
      << again.output;
  EXPECT_EQ(nas::test::read_file(out + "/scores.csv"), first);
}

// run.reuse_scores takes the matching rows of another run, also from a compressed copy of its
// table (how whole-space scores ship): nothing is computed again; another seed takes none.
TEST(PipelineRun, ReuseScoresTakesMatchingRowsFromACompressedTable) {
  TempDir t;
  const std::string first = t.file("first");
  ASSERT_EQ(nas_run(t.write("a.yaml", basic_pipeline(first))).status, 0);
  const std::string shipped = t.file("shipped");
  std::filesystem::create_directories(shipped);
  ASSERT_EQ(
      nas::test::run_command("gzip -c '" + first + "/scores.csv' > '" + shipped + "/scores.csv.gz'")
          .status,
      0);
  const std::string more = "  reuse_scores: ['" + shipped + "']\n";
  auto path = t.write("b.yaml", "run:\n  name: t\n  out_dir: '" + t.file("second") +
                                    "'\n  seed: 3\n" + more +
                                    "search_space: {type: nb201}\n"
                                    "proxies:\n  - type: params\n  - type: flops\n"
                                    "score: {archs: sample, count: 20}\n");
  auto r = nas::test::run_command("'" + nas::test::cli() + "' run '" + path + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("run.reuse_scores: 40 scores of " + shipped), std::string::npos)
      << r.output;
  EXPECT_EQ(nas::test::rows_without_seconds(t.file("second") + "/scores.csv"),
            nas::test::rows_without_seconds(first + "/scores.csv"));
  auto other = nas::test::run_command("'" + nas::test::cli() + "' run '" + path +
                                      "' run.seed=4 run.out_dir='" + t.file("third") + "'");
  ASSERT_EQ(other.status, 0) << other.output;
  EXPECT_NE(other.output.find("run.reuse_scores: 0 scores of"), std::string::npos) << other.output;
}

// A changed seed changes what every score means: resuming into the same directory is refused,
// naming the key; --force-new starts over beside it and leaves the first run as it was.
TEST(PipelineRun, ChangedConfigurationIsRefusedOrStartsOverBeside) {
  TempDir t;
  const std::string out = t.file("r");
  auto path = t.write("p.yaml", basic_pipeline(out));
  ASSERT_EQ(nas_run(path).status, 0);
  const std::string first = nas::test::read_file(out + "/scores.csv");
  auto other = nas_run(path, "run.seed=4");
  expect_usage_error(other, {out, "run.seed: 3 -> 4", "--force-new"});
  std::string text = basic_pipeline(out);
  const std::string plain = "  - type: params\n";
  auto changed = t.write("q.yaml", text.replace(text.find(plain), plain.size(),
                                                "  - {type: params, params: {millions: true}}\n"));
  expect_usage_error(nas_run(changed), {"proxies.params.params.millions: false -> true"});
  EXPECT_EQ(nas::test::read_file(out + "/scores.csv"), first);
  auto fresh = nas_run(path, "run.seed=4 --force-new");
  ASSERT_EQ(fresh.status, 0) << fresh.output;
  EXPECT_EQ(nas::test::read_file(out + "/scores.csv"), first);
  EXPECT_EQ(nas::read_csv(out + "-2/scores.csv").rows.size(), 40u);
  // Adding a proxy is not a change of meaning: only the new proxy is computed.
  std::string wider = basic_pipeline(out);
  wider.replace(wider.find("proxies:\n"), 9, "proxies:\n  - type: synflow\n");
  auto more = t.write("m.yaml", wider);
  auto added = nas_run(more);
  ASSERT_EQ(added.status, 0) << added.output;
  nas::CsvTable scores = nas::read_csv(out + "/scores.csv");
  EXPECT_EQ(scores.rows.size(), 60u);
  for (std::size_t i = 40; i < 60; ++i)
    EXPECT_EQ(scores.rows[i][scores.column("proxy")], "synflow");
}

// Several votes and ground-truth columns in one run; `nas report` rebuilds exactly the report
// the run wrote (the fitted vote on the rows it was fitted on, the table in the run's order),
// and rank_sum's column equals the rank sum computed here from scores.csv.
TEST(PipelineRun, VotesSeveralColumnsAndReportRoundTrip) {
  TempDir t;
  const std::string out = t.file("v");
  auto path = t.write(
      "p.yaml",
      "run: {out_dir: '" + out +
          "', seed: 2}\n"
          "search_space: {type: nb201}\nproxies: [params, flops]\n"
          "score: {count: 60}\n"
          "vote: {type: majority, params: {proxies: [params, flops], ranking: sort}}\n"
          "votes:\n  - {type: rank_sum, name: rs, params: {proxies: [params, flops]}}\n"
          "  - {type: fusion, name: fi, params: {proxies: [params, flops], log: [], split_seed: "
          "1}}\n"
          "strategy: {type: random, budget: 20}\n"
          "ground_truth: {benchmark: nb201, column: [cifar10_valid_test, cifar100_test]}\n");
  auto r = nas_run(path);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(out + "/votes/fi/fusion_weights.json"));
  const std::string c10 = nas::test::read_file(out + "/correlation.json");
  const std::string c100 = nas::test::read_file(out + "/report-cifar100_test/correlation.json");
  EXPECT_NE(c100.find("cifar100_test"), std::string::npos);
  // The round trip: the same file, byte for byte, after `nas report`.
  auto rep =
      nas::test::run_command("'" + nas::test::cli() + "' -q report '" + out + "' --plots none");
  ASSERT_EQ(rep.status, 0) << rep.output;
  EXPECT_EQ(nas::test::read_file(out + "/correlation.json"), c10);
  // rank_sum by hand: per proxy the average rank (ties share) over the 80 rows, summed; then
  // Spearman against the benchmark's accuracy, by average ranks and Pearson's formula.
  nas::CsvTable scores = nas::read_csv(out + "/scores.csv");
  std::map<std::string, std::map<std::string, double>> value;  // proxy -> arch -> score
  for (const auto& row : scores.rows)
    value[row[scores.column("proxy")]][row[scores.column("arch")]] =
        std::stod(row[scores.column("score")]);
  ASSERT_EQ(value["params"].size(), 80u);  // 60 scored + 20 searched, each once
  auto average_ranks = [](const std::vector<double>& x) {
    std::vector<double> ranks(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      double below = 0, level = 0;
      for (double y : x) {
        below += y < x[i];
        level += y == x[i];
      }
      ranks[i] = below + (level + 1) / 2;
    }
    return ranks;
  };
  std::vector<std::string> archs;
  for (const auto& [a, v] : value["params"]) archs.push_back(a);
  std::vector<double> params, flops, truth;
  nas::CsvTable nb201 =
      nas::read_csv(nas::test::source_dir() + "/spaces/nb201/data/accuracies.csv.gz");
  std::map<std::string, double> acc;
  for (const auto& row : nb201.rows)
    acc[row[nb201.column("arch")]] = std::stod(row[nb201.column("cifar10_valid_test")]);
  for (const auto& a : archs) {
    params.push_back(value["params"][a]);
    flops.push_back(value["flops"][a]);
    truth.push_back(acc.at(a));
  }
  std::vector<double> rp = average_ranks(params), rf = average_ranks(flops), sum(archs.size());
  for (std::size_t i = 0; i < sum.size(); ++i) sum[i] = rp[i] + rf[i];
  auto pearson = [](const std::vector<double>& x, const std::vector<double>& y) {
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      mx += x[i] / x.size();
      my += y[i] / y.size();
    }
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
      syy += (y[i] - my) * (y[i] - my);
    }
    return sxy / std::sqrt(sxx * syy);
  };
  const double expected = pearson(average_ranks(sum), average_ranks(truth));
  const auto j = nlohmann::json::parse(c10);
  bool found = false;
  for (const auto& p : j["proxies"]) {
    if (p["name"] != "vote:rs") continue;
    found = true;
    EXPECT_EQ(p["rows"], 80);
    EXPECT_NEAR(p["spearman"].get<double>(), expected, 1e-12);
  }
  EXPECT_TRUE(found) << c10;
}

TEST(PipelineRun, JsonLinesProgress) {
  TempDir t;
  auto path = t.write("p.yaml", basic_pipeline(t.file("j")));
  auto r =
      nas::test::run_command("'" + nas::test::cli() + "' --log-format jsonl run '" + path + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("{\"done\":20,\"event\":\"stage_end\""), std::string::npos) << r.output;
}

// ---------------------------------------------------------------- the orchestration's facts

// Every (architecture, proxy) pair is computed once per run, also when the strategy proposes
// architectures the score stage already scored: 15,625 cells scored, then a search over them.
TEST(PipelineRun, ScoreAndSearchScoreEachPairOnce) {
  TempDir t;
  const std::string out = t.file("once");
  auto path = t.write("p.yaml", "run: {out_dir: '" + out +
                                    "', seed: 1}\n"
                                    "search_space: {type: nb201}\nproxies: [params, flops]\n"
                                    "score: {archs: all}\nstrategy: {type: random, budget: 50}\n");
  auto r = nas_run(path);
  ASSERT_EQ(r.status, 0) << r.output;
  nas::CsvTable scores = nas::read_csv(out + "/scores.csv");
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& row : scores.rows)
    EXPECT_TRUE(pairs.insert({row[scores.column("arch")], row[scores.column("proxy")]}).second)
        << "scored twice: " << row[scores.column("arch")];
  EXPECT_EQ(scores.rows.size(), 2u * 15625u);
  EXPECT_EQ(nas::read_csv(out + "/search_trace.csv").rows.size(), 50u);
}

// A resumed run enters rows in the same order as a fresh one, so an order-dependent vote
// (majority with ranking: sort) ranks identically: here half the scores are already on disk.
TEST(PipelineRun, ResumedRunRanksLikeAFreshOne) {
  TempDir t;
  auto pipeline = [&](const std::string& out) {
    return t.write(
        out + ".yaml",
        "run: {out_dir: '" + t.file(out) +
            "', seed: 9}\n"
            "search_space: {type: nb201}\nproxies: [params, flops]\n"
            "score: {count: 40}\n"
            "vote: {type: majority, params: {proxies: [params, '-flops'], ranking: sort}}\n"
            "ground_truth: {benchmark: nb201, column: cifar10_valid_test}\n");
  };
  ASSERT_EQ(nas_run(pipeline("fresh")).status, 0);
  // The partial run: every other architecture's rows of the fresh run, in reverse order.
  std::filesystem::create_directories(t.file("resumed"));
  nas::CsvTable full = nas::read_csv(t.file("fresh") + "/scores.csv");
  std::string partial = "arch,proxy,version,score,seconds,seed,status,config_hash,message\n";
  std::string text = nas::test::read_file(t.file("fresh") + "/scores.csv");
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) lines.push_back(line);
  for (std::size_t i = lines.size(); i-- > 0;)
    if ((i / 2) % 2 == 1) partial += lines[i] + "\n";
  std::ofstream(t.file("resumed") + "/scores.csv") << partial;
  auto r = nas_run(pipeline("resumed"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("already known"), std::string::npos) << r.output;
  EXPECT_EQ(nas::test::read_file(t.file("resumed") + "/rows.txt"),
            nas::test::read_file(t.file("fresh") + "/rows.txt"));
  EXPECT_EQ(nas::test::read_file(t.file("resumed") + "/correlation.json"),
            nas::test::read_file(t.file("fresh") + "/correlation.json"));
}

// A full disk (here: a file-size limit, which fails writes the same way) stops the run with an
// error naming scores.csv; the rows written stay whole, and a re-run finishes with exactly the
// rows of an uninterrupted run.
TEST(PipelineFaults, FullDiskStopsWithErrorAndKeepsWholeRows) {
  TempDir t;
  const std::string out = t.file("full");
  std::string yaml = basic_pipeline(out);
  yaml.replace(yaml.find("count: 20"), 9, "count: 400");
  auto path = t.write("p.yaml", yaml);
  // bash's ulimit -f counts 1024-byte blocks: 32 KiB holds env.json, run.json and the resolved
  // configuration, not scores.csv of 400 cells x 2 proxies (~50 KiB).
  auto r = nas::test::run_command("bash -c \"trap '' XFSZ; ulimit -f 32; exec '" +
                                  nas::test::cli() + "' -q run '" + path + "'\"");
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find(out + "/scores.csv"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("could not write"), std::string::npos) << r.output;
  const std::string partial = nas::test::read_file(out + "/scores.csv");
  ASSERT_FALSE(partial.empty());
  EXPECT_EQ(partial.back(), '\n');
  const std::size_t kept = nas::read_csv(out + "/scores.csv").rows.size();
  EXPECT_GT(kept, 0u);
  EXPECT_LT(kept, 800u);
  ASSERT_EQ(nas_run(path).status, 0);
  ASSERT_EQ(nas_run(path, "run.out_dir='" + t.file("whole") + "'").status, 0);
  auto sorted = [](std::vector<std::vector<std::string>> rows) {
    std::sort(rows.begin(), rows.end());
    return rows;
  };
  EXPECT_EQ(sorted(nas::test::rows_without_seconds(out + "/scores.csv")),
            sorted(nas::test::rows_without_seconds(t.file("whole") + "/scores.csv")));
}

// A last line cut short (a crash mid-write of an older version, a copy cut short) is dropped
// with a message and the run goes on; a malformed complete line is a clear error.
TEST(PipelineFaults, TornLastLineIsDroppedCorruptFileIsRefused) {
  TempDir t;
  const std::string out = t.file("torn");
  auto path = t.write("p.yaml", basic_pipeline(out));
  ASSERT_EQ(nas_run(path).status, 0);
  const std::string whole = nas::test::read_file(out + "/scores.csv");
  std::ofstream(out + "/scores.csv", std::ios::app) << "|nor_conv_3x3~0|+|none~0|nor_co";
  auto r = nas::test::run_command("'" + nas::test::cli() + "' run '" + path + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("incomplete"), std::string::npos) << r.output;
  EXPECT_EQ(nas::test::read_file(out + "/scores.csv"), whole);
  std::ofstream(out + "/scores.csv", std::ios::app) << "x,params,1,notanumber,0,0,ok,h,\n";
  expect_usage_error(nas_run(path), {out + "/scores.csv:42", "notanumber", "corrupt"});
}

// Two runs into one directory: the second is refused while the first holds the lock.
TEST(PipelineFaults, SecondRunIntoALockedDirectoryIsRefused) {
  TempDir t;
  const std::string out = t.file("locked");
  std::filesystem::create_directories(out);
  const int fd = ::open((out + "/.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  auto path = t.write("p.yaml", basic_pipeline(out));
  expect_usage_error(nas_run(path), {out, "another nas process"});
  EXPECT_FALSE(std::filesystem::exists(out + "/scores.csv"));
  ::close(fd);
  EXPECT_EQ(nas_run(path).status, 0);
}

// Failures of a proxy are recorded, and computed again on a re-run (never reused); the
// successful rows are reused.
TEST(PipelineFaults, ErrorRowsAreRetriedOkRowsReused) {
  TempDir t;
  const std::string out = t.file("retry");
  auto path = t.write("p.yaml", "run: {out_dir: '" + out + "', seed: 1, plugin_paths: ['" +
                                    nas::test::fixture_plugins("fault") +
                                    "']}\nsearch_space: {type: nb201}\nproxies:\n"
                                    "  - {type: fault_proxy, params: {mode: throw, marker: "
                                    "'avg_pool'}}\nscore: {count: 30}\n");
  ASSERT_EQ(nas_run(path).status, 0);
  auto count = [&](const std::string& status) {
    nas::CsvTable s = nas::read_csv(out + "/scores.csv");
    int n = 0;
    for (const auto& row : s.rows) n += row[s.column("status")] == status;
    return n;
  };
  const int errors = count("error"), oks = count("ok");
  ASSERT_GT(errors, 0);
  ASSERT_GT(oks, 0);
  ASSERT_EQ(nas_run(path).status, 0);
  EXPECT_EQ(count("error"), 2 * errors);
  EXPECT_EQ(count("ok"), oks);
}

// Failures of the environment stop the run before scoring, with exit status 2: a missing
// dataset, a batch larger than the dataset.
TEST(PipelineFaults, MissingDatasetOrOversizedBatchStopsBeforeScoring) {
  TempDir t;
  std::filesystem::create_directories(t.file("empty"));
  const std::string out = t.file("nodata");
  auto path = t.write("p.yaml", "run: {out_dir: '" + out +
                                    "'}\n"
                                    "data: {type: fashion_mnist, params: {dir: '" +
                                    t.file("empty") +
                                    "'}}\nsearch_space: {type: nb201}\nproxies: [jacov]\n"
                                    "score: {count: 2}\n");
  auto r = nas_run(path);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find(t.file("empty")), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out + "/scores.csv"));
  auto big = t.write("q.yaml",
                     "run: {out_dir: '" + out +
                         "'}\n"
                         "data: {type: fashion_mnist, batch_size: 64, params: {max_images: 10}}\n"
                         "search_space: {type: nb201}\nproxies: [jacov]\nscore: {count: 2}\n");
  auto b = nas_run(big);
  EXPECT_EQ(b.status, 2) << b.output;
  EXPECT_NE(b.output.find("batch of 64"), std::string::npos) << b.output;
  EXPECT_FALSE(std::filesystem::exists(out + "/scores.csv"));
}

TEST(PipelineErrors, NumbersOutOfRangeAndPathsThatAreDirectories) {
  TempDir t;
  auto path = t.write("p.yaml", basic_pipeline(t.file("o")));
  expect_usage_error(nas_run(path, "run.workers=65537"), {"run.workers", "65537", "1 to 1024"});
  expect_usage_error(nas_run(path, "data.batch_size=0"), {});
  expect_usage_error(nas_run(t.path()), {t.path(), "is a directory"});
  auto dir_file = t.write("d.yaml",
                          "search_space: {type: nb201}\nproxies: [params]\n"
                          "score: {archs: file, file: '" +
                              t.path() + "'}\n");
  expect_usage_error(nas_run(dir_file), {"score.file", "not a regular file"});
  auto too_many = t.write("c.yaml", basic_pipeline(t.file("o3")));
  expect_usage_error(nas_run(too_many, "score.count=20000"), {"20000", "only 15625"});
}

// Relative input paths are read from the pipeline's folder, wherever the command runs.
TEST(PipelineRun, RelativePathsResolveAgainstThePipelineFolder) {
  TempDir t;
  std::filesystem::create_directories(t.file("cfg"));
  t.write("cfg/archs.txt",
          "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|\n");
  auto path = t.write("cfg/p.yaml", "run: {out_dir: '" + t.file("o") +
                                        "'}\nsearch_space: {type: nb201}\nproxies: [params]\n"
                                        "score: {archs: file, file: archs.txt}\n");
  auto r = nas::test::run_command("cd / && '" + nas::test::cli() + "' -q run '" + path + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(nas::read_csv(t.file("o") + "/scores.csv").rows.size(), 1u);
}

// A plugin that fails to load is warned about during `nas run`, and naming one of its
// components says it failed instead of only "unknown"; control bytes are escaped.
TEST(PipelineErrors, RefusedPluginsAreNamedAndControlBytesEscaped) {
  TempDir t;
  std::filesystem::create_directories(t.file("plugins"));
  t.write("plugins/libnas_broken.so", "not an ELF file");
  auto path = t.write("p.yaml", "run: {out_dir: '" + t.file("o") + "', plugin_paths: ['" +
                                    t.file("plugins") +
                                    "']}\nsearch_space: {type: nb201}\nproxies: [\"bro\\aken\"]\n"
                                    "score: {count: 1}\n");
  auto r = nas_run(path);
  expect_usage_error(r, {"libnas_broken.so", "plugins that failed to load", "bro\\x07ken"});
  EXPECT_EQ(r.output.find('\a'), std::string::npos);
}

// The resolved configuration has every default filled in.
TEST(PipelineRun, ResolvedConfigurationHasDefaults) {
  TempDir t;
  auto path = t.write("p.yaml", basic_pipeline(t.file("o")));
  ASSERT_EQ(nas_run(path).status, 0);
  const std::string resolved = nas::test::read_file(t.file("o") + "/config.resolved.yaml");
  for (const char* key : {"millions", "torch_threads", "evaluator", "type: local"})
    EXPECT_NE(resolved.find(key), std::string::npos) << key << "\n" << resolved;
}

// The device is carried from run.device to the networks the space builds; asking for CUDA on a
// LibTorch that sees none is refused before anything is computed.
TEST(PipelineErrors, CudaWithoutADeviceIsRefusedBeforeScoring) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has a CUDA device";
  TempDir t;
  const std::string out = t.file("gpu");
  auto path = t.write("p.yaml", basic_pipeline(out));
  auto r = nas_run(path, "run.device=cuda");
  expect_usage_error(r, {path, "run.device", "'cuda'", "needs CUDA", "use cpu"});
  EXPECT_FALSE(std::filesystem::exists(out + "/scores.csv"));
}

}  // namespace

// run.dedup: architectures that are one network share one computation. X, Y, W are one
// function class (Y = X and W without their dead ops; each its own structure class); A and B
// differ only by swapping nodes 1 and 2 (edge 2<-1 none), one structure; C is A with a skip
// on 2<-1, alone. SynFlow and JacCor share by function, NASWOT by structure, so the backend
// scores Y (all three), X and W (NASWOT), B and C (all three): 5 networks, and X, W (2 scores
// each) and A (3) take 7 scores from an equivalent architecture.
namespace dedup {
using Key = std::pair<std::string, std::string>;
const std::string kX = "|none~0|+|nor_conv_3x3~0|none~1|+|nor_conv_1x1~0|skip_connect~1|none~2|";
const std::string kY = "|none~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|none~2|";
const std::string kW = "|none~0|+|nor_conv_3x3~0|none~1|+|nor_conv_1x1~0|none~1|none~2|";
const std::string kA =
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|";
const std::string kB =
    "|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|";
const std::string kC =
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|skip_connect~0|avg_pool_3x3~1|"
    "nor_conv_3x3~2|";

std::string pipeline(const TempDir& t, const std::string& out, const std::string& dedup) {
  const std::string list =
      t.write("archs.txt", kX + "\n" + kY + "\n" + kW + "\n" + kA + "\n" + kB + "\n" + kC + "\n");
  return t.write(out + ".yaml", "run: {out_dir: '" + t.file(out) + "', seed: 4, workers: 1" +
                                    (dedup.empty() ? "" : ", dedup: " + dedup) +
                                    "}\n"
                                    "data: {type: synthetic, batch_size: 16}\n"
                                    "search_space: {type: nb201}\n"
                                    "proxies: [synflow, jacov, nwot]\n"
                                    "score: {archs: file, file: '" +
                                    list + "'}\n");
}

std::map<std::pair<std::string, std::string>, std::string> scores(const std::string& dir) {
  nas::CsvTable t = nas::read_csv(dir + "/scores.csv");
  std::map<std::pair<std::string, std::string>, std::string> out;
  for (const auto& row : t.rows) {
    EXPECT_EQ(row[t.column("status")], "ok") << row[t.column("message")];
    out[Key(row[t.column("arch")], row[t.column("proxy")])] = row[t.column("score")];
  }
  return out;
}
}  // namespace dedup

TEST(PipelineDedup, EquivalentArchitecturesGetOneNetworksScores) {
  using namespace dedup;
  TempDir t;
  // auto is the default
  auto r =
      nas::test::run_command("'" + nas::test::cli() + "' run '" + pipeline(t, "auto", "") + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("networks computed: 5; scores taken from an equivalent "
                          "architecture's network: 7 (run.dedup auto; synflow: function, "
                          "jacov: function, nwot: structure)"),
            std::string::npos)
      << r.output;
  auto s = scores(t.file("auto"));
  ASSERT_EQ(s.size(), 18u);  // every architecture has its own rows
  for (const char* p : {"synflow", "jacov"}) {
    EXPECT_EQ(s[Key(kX, p)], s[Key(kY, p)]) << p;
    EXPECT_EQ(s[Key(kW, p)], s[Key(kY, p)]) << p;
  }
  EXPECT_NE(s[Key(kX, "nwot")], s[Key(kY, "nwot")]);
  EXPECT_NE(s[Key(kW, "nwot")], s[Key(kY, "nwot")]);
  for (const char* p : {"synflow", "jacov", "nwot"}) {
    EXPECT_EQ(s[Key(kA, p)], s[Key(kB, p)]) << p;
    EXPECT_NE(s[Key(kC, p)], s[Key(kB, p)]) << p;
  }
  const std::string resolved = nas::test::read_file(t.file("auto") + "/config.resolved.yaml");
  EXPECT_NE(resolved.find("dedup: auto"), std::string::npos) << resolved;

  // Off: every architecture is its own network. The representatives score exactly as they
  // did for their classes.
  auto off = nas::test::run_command("'" + nas::test::cli() + "' run '" +
                                    pipeline(t, "none", "none") + "'");
  ASSERT_EQ(off.status, 0) << off.output;
  EXPECT_NE(off.output.find("networks computed: 6; scores taken from an equivalent "
                            "architecture's network: 0 (run.dedup none"),
            std::string::npos)
      << off.output;
  auto n = scores(t.file("none"));
  for (const char* p : {"synflow", "jacov", "nwot"}) {
    EXPECT_NE(n[Key(kX, p)], n[Key(kY, p)]) << p;
    EXPECT_NE(n[Key(kA, p)], n[Key(kB, p)]) << p;
    for (const auto& a : {kY, kB, kC}) EXPECT_EQ(n[Key(a, p)], s[Key(a, p)]) << p << " " << a;
  }
  EXPECT_EQ(n[Key(kX, "nwot")], s[Key(kX, "nwot")]);  // X is its own structure class

  // The two runs' scores mean different things: resuming one as the other is refused.
  auto mixed = nas_run(pipeline(t, "none", "auto"));
  expect_usage_error(mixed, {"proxies.synflow.dedup: arch -> function"});
}

// A run cut after a few rows (its last line torn) resumes to exactly the uninterrupted rows:
// a class's score comes back from any member's row.
TEST(PipelineDedup, ResumeAfterACutGivesTheSameScores) {
  using namespace dedup;
  TempDir t;
  ASSERT_EQ(nas_run(pipeline(t, "whole", "")).status, 0);
  const std::string text = nas::test::read_file(t.file("whole") + "/scores.csv");
  std::istringstream in(text);
  std::string line, cut;
  for (int i = 0; i < 4 && std::getline(in, line); ++i) cut += line + "\n";  // header, 3 rows
  // The first architecture settled is Y, whose network the backend computed first.
  EXPECT_EQ(cut.find("\n" + kY + ",synflow,"), cut.find('\n')) << cut;
  std::getline(in, line);
  cut += line.substr(0, line.size() / 2);
  std::filesystem::create_directories(t.file("cut"));
  std::ofstream(t.file("cut") + "/scores.csv") << cut;
  auto r =
      nas::test::run_command("'" + nas::test::cli() + "' run '" + pipeline(t, "cut", "") + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  // Y's rows answer X's and W's SynFlow and JacCor: NASWOT of X and W, B and C remain.
  EXPECT_NE(r.output.find("networks computed: 4;"), std::string::npos) << r.output;
  auto sorted = [](std::vector<std::vector<std::string>> rows) {
    std::sort(rows.begin(), rows.end());
    return rows;
  };
  EXPECT_EQ(sorted(nas::test::rows_without_seconds(t.file("cut") + "/scores.csv")),
            sorted(nas::test::rows_without_seconds(t.file("whole") + "/scores.csv")));
}

TEST(PipelineErrors, UnknownDedupValueListsTheValidOnes) {
  TempDir t;
  auto path = t.write("p.yaml", basic_pipeline(t.file("o")));
  expect_usage_error(nas_run(path, "run.dedup=function"),
                     {"run.dedup", "'function'", "auto", "structure", "none"});
  auto path2 = t.write("q.yaml",
                       "run: {dedup: sometimes}\nsearch_space: {type: nb201}\n"
                       "proxies: [params]\nscore: {count: 2}\n");
  expect_usage_error(nas_run(path2), {path2 + ":1", "`run.dedup` is 'sometimes'", "auto"});
}
