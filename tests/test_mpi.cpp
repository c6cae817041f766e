// The `mpi` evaluator through `mpirun ... nas run`: the same scores.csv (all but timings),
// search_trace.csv (all but seconds) and best_arch.txt for 1, 2 and 3 ranks as the local
// evaluator, and clear reports for bad input and faults: the local evaluator under mpirun (said
// once), more ranks than work, a worker rank that cannot build the job or load the pipeline
// (named, nothing written, bounded time), and a worker or the coordinator killed mid-run
// (everything recorded kept, re-run resumes).
// Skipped only where mpirun is absent; CI installs Open MPI, so there they run.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "nas/csv.h"
#include "test_support.h"

namespace {

using nas::test::CommandResult;
using nas::test::run_command;
using nas::test::TempDir;

bool have_mpirun() { return run_command("command -v mpirun").status == 0; }

// Loopback only, root allowed (CI runs as root), more ranks than cores allowed.
std::string mpirun(int ranks) {
  return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
         "OMPI_MCA_rmaps_base_oversubscribe=1 "
         "timeout -k 5 150 mpirun -np " +
         std::to_string(ranks) +
         " --oversubscribe --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include "
         "lo "
         "-x NAS_PLUGIN_PATH ";
}

CommandResult nas_run(const std::string& yaml, int ranks, const std::string& extra = "") {
  const std::string cmd = "'" + nas::test::cli() + "' -q run '" + yaml + "' " + extra;
  return run_command(ranks == 0 ? cmd : mpirun(ranks) + cmd);
}

// Network proxies of different costs on synthetic inputs, a score stage and a small aging
// evolution (its population in one batch, then one mutation at a time).
std::string pipeline(const std::string& out, const std::string& evaluator, int count = 12,
                     bool search = true) {
  return "run: {name: t, out_dir: '" + out +
         "', seed: 7, torch_threads: 1, evaluator: {type: " + evaluator +
         "}}\n"
         "data: {type: synthetic, batch_size: 8}\n"
         "search_space: {type: nb201}\n"
         "proxies: [nwot, synflow]\n"
         "score: {archs: sample, count: " +
         std::to_string(count) + "}\n" +
         (search ? "strategy: {type: regularized_evolution, budget: 24, params: {population: 8, "
                   "sample: 3, cycles: 16}}\n"
                 : "");
}

std::vector<std::vector<std::string>> without_seconds(const std::string& path) {
  return nas::test::rows_without_seconds(path);
}

std::vector<std::vector<std::string>> sorted_rows(const std::string& path) {
  auto rows = without_seconds(path);
  std::sort(rows.begin() + 1, rows.end());
  return rows;
}

#define REQUIRE_MPIRUN() \
  if (!have_mpirun()) GTEST_SKIP() << "mpirun is not installed (Debian: openmpi-bin)"

}  // namespace

