// Sharded score stages: `nas run --shard i/N` scores one round-robin shard into its own
// directory, and `nas merge` joins the shards into a run directory whose table, scores and
// report equal one unsharded run's; a search run afterwards into the merged directory computes
// nothing again and ends like a search of the unsharded run. Bad shards are refused naming them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "nas/csv.h"
#include "test_support.h"

namespace {

using nas::test::CommandResult;
using nas::test::read_file;
using nas::test::run_command;
using nas::test::TempDir;

std::string pipeline(const TempDir& t, const std::string& name, const std::string& out,
                     const std::string& more = "") {
  return t.write(name,
                 "run: {out_dir: '" + out +
                     "', seed: 5, workers: 1}\n"
                     "data: {type: synthetic, batch_size: 16}\n"
                     "search_space: {type: nb201}\n"
                     "proxies: [params, flops, synflow]\n"
                     "score: {archs: sample, count: 31}\n"
                     "votes:\n"
                     "  - {type: rank_sum, name: rs, params: {proxies: [params, synflow]}}\n"
                     "  - {type: fusion, name: fi, params: {proxies: [params, flops, synflow], "
                     "log: [], split_seed: 1}}\n"
                     "ground_truth: {benchmark: nb201, column: cifar10_valid_test}\n" +
                     more);
}

CommandResult nas(const std::string& args) {
  return run_command("'" + nas::test::cli() + "' -q " + args);
}

// (arch, proxy) -> "score status config_hash": scores.csv without its timings.
std::map<std::pair<std::string, std::string>, std::string> scores(const std::string& dir) {
  nas::CsvTable t = nas::read_csv(dir + "/scores.csv");
  std::map<std::pair<std::string, std::string>, std::string> out;
  for (const auto& row : t.rows) {
    out[{row[t.column("arch")], row[t.column("proxy")]}] = row[t.column("score")] + " " +
                                                           row[t.column("status")] + " " +
                                                           row[t.column("config_hash")];
  }
  return out;
}

std::string without_column(const std::string& csv_path, const std::string& column) {
  nas::CsvTable t = nas::read_csv(csv_path);
  const auto skip = static_cast<std::size_t>(t.column(column));
  std::string out;
  for (const auto& row : t.rows) {
    for (std::size_t i = 0; i < row.size(); ++i)
      if (i != skip) out += row[i] + ",";
    out += "\n";
  }
  return out;
}

TEST(Shards, ThreeShardsMergedEqualOneRunAndASearchGoesOnFromThem) {
  TempDir t;
  const std::string single = t.file("single"), sharded = t.file("sharded"),
                    merged = t.file("merged");
  auto r = nas("run '" + pipeline(t, "one.yaml", single) + "'");
  ASSERT_EQ(r.status, 0) << r.output;

  const std::string p = pipeline(t, "p.yaml", sharded);
  std::vector<std::string> dirs;
  for (int i = 0; i < 3; ++i) {
    r = nas("run '" + p + "' --shard " + std::to_string(i) + "/3");
    ASSERT_EQ(r.status, 0) << r.output;
    dirs.push_back(sharded + "-shard-" + std::to_string(i) + "-of-3");
    // 31 positions round robin: 11, 10, 10 architectures.
    const auto rows = nas::read_csv(dirs.back() + "/scores.csv").rows.size();
    EXPECT_EQ(rows, (i == 0 ? 11u : 10u) * 3) << dirs.back();
    EXPECT_FALSE(std::filesystem::exists(dirs.back() + "/correlation.json"));
  }
  // Given out of order: the merge puts them back by index.
  r = nas("merge '" + merged + "' '" + dirs[2] + "' '" + dirs[0] + "' '" + dirs[1] +
          "' --plots none");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("merged 3 shards: 31 architectures, 93 score rows"), std::string::npos)
      << r.output;
  EXPECT_EQ(read_file(merged + "/rows.txt"), read_file(single + "/rows.txt"));
  EXPECT_EQ(scores(merged), scores(single));
  const std::string report = read_file(single + "/correlation.json");
  ASSERT_NE(report.find("\"vote:fi\""), std::string::npos) << report;
  EXPECT_EQ(read_file(merged + "/correlation.json"), report);
  // The fitted vote is recorded as fitted on all 31 rows, as the unsharded run fitted it.
  const auto manifest = nlohmann::json::parse(read_file(merged + "/run.json"));
  for (const auto& v : manifest["votes"])
    EXPECT_EQ(v["fit_rows"], v["name"] == "fi" ? nlohmann::json(31) : nlohmann::json()) << v;

