// The correlation report (framework/src/report.cpp) against values worked out by hand, its
// files and plots, and `nas report RUN_DIR` (framework/src/report_command.cpp) on hand-made run
// directories, including incomplete ones that must fail without writing anything.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nas/error.h"
#include "nas/report.h"
#include "nas/report_command.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
using Vec = std::vector<double>;

// The 5-row table: score s = 1..5 against truth t = 1 3 2 5 4.
// Spearman: the values are their own ranks; d = 0 -1 1 -1 1, Σd² = 4,
//   rho = 1 - 6·4 / (5·24) = 0.8 (and Pearson is the same number, the values being ranks).
// Kendall: of the 10 pairs, (2,3) and (4,5) are discordant: tau = (8 - 2) / 10 = 0.6.
// RMSE after the least-squares line: slope = r·sy/sx = 0.8, intercept 3 - 0.8·3 = 0.6,
//   fitted 1.4 2.2 3.0 3.8 4.6, residuals -0.4 0.8 -1 1.2 -0.6, SSE 3.6, RMSE sqrt(0.72).
// Top-k: 1% and 10% of 5 pairs both give k = ceil(0.05 | 0.5) = 1. The best score is row 5
//   (truth 4); the best truth is row 4: precision 0, mean truth of the top 1 = 4.
const Vec kScore = {1, 2, 3, 4, 5};
const Vec kTruth = {1, 3, 2, 5, 4};

TEST(Report, HandComputedMetricsOnFiveRows) {
  const nas::CorrelationReport r = nas::correlate({{"s", true, kScore},
                                                   {"perfect", true, kTruth},
                                                   {"reversed_lower", false, {5, 4, 3, 2, 1}},
                                                   {"with_nan", true, {1, kNaN, 3, 4, 5}}},
                                                  kTruth);
  ASSERT_EQ(r.rows.size(), 4u);
  EXPECT_EQ(r.archs, 5u);
  EXPECT_EQ(r.with_truth, 5u);
  const auto& s = r.rows[0];
  EXPECT_NEAR(s.spearman, 0.8, 1e-12);
  EXPECT_NEAR(s.kendall, 0.6, 1e-12);
  EXPECT_NEAR(s.pearson, 0.8, 1e-12);
  EXPECT_NEAR(s.rmse_linear, std::sqrt(0.72), 1e-12);
  EXPECT_EQ(s.top_small_precision, 0.0);
  EXPECT_EQ(s.top_large_precision, 0.0);
  EXPECT_EQ(s.top_small_mean_truth, 4.0);
  EXPECT_EQ(s.pairs, 5u);
  EXPECT_EQ(s.non_finite, 0u);
  EXPECT_EQ(s.rows, 5u);
  EXPECT_FALSE(s.masked);
  // The truth itself: everything perfect, RMSE 0, the top 1 is row 4 (truth 5).
  const auto& p = r.rows[1];
  EXPECT_NEAR(p.spearman, 1.0, 1e-12);
  EXPECT_NEAR(p.rmse_linear, 0.0, 1e-12);
  EXPECT_EQ(p.top_small_precision, 1.0);
  EXPECT_EQ(p.top_large_mean_truth, 5.0);
  EXPECT_EQ(r.oracle_top_small_mean_truth, 5.0);
  // Lower-is-better 5 4 3 2 1: correlations stay raw (negative); the top-k is taken at the
  // lowest score, row 5 again (precision 0, mean truth 4).
  const auto& l = r.rows[2];
  EXPECT_NEAR(l.spearman, -0.8, 1e-12);
  EXPECT_NEAR(l.kendall, -0.6, 1e-12);
  EXPECT_EQ(l.top_small_precision, 0.0);
  EXPECT_EQ(l.top_small_mean_truth, 4.0);
  // NaN in row 2: pairs s = 1 3 4 5, t = 1 2 5 4: truth ranks 1 2 4 3, Σd² = 2,
  // rho = 1 - 12/60 = 0.8; Kendall: 1 discordant pair of 6: (5 - 1) / 6.
  const auto& n = r.rows[3];
  EXPECT_EQ(n.pairs, 4u);
  EXPECT_EQ(n.non_finite, 1u);
  EXPECT_NEAR(n.spearman, 0.8, 1e-12);
  EXPECT_NEAR(n.kendall, 4.0 / 6.0, 1e-12);
}

