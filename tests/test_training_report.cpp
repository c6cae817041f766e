// The training report: the metrics of final_metrics.json and a curve drawn from train_log.csv,
// in DIR/report.md, and its summary in the run's report.md after a train stage.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "nas/error.h"
#include "nas/training_report.h"
#include "test_support.h"

namespace {

using nas::test::read_file;
using nas::test::TempDir;

void write_training(const TempDir& t) {
  t.write("train_log.csv",
          "epoch,step,split,lr,loss,top1,top5,images_per_second,seconds\n"
          "1,10,train,0.1,2.0,20,60,100,1\n"
          "1,20,train,0.1,1.5,40,80,100,2\n"
          "1,20,validation,0.1,1.4,45,85,0,3\n"
          "2,30,train,0.05,1.0,60,90,100,4\n"
          "2,40,train,0.05,0.8,70,95,100,5\n"
          "2,40,validation,0.05,0.9,65,93,0,6\n"
          "2,40,test,0.05,0.9,64.5,92,0,7\n");
  t.write("final_metrics.json",
          R"({"best_validation_epoch": 2, "best_validation_top1": 65.0, "epochs": 2,
              "flops": 153272960, "params": 1073466, "seconds": 7.25, "steps": 40,
              "test_top1": 64.5, "test_top5": 92.0})");
}

TEST(TrainingReport, MetricsAndTheCurveFromTheLog) {
  TempDir t;
  write_training(t);
  const nas::TrainingReport r = nas::write_training_report(t.path());
  const std::string md = read_file(t.file("report.md"));
  for (const std::string row :
       {"| test top-1 | 64.50 % |", "| test top-5 | 92.00 % |",
        "| best validation top-1 | 65.00 % (epoch 2) |", "| parameters | 1073466 |",
        "| FLOPs | 153.3 M |", "| epochs, steps | 2, 40 |", "| wall time | 7.2 s |"}) {
    EXPECT_NE(md.find(row), std::string::npos) << row << "\n" << md;
  }
  // setup.sh installs gnuplot-nox, so the curve is drawn: a PNG file, linked from the report.
  ASSERT_EQ(r.curve, "plots/training_curve.png") << md;
  EXPECT_TRUE(r.warnings.empty());
  const std::string png = read_file(t.file("plots/training_curve.png"));
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  EXPECT_NE(md.find("![training curve](plots/training_curve.png)"), std::string::npos) << md;
}

TEST(TrainingReport, WithoutGnuplotTheReportSaysSoAndHasNoImage) {
  TempDir t;
  write_training(t);
  nas::ReportOptions options;
  options.gnuplot = t.file("no-gnuplot-here");
  const nas::TrainingReport r = nas::write_training_report(t.path(), options);
  EXPECT_TRUE(r.curve.empty());
  const std::string md = read_file(t.file("report.md"));
  EXPECT_NE(md.find("gnuplot ('" + options.gnuplot + "') was not found"), std::string::npos)
      << md;
  EXPECT_EQ(md.find("!["), std::string::npos) << md;
  EXPECT_NE(md.find("| test top-1 | 64.50 % |"), std::string::npos) << md;
}

TEST(TrainingReport, MissingOrCorruptFilesAreNamed) {
  TempDir t;
  try {
    nas::write_training_report(t.path());
    FAIL() << "no error";
  } catch (const nas::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("final_metrics.json"), std::string::npos) << e.what();
  }
  write_training(t);
  t.write("final_metrics.json", R"({"test_top1": 1})");
  try {
    nas::write_training_report(t.path());
    FAIL() << "no error";
  } catch (const nas::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("final_metrics.json"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(t.file("report.md")));
}

// A pipeline that scores, reports and trains ends with one report: the correlations, then the
// trained network's metrics and curve.
TEST(TrainingReport, TheTrainStageAddsItToTheRunsReport) {
  TempDir t;
  const std::string cell =
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|"
      "avg_pool_3x3~2|";
  const std::string out = t.file("run");
  const std::string yaml = t.write(
      "p.yaml", "run: {out_dir: '" + out +
                    "', seed: 1, torch_threads: 1}\n"
                    "data: {type: fashion_mnist, batch_size: 16, params: {resize: 32, channels: "
                    "3, validation_size: 1000}}\n"
                    "search_space: {type: nb201}\nproxies: [params, flops]\n"
                    "score: {count: 12}\n"
                    "ground_truth: {benchmark: nb201, column: cifar10_valid_test}\n"
                    "train: {arch: '" +
                    cell +
                    "', epochs: 2, batch_size: 16, steps_per_epoch: 4, eval_batches: 1, "
                    "log_every: 2, width: 4, depth: 1}\n");
  for (int pass = 0; pass < 2; ++pass) {  // the second run resumes: the section is not doubled
    auto r = nas::test::run_command("'" + nas::test::cli() + "' -q run '" + yaml + "'");
    ASSERT_EQ(r.status, 0) << r.output;
  }
  const std::string md = read_file(out + "/report.md");
  EXPECT_NE(md.find("Spearman"), std::string::npos) << md;
  const auto at = md.find("## The trained network");
  ASSERT_NE(at, std::string::npos) << md;
  EXPECT_EQ(md.find("## The trained network", at + 1), std::string::npos) << md;
  EXPECT_NE(md.find("`" + cell + "` trained on `fashion_mnist`", at), std::string::npos) << md;
  EXPECT_NE(md.find("| epochs, steps | 2, 8 |", at), std::string::npos) << md;
  EXPECT_NE(md.find("![training curve](train/plots/training_curve.png)", at), std::string::npos)
      << md;
  EXPECT_TRUE(std::filesystem::exists(out + "/train/plots/training_curve.png"));
  EXPECT_TRUE(std::filesystem::exists(out + "/train/report.md"));
}

}  // namespace
