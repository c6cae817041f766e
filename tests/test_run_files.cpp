// The run directory's files and the evaluation job: round trips (faiss style) and the exact
// text of what is written.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <limits>

#include "nas/error.h"
#include "nas/evaluation_job.h"
#include "nas/search_space.h"
#include "run_files.h"
#include "run_manifest.h"
#include "test_support.h"

namespace {

using nas::test::TempDir;

nas::ScoreRecord record(const std::string& proxy, double score, const std::string& message = "") {
  nas::ScoreRecord r;
  r.proxy = proxy;
  r.version = "2";
  r.score = score;
  r.seconds = 0.25;
  r.seed = 18446744073709551615ull;  // the largest seed survives the text form
  r.message = message;
  return r;
}

// Scores whose text form is delicate come back bit for bit: NaN, both infinities, -0.0, the
// smallest subnormal, the largest double, 0.1; an architecture and a message with commas,
// quotes and a newline come back unchanged.
TEST(RunFiles, ScoresRoundTripExactly) {
  TempDir t;
  const std::string path = t.file("scores.csv");
  const std::vector<double> values = {std::nan(""),
                                      HUGE_VAL,
                                      -HUGE_VAL,
                                      -0.0,
                                      std::numeric_limits<double>::denorm_min(),
                                      std::numeric_limits<double>::max(),
                                      0.1,
                                      -123456.78901234567};
  nas::Evaluation e;
  e.arch = nas::Arch("toy", "a,\"b\"|c");
  for (std::size_t i = 0; i < values.size(); ++i) {
    e.scores.push_back(record("p" + std::to_string(i), values[i], "line one, \"two\"\nthree"));
  }
  e.scores[2].status = nas::ScoreStatus::kNonFinite;
  e.scores[3].status = nas::ScoreStatus::kOutOfMemory;
  {
    nas::detail::ScoresWriter writer(path);
    writer.append(e, {{"p0", "abc"}});
  }
  const auto rows = nas::detail::read_scores(path);
  ASSERT_EQ(rows.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& r = rows[i];
    EXPECT_EQ(r.arch, "a,\"b\"|c");
    EXPECT_EQ(r.record.proxy, "p" + std::to_string(i));
    EXPECT_EQ(r.record.version, "2");
    EXPECT_EQ(r.record.seed, 18446744073709551615ull);
    EXPECT_EQ(r.record.message, "line one, \"two\"\nthree");
    if (std::isnan(values[i])) {
      EXPECT_TRUE(std::isnan(r.record.score));
    } else {
      EXPECT_EQ(r.record.score, values[i]);
      EXPECT_EQ(std::signbit(r.record.score), std::signbit(values[i]));
    }
  }
  EXPECT_EQ(rows[0].config_hash, "abc");
  EXPECT_EQ(rows[1].config_hash, "");
  EXPECT_EQ(rows[2].record.status, nas::ScoreStatus::kNonFinite);
  EXPECT_EQ(rows[3].record.status, nas::ScoreStatus::kOutOfMemory);
  // The header, then whole lines: the text ends with a newline.
  const std::string text = nas::test::read_file(path);
  EXPECT_EQ(text.rfind(nas::detail::kScoresHeader, 0), 0u);
  EXPECT_EQ(text.back(), '\n');
}

// An incomplete last line is left out by the reader and cut by the writer before it appends.
TEST(RunFiles, IncompleteLastLineIsDroppedAndCut) {
  TempDir t;
  const std::string path = t.file("scores.csv");
  const std::string whole = std::string(nas::detail::kScoresHeader) + "\nx,p,1,2,0,0,ok,h,\n";
  t.write("scores.csv", whole + "y,p,1,3,0");
  const auto file = nas::detail::read_scores_file(path);
  ASSERT_EQ(file.rows.size(), 1u);
  EXPECT_EQ(file.dropped_line, "y,p,1,3,0");
  {
    nas::detail::ScoresWriter writer(path);
    nas::Evaluation e;
    e.arch = nas::Arch("toy", "z");
    e.scores.push_back(record("p", 4));
    writer.append(e, {{"p", "h"}});
  }
  EXPECT_EQ(nas::test::read_file(path), whole + "z,p,2,4,0.250000,18446744073709551615,ok,h,\n");
}

TEST(RunFiles, CorruptRowsNameFileAndLine) {
  TempDir t;
  const std::string header = std::string(nas::detail::kScoresHeader) + "\n";
  for (const std::string bad :
       {"x,p,1,2,0,-1,ok,h,\n", "x,p,1,2,0,0,maybe,h,\n", "x,p,1,two,0,0,ok,h,\n", "x,p,1\n"}) {
    t.write("s.csv", header + "a,p,1,1,0,0,ok,h,\n" + bad);
    try {
      nas::detail::read_scores(t.file("s.csv"));
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const nas::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(t.file("s.csv") + ":3"), std::string::npos) << e.what();
    }
  }
}

TEST(RunFiles, AtomicWriteReplacesWholeFileOrFailsNamingIt) {
  TempDir t;
  const std::string path = t.file("best_arch.txt");
  nas::detail::write_file_atomic(path, "first\n");
  nas::detail::write_file_atomic(path, "second\n");
  EXPECT_EQ(nas::test::read_file(path), "second\n");
  try {
    nas::detail::write_file_atomic(t.file("no/such/dir/x"), "x");
    ADD_FAILURE();
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/dir/x"), std::string::npos) << e.what();
  }
}