TEST(Report, MaskJudgesOnlyTheSelectedRows) {
  // Row 3 masked out (and NaN there, which must not count): judged s = 1 2 4 5, t = 1 3 5 4:
  // truth ranks 1 2 4 3 -> rho 0.8 as above; 4 rows, 0 non-finite.
  nas::ScoreColumn c{"fitted", true, {1, 2, kNaN, 4, 5}, {true, true, false, true, true}};
  const nas::CorrelationReport r = nas::correlate({c}, kTruth);
  EXPECT_TRUE(r.rows[0].masked);
  EXPECT_EQ(r.rows[0].rows, 4u);
  EXPECT_EQ(r.rows[0].pairs, 4u);
  EXPECT_EQ(r.rows[0].non_finite, 0u);
  EXPECT_NEAR(r.rows[0].spearman, 0.8, 1e-12);
  nas::ScoreColumn bad{"bad", true, kScore, {true, false}};
  EXPECT_THROW(nas::correlate({bad}, kTruth), nas::Error);
}

bool have_gnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

TEST(Report, WritesJsonMarkdownAndPlots) {
  nas::test::TempDir dir;
  const std::vector<nas::ScoreColumn> cols = {
      {"s", true, kScore}, {"vote:x", true, kTruth, {true, true, true, false, true}}};
  nas::CorrelationReport r = nas::correlate(cols, kTruth);
  r.column = "acc";
  r.benchmark = "hand";
  const nas::ReportFiles files = nas::write_full_report(r, cols, kTruth, dir.path());
  const auto j = nlohmann::json::parse(nas::test::read_file(dir.file("correlation.json")));
  EXPECT_EQ(j["proxies"][0]["name"], "s");
  EXPECT_NEAR(j["proxies"][0]["rmse_linear"].get<double>(), std::sqrt(0.72), 1e-12);
  EXPECT_EQ(j["proxies"][1]["held_out_only"], true);
  EXPECT_EQ(j["proxies"][1]["rows"], 4);
  const std::string md = nas::test::read_file(dir.file("report.md"));
  EXPECT_NE(md.find("| s | higher | +0.800 | +0.600 | +0.800 | 0.849 |"), std::string::npos) << md;
  EXPECT_NE(md.find("vote:x *(held-out)*"), std::string::npos) << md;
  EXPECT_TRUE(fs::exists(dir.file("correlation.md")));
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot is not installed: plots not checked";
  EXPECT_TRUE(files.warnings.empty()) << files.warnings.front();
  EXPECT_TRUE(fs::exists(dir.file("plots/correlation_bars.png")));
  EXPECT_TRUE(fs::exists(dir.file("plots/scatter_s.png")));
  EXPECT_TRUE(fs::exists(dir.file("plots/scatter_vote_x.png")));
  EXPECT_NE(md.find("](plots/scatter_s.png)"), std::string::npos);
  // PNG magic number.
  EXPECT_EQ(nas::test::read_file(dir.file("plots/scatter_s.png")).substr(1, 3), "PNG");

  nas::test::TempDir svg;
  nas::ReportOptions o;
  o.plot_format = "svg";
  nas::write_full_report(r, cols, kTruth, svg.path(), o);
  EXPECT_NE(nas::test::read_file(svg.file("plots/scatter_s.svg")).find("<svg"), std::string::npos);
}

TEST(Report, MissingGnuplotIsAWarningNotAFailure) {
  nas::test::TempDir dir;
  const std::vector<nas::ScoreColumn> cols = {{"s", true, kScore}};
  nas::CorrelationReport r = nas::correlate(cols, kTruth);
  nas::ReportOptions o;
  o.gnuplot = "/nonexistent/gnuplot";
  const nas::ReportFiles files = nas::write_full_report(r, cols, kTruth, dir.path(), o);
  ASSERT_EQ(files.warnings.size(), 1u);
  const std::string md = nas::test::read_file(dir.file("report.md"));
  EXPECT_NE(md.find("plots skipped: gnuplot"), std::string::npos) << md;
  EXPECT_FALSE(fs::exists(dir.file("plots")));
}

// ---------------------------------------------------------------- nas report RUN_DIR