  // A search added to the merged run computes no score of the score stage again, and ends
  // exactly like the same pipeline run unsharded.
  const std::string search = "strategy: {type: random, budget: 12}\n";
  const std::string single_search = t.file("single-search");
  r = nas("run '" + pipeline(t, "s1.yaml", single_search, search) + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  r = nas("run '" + pipeline(t, "s2.yaml", merged, search) + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("31 architectures' scores were already known"), std::string::npos)
      << r.output;
  ASSERT_FALSE(read_file(single_search + "/best_arch.txt").empty());
  EXPECT_EQ(read_file(merged + "/best_arch.txt"), read_file(single_search + "/best_arch.txt"));
  EXPECT_EQ(without_column(merged + "/search_trace.csv", "seconds"),
            without_column(single_search + "/search_trace.csv", "seconds"));
  EXPECT_EQ(read_file(merged + "/correlation.json"),
            read_file(single_search + "/correlation.json"));
}

TEST(Shards, BadShardsAreRefusedNamingThem) {
  TempDir t;
  const std::string base = t.file("s");
  const std::string p = pipeline(t, "p.yaml", base);
  for (const std::string bad : {"3/3", "1", "-1/3", "a/b", "0/0"}) {
    auto r = nas("run '" + p + "' --shard " + bad);
    EXPECT_EQ(r.status, 2) << bad << r.output;
    EXPECT_NE(r.output.find("expected i/N with 0 <= i < N"), std::string::npos) << r.output;
  }
  auto r = nas("run '" + p + "' --shard 0/40");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("has only 31 architectures, fewer than the 40 shards"),
            std::string::npos)
      << r.output;
  const std::string no_score = t.write(
      "n.yaml", "run: {out_dir: '" + t.file("n") +
                    "'}\nsearch_space: {type: nb201}\nproxies: [params]\n"
                    "strategy: {type: random, budget: 5}\n");
  r = nas("run '" + no_score + "' --shard 0/2");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("has no `score` section"), std::string::npos) << r.output;

  const std::string d0 = base + "-shard-0-of-2", d1 = base + "-shard-1-of-2";
  ASSERT_EQ(nas("run '" + p + "' --shard 0/2").status, 0);
  r = nas("merge '" + t.file("m1") + "' '" + d0 + "'");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("shard(s) 1 of 2 are missing"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(t.file("m1")));
  r = nas("merge '" + t.file("m2") + "' '" + d0 + "' '" + d0 + "'");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("shard 0/2 is given twice"), std::string::npos) << r.output;
  r = nas("merge '" + t.file("m3") + "' '" + d0 + "' '" + t.file("nowhere") + "'");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("no such shard directory"), std::string::npos) << r.output;

  // Shard 1 scored with another seed is not a shard of the same run.
  ASSERT_EQ(nas("run '" + p + "' --shard 1/2 run.seed=6").status, 0);
  r = nas("merge '" + t.file("m4") + "' '" + d0 + "' '" + d1 + "'");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("was scored under another configuration"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("seed"), std::string::npos) << r.output;

  // A shard killed before it finished has no shard.json: merging says to re-run it.
  std::filesystem::remove(d1 + "/shard.json");
  r = nas("merge '" + t.file("m5") + "' '" + d0 + "' '" + d1 + "'");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find(d1 + " is not a shard"), std::string::npos) << r.output;

  // The merge writes only into a new or empty directory.
  std::filesystem::create_directories(t.file("busy"));
  t.write("busy/x.txt", "x");
  r = nas("merge '" + t.file("busy") + "' '" + d0 + "' '" + d1 + "'");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("is not empty"), std::string::npos) << r.output;
}

// The Slurm scripts, without Slurm: the array task as Slurm would start it, and the submit
// script against a stand-in `sbatch` that records what it was asked to queue.
TEST(Shards, SlurmScriptsScoreTheirShardAndQueueTheMerge) {
  TempDir t;
  const std::string base = t.file("s");
  const std::string p = pipeline(t, "p.yaml", base);
  const std::string slurm = nas::test::source_dir() + "/configs/slurm";
  auto r = run_command("SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=2 SLURM_CPUS_PER_TASK=1 "
                       "NAS='" + nas::test::cli() + "' bash '" + slurm +
                       "/score_shard.sbatch' '" + p + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto shard = nlohmann::json::parse(read_file(base + "-shard-1-of-2/shard.json"));
  EXPECT_EQ(shard["shard"], 1);
  EXPECT_EQ(shard["of"], 2);
  EXPECT_EQ(shard["rows"], 15);

  const std::string bin = t.file("bin");
  std::filesystem::create_directories(bin);
  const std::string log = t.file("sbatch.log");
  t.write("bin/sbatch", "#!/bin/sh\necho \"$*\" >> '" + log + "'\necho 4$(wc -l < '" + log +
                            "')\n");
  std::filesystem::permissions(bin + "/sbatch", std::filesystem::perms::owner_all);
  r = run_command("PATH='" + bin + ":'\"$PATH\" NAS='" + nas::test::cli() + "' bash '" + slurm +
                  "/submit_sharded.sh' '" + p + "' 3 '" + t.file("merged") + "' run.seed=9");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("shards: job array 41 (3 tasks); merge: job 42"), std::string::npos)
      << r.output;
  const std::string queued = read_file(log);
  EXPECT_NE(queued.find("--array=0-2"), std::string::npos) << queued;
  EXPECT_NE(queued.find("score_shard.sbatch " + p + " run.seed=9"), std::string::npos) << queued;
  EXPECT_NE(queued.find("--dependency=afterok:41"), std::string::npos) << queued;
  EXPECT_NE(queued.find("merge " + t.file("merged") + " " + base + "-shard-0-of-3 " + base +
                        "-shard-1-of-3 " + base + "-shard-2-of-3"),
            std::string::npos)
      << queued;
  r = run_command("bash '" + slurm + "/submit_sharded.sh' '" + p + "' zero out");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("N must be a positive number"), std::string::npos) << r.output;
}

}  // namespace