TEST(RunFiles, LockIsExclusive) {
  TempDir t;
  nas::detail::RunDirLock first(t.path());
  try {
    nas::detail::RunDirLock second(t.path());
    ADD_FAILURE() << "a second lock was granted";
  } catch (const nas::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("pid " + std::to_string(::getpid())), std::string::npos)
        << e.what();
  }
}

// Every field of a job survives JSON, each parameter with its type; doubles bit for bit.
TEST(EvaluationJob, JsonRoundTrip) {
  nas::EvaluationJob job;
  job.space = {"nb201", "nb201", {}};
  job.space.params.set("width", std::int64_t{16});
  nas::ComponentSpec data{"synthetic", "synthetic", {}};
  data.params.set("scale", 0.1);
  data.params.set("normalize", true);
  job.data = data;
  nas::ComponentSpec proxy{"wrcor", "w2", {}};
  proxy.params.set("hooks", std::string("reference"));
  proxy.params.set("taps", std::vector<std::string>{"a", "b,c"});
  proxy.params.set("weights", std::vector<double>{1.0 / 3, -0.0});
  job.proxies = {proxy};
  job.batch_size = 48;
  job.seed = 18446744073709551615ull;
  job.seed_scheme = 7;
  job.net.input_size = 28;
  job.net.stem = false;
  job.net.max_cells = 1;
  job.net.device = "cuda:1";
  job.workers = 3;
  job.torch_threads = 2;
  const nas::EvaluationJob back = nas::EvaluationJob::from_json(job.to_json());
  EXPECT_EQ(back.to_json(), job.to_json());
  EXPECT_EQ(back.proxies.at(0).name, "w2");
  EXPECT_EQ(back.proxies[0].params.get_double_list("weights")[0], 1.0 / 3);
  EXPECT_EQ(back.data->params.get_double("scale"), 0.1);
  EXPECT_EQ(back.space.params.get_int("width"), 16);
  EXPECT_EQ(back.seed, 18446744073709551615ull);
  EXPECT_FALSE(back.net.stem);
  EXPECT_THROW(nas::EvaluationJob::from_json("{\"space\": 1}"), nas::Error);
}

// What counts as a change of meaning between two runs: shared proxies' parameters, the seed;
// not an added proxy.
TEST(RunManifest, DifferencesNameTheKeys) {
  nas::detail::RunManifest a;
  a.seed = 1;
  a.space = {"nb201", "nb201", {}};
  nas::detail::ManifestProxy p;
  p.component = {"params", "params", {}};
  p.component.params.set("millions", false);
  p.version = "1";
  a.proxies = {p};
  nas::detail::RunManifest b = a;
  EXPECT_TRUE(nas::detail::score_differences(a, b).empty());
  nas::detail::ManifestProxy q = p;
  q.component = {"flops", "flops", {}};
  b.proxies.push_back(q);
  EXPECT_TRUE(nas::detail::score_differences(a, b).empty());
  b.proxies[0].component.params.set("millions", true);
  b.seed = 2;
  const auto d = nas::detail::score_differences(a, b);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], "proxies.params.params.millions: false -> true");
  EXPECT_EQ(d[1], "run.seed: 1 -> 2");
  // The manifest survives its own JSON.
  TempDir t;
  const auto back = nas::detail::RunManifest::read(t.write("run.json", b.to_json()));
  EXPECT_EQ(back.to_json(), b.to_json());
}

// A search's strategy, parameters, budget and guiding vote are compared when both runs search;
// a run that only scored may gain a search.
TEST(RunManifest, SearchDifferencesNameTheKeysWhenBothRunsSearch) {
  nas::detail::RunManifest a;
  a.space = {"nb201", "nb201", {}};
  nas::detail::RunManifest b = a;
  b.strategy = nas::ComponentSpec{"random", "random", {}};
  b.budget = 50;
  EXPECT_TRUE(nas::detail::score_differences(a, b).empty());  // a search added
  EXPECT_TRUE(nas::detail::score_differences(b, a).empty());  // a re-run that only scores
  a = b;
  nas::detail::ManifestVote sjw;
  sjw.component = {"majority", "sjw", {}};
  sjw.component.params.set("preset", std::string("sjw"));
  sjw.guides_search = true;
  b.votes = {sjw};
  b.budget = 60;
  b.strategy->params.set("population", std::int64_t{8});
  const auto d = nas::detail::score_differences(a, b);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0], "strategy.budget: 50 -> 60");
  EXPECT_EQ(d[1], "vote: (first proxy) -> majority preset=sjw");
  EXPECT_EQ(d[2], "strategy.params.population: (unset) -> 8");
  TempDir t;
  const auto back = nas::detail::RunManifest::read(t.write("run.json", b.to_json()));
  EXPECT_EQ(back.to_json(), b.to_json());
  ASSERT_TRUE(back.strategy.has_value());
  EXPECT_EQ(back.budget, 60);
}

}  // namespace