// Files (name -> size) of a directory, to show that nothing was written.
std::map<std::string, std::uintmax_t> listing(const std::string& dir) {
  std::map<std::string, std::uintmax_t> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out[e.path().string()] = e.is_regular_file() ? e.file_size() : 0;
  return out;
}

const char* kScoresHeader = "arch,proxy,version,score,seconds,seed,status,config_hash,message\n";

// A run directory with n architectures a1..an: p1 = i, p2 = (7 i) mod n, p3 = n + 1 - i;
// truth acc = i + 0.1 ((3 i) mod 5) in truth.csv (next to the run, referenced by path).
struct RunDir {
  nas::test::TempDir tmp;
  std::string run;
  std::string truth;
  RunDir(std::size_t n, const std::string& vote, bool ground_truth = true) {
    run = tmp.file("run");
    fs::create_directories(run);
    truth = tmp.file("truth.csv");
    std::string t = "arch,acc\n", s = kScoresHeader;
    s += "a1,p1,1,100,0,0,ok,h,\n";  // replaced by a later row for the same pair
    for (std::size_t i = 1; i <= n; ++i) {
      const std::string a = "a" + std::to_string(i);
      t += a + "," + std::to_string(i + 0.1 * ((3 * i) % 5)) + "\n";
      s += a + ",p1,1," + std::to_string(i) + ",0,0,ok,h,\n";
      s += a + ",p2,1," + std::to_string((7 * i) % n) + ",0,0,ok,h,\n";
      s += a + ",p3,1," + std::to_string(n + 1 - i) + ",0,0,ok,h,\n";
      s += a + ",old,1,1,0,0,ok,h,\n";  // a proxy the config no longer names
    }
    std::ofstream(truth) << t;
    std::ofstream(run + "/scores.csv") << s;
    // The manifest `nas run` writes: proxies with directions and config hashes, the votes with
    // typed parameters, the ground truth.
    auto proxy = [](const std::string& name) {
      return "{\"type\": \"" + name + "\", \"name\": \"" + name +
             "\", \"params\": {}, \"version\": \"1\", \"higher_is_better\": true, "
             "\"config_hash\": \"h\"}";
    };
    std::string m = "{\"name\": \"toy\", \"seed\": 0, \"seed_scheme\": 2, "
                    "\"space\": {\"type\": \"nb201\", \"name\": \"nb201\", \"params\": {}}, "
                    "\"data\": null, \"batch_size\": 64, \"proxies\": [" +
                    proxy("p1") + ", " + proxy("p2") + ", " + proxy("p3") + "], \"votes\": [" +
                    vote + "], \"ground_truth\": " +
                    (ground_truth ? "{\"benchmark\": \"\", \"path\": \"" + truth +
                                        "\", \"arch_column\": \"arch\", \"columns\": [\"acc\"]}"
                                  : std::string("null")) +
                    ", \"rows_file\": \"\"}";
    std::ofstream(run + "/run.json") << m;
  }
};

// A vote entry of run.json.
std::string vote_entry(const std::string& type, const std::string& params,
                       const std::string& fit_rows = "null") {
  return "{\"type\": \"" + type + "\", \"name\": \"" + type + "\", \"params\": {" + params +
         "}, \"guides_search\": true, \"fit_rows\": " + fit_rows + "}";
}

nas::ReportCommandOptions no_plots() {
  nas::ReportCommandOptions o;
  o.plot_format = "none";
  return o;
}

TEST(ReportCommand, RebuildsReportWithRecomputedVote) {
  // Vote: majority of p1, p2 and -p3. p1 and -p3 both order the rows a1 < a2 < ... < a5, so
  // they alone decide every pair: Copeland = wins - losses = (i - 1) - (5 - i) = 2i - 6.
  RunDir d(5, vote_entry("majority", "\"proxies\": {\"string_list\": [\"p1\", \"p2\", \"-p3\"]}"));
  const auto result = nas::report_run_dir(d.run, no_plots());
  const auto& rows = result.report.rows;
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].name, "p1");
  EXPECT_EQ(rows[3].name, "vote:majority");
  // p1 = 1..5 (the duplicate first row was replaced) against acc = 1.3 2.1 3.4 4.2 5.0, which
  // has the same order: Spearman 1.
  EXPECT_NEAR(rows[0].spearman, 1.0, 1e-12);
  EXPECT_NEAR(rows[2].spearman, -1.0, 1e-12);  // p3 reversed
  EXPECT_NEAR(rows[3].spearman, 1.0, 1e-12);
  EXPECT_EQ(result.report.column, "acc");
  const auto j = nlohmann::json::parse(nas::test::read_file(d.run + "/correlation.json"));
  EXPECT_EQ(j["proxies"].size(), 4u);
  const std::string md = nas::test::read_file(d.run + "/report.md");
  EXPECT_NE(md.find("# Correlation report: toy"), std::string::npos) << md;
  // The five rows of `old`, a proxy the run does not name, are left out and said so.
  EXPECT_NE(md.find("5 rows of scores.csv belong to other configurations"), std::string::npos)
      << md;
}