TEST(MpiRun, SameResultsAsLocalForOneTwoAndThreeRanks) {
  REQUIRE_MPIRUN();
  TempDir t;
  const std::string local = t.file("local");
  auto r = nas_run(t.write("local.yaml", pipeline(local, "local")), 0);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto scores = without_seconds(local + "/scores.csv");
  const auto trace = without_seconds(local + "/search_trace.csv");
  const std::string best = nas::test::read_file(local + "/best_arch.txt");
  ASSERT_GT(scores.size(), 40u);
  ASSERT_FALSE(best.empty());
  for (int ranks : {1, 2, 3}) {
    const std::string out = t.file("mpi" + std::to_string(ranks));
    r = nas_run(t.write("mpi" + std::to_string(ranks) + ".yaml", pipeline(out, "mpi")), ranks);
    ASSERT_EQ(r.status, 0) << ranks << " ranks:\n" << r.output;
    EXPECT_EQ(without_seconds(out + "/scores.csv"), scores) << ranks << " ranks";
    EXPECT_EQ(without_seconds(out + "/search_trace.csv"), trace) << ranks << " ranks";
    EXPECT_EQ(nas::test::read_file(out + "/best_arch.txt"), best) << ranks << " ranks";
    if (ranks > 1) {
      EXPECT_NE(r.output.find("mpi: " + std::to_string(ranks) + " ranks (rank 0 on"),
                std::string::npos)
          << r.output;
    }
  }
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The error is rank 0's alone: said once, not once per rank; the other ranks fail quietly.
TEST(MpiFaults, LocalEvaluatorUnderMpirunSaysWhatToChangeOnce) {
  REQUIRE_MPIRUN();
  TempDir t;
  const std::string out = t.file("o");
  const std::string yaml = t.write("p.yaml", pipeline(out, "local", 4, false));
  const auto start = std::chrono::steady_clock::now();
  auto r = nas_run(yaml, 3);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_EQ(occurrences(r.output, "error: "), 1u) << r.output;
  EXPECT_EQ(occurrences(r.output, "`run.evaluator: {type: mpi}`"), 1u) << r.output;
  EXPECT_NE(r.output.find("run.evaluator.type=mpi"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("is one of 3 ranks"), std::string::npos) << r.output;
  EXPECT_LT(seconds_since(start), 60.0);
  EXPECT_FALSE(std::filesystem::exists(out)) << "nothing may be written";
  // A rank other than 0, as mpirun starts it: exit status 2, not a word.
  r = run_command("OMPI_COMM_WORLD_SIZE=3 OMPI_COMM_WORLD_RANK=2 '" + nas::test::cli() +
                  "' -q run '" + yaml + "'");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_EQ(r.output, "");
  EXPECT_FALSE(std::filesystem::exists(out)) << "nothing may be written";
}

// A pipeline whose data only rank 0 can read: Fashion-MNIST from $NAS_FASHION_MNIST_DIR.
std::string fashion_pipeline(const std::string& out, int count) {
  return "run: {name: t, out_dir: '" + out +
         "', seed: 3, torch_threads: 1, evaluator: {type: mpi}}\n"
         "data: {type: fashion_mnist, batch_size: 8, params: {resize: 32, channels: 3}}\n"
         "search_space: {type: nb201}\n"
         "proxies: [nwot, synflow]\n"
         "score: {archs: sample, count: " +
         std::to_string(count) + "}\n";
}

// mpirun with two app contexts: rank 0 runs `cmd`, rank 1 runs `cmd` under `env ENV`.
CommandResult mpirun_rank1_env(const std::string& cmd, const std::string& env) {
  return run_command(mpirun(1) + cmd + " : -np 1 env " + env + " " + cmd);
}

// Rank 1 cannot build the evaluation job (its Fashion-MNIST directory is empty): rank 0 names
// the rank and its error, exits non-zero within bounded time having written nothing, keeps the
// rows recorded before, and the same command with the data in place resumes.
TEST(MpiFaults, WorkerThatCannotBuildTheJobIsNamed) {
  REQUIRE_MPIRUN();
  TempDir t;
  const std::string out = t.file("o");
  const std::string yaml = t.write("p.yaml", fashion_pipeline(out, 6));
  const std::string cli = "'" + nas::test::cli() + "' -q run '" + yaml + "'";
  // Rows recorded by an earlier run (in-process: the mpi evaluator without mpirun).
  auto r = run_command(cli + " score.count=3");
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string recorded = nas::test::read_file(out + "/scores.csv");
  ASSERT_EQ(nas::test::lines_of(recorded).size(), 7u) << recorded;
  const std::string empty = t.file("no-data");
  std::filesystem::create_directories(empty);
  const auto start = std::chrono::steady_clock::now();
  r = mpirun_rank1_env(cli, "NAS_FASHION_MNIST_DIR='" + empty + "'");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_LT(seconds_since(start), 120.0) << r.output;
  EXPECT_NE(r.output.find("worker ranks could not build the evaluation job: rank 1 (pid "),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(empty), std::string::npos) << "the worker's reason:\n" << r.output;
  EXPECT_EQ(occurrences(r.output, "error: "), 1u) << r.output;
  EXPECT_EQ(nas::test::read_file(out + "/scores.csv"), recorded);
  // Data in place on both ranks: the run resumes from the rows kept.
  r = nas_run(yaml, 2);
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string done = nas::test::read_file(out + "/scores.csv");
  EXPECT_EQ(nas::test::lines_of(done).size(), 13u) << done;
  EXPECT_EQ(done.substr(0, recorded.size()), recorded);
}

// Rank 1 cannot even load the pipeline: it names a proxy of a plugin that only rank 0's
// NAS_PLUGIN_PATH reaches (the template fixture). Rank 1 says so itself, naming its rank;
// rank 0, waiting for it to join, is stopped by mpirun and says why; nothing recorded is lost,
// and no rank hangs.
TEST(MpiFaults, WorkerThatCannotLoadThePipelineIsNamed) {
  REQUIRE_MPIRUN();
  TempDir t;
  const std::string out = t.file("o");
  const std::string yaml =
      t.write("p.yaml", "run: {name: t, out_dir: '" + out +
                            "', seed: 7, torch_threads: 1, evaluator: {type: mpi}}\n"
                            "data: {type: synthetic, batch_size: 8}\n"
                            "search_space: {type: nb201}\n"
                            "proxies: [nwot, template_logit_std]\n"
                            "score: {archs: sample, count: 4}\n");
  const std::string cli = "'" + nas::test::cli() + "' -q run '" + yaml + "'";
  const std::string with_template = "NAS_PLUGIN_PATH='" + nas::test::env_or("NAS_PLUGIN_PATH") +
                                    ":" + nas::test::fixture_plugins("template") + "'";
  auto r = run_command(with_template + " " + cli + " score.count=2");
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string recorded = nas::test::read_file(out + "/scores.csv");
  ASSERT_EQ(nas::test::lines_of(recorded).size(), 5u) << recorded;
  const auto start = std::chrono::steady_clock::now();
  r = run_command(mpirun(1) + "env " + with_template + " " + cli + " : -np 1 " + cli);
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_LT(seconds_since(start), 120.0) << r.output;
  EXPECT_NE(r.output.find("error: rank 1: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("template_logit_std"), std::string::npos) << r.output;
  // Rank 0 waits for rank 1 in MPI_Init (or, past it, for its answer to the job) until mpirun
  // stops it; it says so.
  EXPECT_NE(r.output.find("The job stops; the run directory is as it was."), std::string::npos)
      << r.output;
  EXPECT_EQ(nas::test::read_file(out + "/scores.csv"), recorded);
}

TEST(MpiFaults, MoreRanksThanWorkStillScoresAndSaysSo) {
  REQUIRE_MPIRUN();
  TempDir t;
  const std::string local = t.file("local");
  ASSERT_EQ(nas_run(t.write("l.yaml", pipeline(local, "local", 1, false)), 0).status, 0);
  const std::string out = t.file("o");
  auto r = nas_run(t.write("p.yaml", pipeline(out, "mpi", 1, false)), 3);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("scored nothing"), std::string::npos) << r.output;
  EXPECT_EQ(without_seconds(out + "/scores.csv"), without_seconds(local + "/scores.csv"));
}

namespace {

// Runs `cmd` (mpirun ... nas run `yaml`) in the background and, once scores.csv in `out` has 9
// lines (4 architectures), kill -9's the given rank: the process whose command line names the
// pipeline and whose environment says that rank. Returns the script's output ("killed PID",
// "job status N") and the job's log.
std::pair<std::string, std::string> kill_rank_when_recorded(const TempDir& t,
                                                            const std::string& cmd,
                                                            const std::string& yaml,
                                                            const std::string& out, int rank) {
  const std::string log = t.file("log-" + std::to_string(rank));
  const std::string script =
      "(" + cmd + ") > '" + log + "' 2>&1 & job=$!\n" +
      "for i in $(seq 1 1200); do\n"
      "  n=$(cat '" +
      out +
      "/scores.csv' 2>/dev/null | wc -l)\n"
      "  [ \"$n\" -ge 9 ] && break; sleep 0.1\n"
      "done\n"
      "for p in $(pgrep -f '" +
      yaml +
      "'); do\n"
      "  if tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=" +
      std::to_string(rank) +
      "; then\n"
      "    grep -q 'nas' /proc/$p/cmdline && kill -9 $p && echo killed $p\n"
      "  fi\n"
      "done\n"
      "wait $job; echo \"job status $?\"\n";
  const std::string script_path = t.write("kill-" + std::to_string(rank) + ".sh", script);
  const CommandResult killed = run_command("bash '" + script_path + "'");
  return {killed.output, nas::test::read_file(log)};
}

// What both kill tests start from: the uninterrupted run of 40 cells with the local evaluator,
// and the pipeline and command of the same run over 3 MPI ranks.
struct KillSetup {
  std::string local, out, yaml, cmd;
  int local_status = -1;
};
KillSetup kill_setup(TempDir& t) {
  const int count = 40;
  KillSetup k;
  k.local = t.file("local");
  k.local_status = nas_run(t.write("l.yaml", pipeline(k.local, "local", count, false)), 0).status;
  k.out = t.file("o");
  k.yaml = t.write("p.yaml", pipeline(k.out, "mpi", count, false));
  k.cmd = mpirun(3) + "'" + nas::test::cli() + "' -q run '" + k.yaml + "'";
  return k;
}

}  // namespace

// kill -9 of worker rank 1 once a few architectures are recorded: the coordinator names the
// rank, the job exits non-zero with whole rows kept, and the same command resumes to exactly
// the rows of an uninterrupted run.
TEST(MpiFaults, KilledRankIsNamedAndRerunResumes) {
  REQUIRE_MPIRUN();
  TempDir t;
  const KillSetup k = kill_setup(t);
  ASSERT_EQ(k.local_status, 0);
  const std::string &local = k.local, &out = k.out, &yaml = k.yaml, &cmd = k.cmd;
  const auto [killed, log] = kill_rank_when_recorded(t, cmd, yaml, out, 1);
  ASSERT_NE(killed.find("killed"), std::string::npos) << killed << log;
  EXPECT_EQ(killed.find("job status 0"), std::string::npos) << killed << log;
  EXPECT_NE(log.find("rank 1 (pid"), std::string::npos) << log;
  EXPECT_NE(log.find("died"), std::string::npos) << log;
  EXPECT_NE(log.find("run the same command again to resume"), std::string::npos) << log;
  // Every row kept is whole and belongs to the uninterrupted run.
  const auto partial = sorted_rows(out + "/scores.csv");
  const auto full = sorted_rows(local + "/scores.csv");
  ASSERT_GE(partial.size(), 9u);
  for (std::size_t i = 1; i < partial.size(); ++i) {
    EXPECT_TRUE(std::binary_search(full.begin() + 1, full.end(), partial[i])) << i;
  }
  auto r = run_command(cmd);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(sorted_rows(out + "/scores.csv"), full);
}

// kill -9 of rank 0, the coordinator and the only writer: mpirun names it and stops the
// workers (which ignore its SIGTERM, so they die by its SIGKILL: the job ends within bounded
// time), and the same command resumes from the rows written to exactly the uninterrupted run's.
TEST(MpiFaults, KilledCoordinatorLeavesAResumableRun) {
  REQUIRE_MPIRUN();
  TempDir t;
  const KillSetup k = kill_setup(t);
  ASSERT_EQ(k.local_status, 0);
  const std::string &local = k.local, &out = k.out, &yaml = k.yaml, &cmd = k.cmd;
  const auto start = std::chrono::steady_clock::now();
  const auto [killed, log] = kill_rank_when_recorded(t, cmd, yaml, out, 0);
  EXPECT_LT(seconds_since(start), 140.0) << "mpirun's timeout ended it:\n" << log;
  ASSERT_NE(killed.find("killed"), std::string::npos) << killed << log;
  EXPECT_EQ(killed.find("job status 0"), std::string::npos) << killed << log;
  EXPECT_EQ(killed.find("job status 124"), std::string::npos) << "hung:\n" << killed << log;
  EXPECT_NE(log.find("rank 0"), std::string::npos) << log;  // mpirun's report
  EXPECT_GE(nas::test::lines_of(nas::test::read_file(out + "/scores.csv")).size(), 9u);
  auto r = run_command(cmd);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(sorted_rows(out + "/scores.csv"), sorted_rows(local + "/scores.csv"));
}