TEST(ReportCommand, IncompleteRunDirectoryFailsWithoutWriting) {
  {
    RunDir d(5, "");
    fs::remove(d.run + "/scores.csv");
    const auto before = listing(d.run);
    try {
      nas::report_run_dir(d.run, no_plots());
      FAIL() << "no error for a run directory without scores.csv";
    } catch (const nas::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("scores.csv"), std::string::npos) << e.what();
    }
    EXPECT_EQ(listing(d.run), before);
  }
  {
    RunDir d(5, "");
    fs::remove(d.run + "/run.json");
    fs::remove(d.run + "/scores.csv");
    try {
      nas::report_run_dir(d.run, no_plots());
      FAIL();
    } catch (const nas::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("run.json and no scores.csv"),
                std::string::npos)
          << e.what();
    }
    EXPECT_TRUE(fs::is_empty(d.run));
  }
  {
    RunDir d(5, "", /*ground_truth=*/false);
    const auto before = listing(d.run);
    try {
      nas::report_run_dir(d.run, no_plots());
      FAIL() << "no error without ground truth";
    } catch (const nas::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("no ground_truth section"), std::string::npos)
          << e.what();
    }
    EXPECT_EQ(listing(d.run), before);
    // Given on the command line instead, it works.
    nas::ReportCommandOptions o = no_plots();
    o.path = d.truth;
    o.column = "acc";
    EXPECT_NO_THROW(nas::report_run_dir(d.run, o));
    EXPECT_TRUE(fs::exists(d.run + "/report.md"));
  }
  {
    // A vote that cannot be fitted (5 rows: round(2.5) = 3 training rows < 2 inputs + 2).
    RunDir d(5, vote_entry("fusion", "\"proxies\": {\"string_list\": [\"p1\", \"p2\"]}, "
                                     "\"log\": {\"string_list\": []}"));
    const auto before = listing(d.run);
    EXPECT_THROW(nas::report_run_dir(d.run, no_plots()), nas::Error);
    EXPECT_EQ(listing(d.run), before);
  }
  EXPECT_THROW(nas::report_run_dir("/nonexistent/run/dir", no_plots()), nas::UsageError);
}

TEST(ReportCommand, FusionIsRefittedAndJudgedOnHeldOutRows) {
  RunDir d(40, vote_entry("fusion", "\"proxies\": {\"string_list\": [\"p1\", \"p2\"]}, "
                                    "\"log\": {\"string_list\": []}, \"split_seed\": {\"int\": 3}"));
  const auto result = nas::report_run_dir(d.run, no_plots());
  const auto& vote = result.report.rows.back();
  EXPECT_EQ(vote.name, "vote:fusion");
  EXPECT_TRUE(vote.masked);
  EXPECT_EQ(vote.rows, 20u);  // 40 rows with truth, half train
  const std::string weights = d.run + "/votes/fusion/fusion_weights.json";  // votes/<name>/
  ASSERT_TRUE(fs::exists(weights));
  EXPECT_EQ(nlohmann::json::parse(nas::test::read_file(weights))["training_size"], 20);
  // A second report keeps the run's weights file as it is.
  std::ofstream(weights, std::ios::app) << " ";
  const std::string before = nas::test::read_file(weights);
  nas::report_run_dir(d.run, no_plots());
  EXPECT_EQ(nas::test::read_file(weights), before);
  EXPECT_NE(nas::test::read_file(d.run + "/report.md").find("was not written"), std::string::npos);
}

}  // namespace
