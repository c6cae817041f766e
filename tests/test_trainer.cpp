// The trainer (nas/trainer.h) and the train stage: the schedule by hand, SGD against
// torch.optim.SGD (tests/oracle/trainer_oracle.py), checkpoints that survive SIGKILL, weights
// Python reads, and clear errors for bad settings.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/script.h>
#include <torch/torch.h>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <sstream>
#include <thread>

#include "nas/dataset.h"
#include "nas/epoch_loader.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/teacher.h"
#include "nas/trainer.h"
#include "test_support.h"
#include "training_fixtures.h"

namespace {

using nas::test::MemoryDataset;
using nas::test::read_file;
using nas::test::run_command;
using nas::test::TempDir;
using nas::test::TinyConvNet;

c10::Dict<std::string, at::Tensor> state_of(nas::Network& net) {
  c10::Dict<std::string, at::Tensor> d;
  for (const auto& p : net.named_parameters(true)) d.insert(p.key(), p.value().detach().clone());
  for (const auto& b : net.named_buffers(true)) d.insert(b.key(), b.value().detach().clone());
  return d;
}

c10::Dict<std::string, at::Tensor> load_tensor_dict(const std::string& path) {
  const std::string bytes = read_file(path);
  const c10::IValue v = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  c10::Dict<std::string, at::Tensor> d;
  for (const auto& e : v.toGenericDict()) d.insert(e.key().toStringRef(), e.value().toTensor());
  return d;
}

void save_ivalue(const std::string& path, const c10::IValue& v) {
  const std::vector<char> bytes = torch::pickle_save(v);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<long>(bytes.size()));
}

TEST(TrainerSchedule, CosineWithWarmupByHand) {
  nas::TrainOptions o;
  o.lr = 0.1;
  o.schedule = "cosine";
  // 10 steps, the first 2 warm-up: 0.05, 0.1, then the cosine over the remaining 8.
  EXPECT_DOUBLE_EQ(nas::lr_at(o, 0, 10, 2), 0.05);
  EXPECT_DOUBLE_EQ(nas::lr_at(o, 1, 10, 2), 0.1);
  EXPECT_DOUBLE_EQ(nas::lr_at(o, 2, 10, 2), 0.1);
  EXPECT_NEAR(nas::lr_at(o, 6, 10, 2), 0.05, 1e-15);                                 // t = 1/2
  EXPECT_NEAR(nas::lr_at(o, 9, 10, 2), 0.1 * (1 - 0.92387953251128674) / 2, 1e-15);  // t = 7/8
  o.min_lr = 0.01;
  EXPECT_NEAR(nas::lr_at(o, 6, 10, 2), 0.055, 1e-15);
  o.schedule = "constant";
  EXPECT_DOUBLE_EQ(nas::lr_at(o, 9, 10, 2), 0.1);
  EXPECT_DOUBLE_EQ(nas::lr_at(o, 0, 10, 4), 0.025);
}

TEST(TrainerOptions, OutOfRangeOptionsNameTheOption) {
  nas::TrainOptions o;
  o.momentum = 1.0;
  EXPECT_THROW(
      {
        try {
          nas::validate(o);
        } catch (const nas::UsageError& e) {
          EXPECT_NE(std::string(e.what()).find("train.momentum"), std::string::npos) << e.what();
          throw;
        }
      },
      nas::UsageError);
  o = {};
  o.schedule = "step";
  try {
    nas::validate(o);
    ADD_FAILURE() << "schedule 'step' accepted";
  } catch (const nas::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("cosine, constant"), std::string::npos) << e.what();
  }
}

// Every step of the trainer against torch.optim.SGD on the same batches: momentum, Nesterov,
// weight decay without BN and biases, warm-up and cosine, label smoothing.
TEST(Trainer, StepsMatchTorchOptimSgd) {
  if (run_command("/usr/bin/python3 -c 'import torch'").status != 0) {
    NAS_ORACLE_MISSING("/usr/bin/python3 cannot import torch");
  }
  TempDir t;
  auto data = std::make_shared<MemoryDataset>();
  torch::manual_seed(3);
  TinyConvNet net;
  nas::TrainOptions o;
  o.epochs = 3;
  o.batch_size = 8;
  o.lr = 0.2;
  o.min_lr = 0.01;
  o.momentum = 0.9;
  o.nesterov = true;
  o.weight_decay = 1e-3;
  o.decay_norm_and_bias = false;
  o.warmup_epochs = 1;
  o.label_smoothing = 0.1;
  o.seed = 11;
  o.log_every = 2;

  // The batches the trainer reads, in its order, for the oracle.
  nas::EpochLoader loader = nas::test::trainer_batches(data, o);
  ASSERT_EQ(loader.num_batches(), 5);
  c10::impl::GenericList xs(c10::TensorType::get()), ys(c10::TensorType::get());
  for (std::uint64_t e = 0; e < 3; ++e) {
    for (std::int64_t b = 0; b < loader.num_batches(); ++b) {
      nas::Batch batch = loader.batch(e, b);
      xs.push_back(batch.inputs);
      ys.push_back(batch.labels);
    }
  }
  c10::impl::GenericDict in(c10::StringType::get(), c10::AnyType::get());
  in.insert("init", state_of(net));
  in.insert("x", xs);
  in.insert("y", ys);
  in.insert("lr", o.lr);
  in.insert("min_lr", o.min_lr);
  in.insert("momentum", o.momentum);
  in.insert("nesterov", o.nesterov);
  in.insert("weight_decay", o.weight_decay);
  in.insert("decay_norm_and_bias", o.decay_norm_and_bias);
  in.insert("warmup_steps", std::int64_t{5});
  in.insert("label_smoothing", o.label_smoothing);
  in.insert("schedule", std::string("cosine"));
  save_ivalue(t.file("in.pt"), in);

  const nas::TrainMetrics m = nas::train(net, data, o, t.file("run"));
  EXPECT_EQ(m.steps, 15);
  EXPECT_EQ(m.params, 4 * 9 + 4 + 4 + 4 * 3 + 3);

  const std::string oracle = nas::test::source_dir() + "/tests/oracle/trainer_oracle.py";
  const auto r = run_command("/usr/bin/python3 '" + oracle + "' '" + t.file("in.pt") + "' '" +
                             t.file("out.pt") + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto expected = load_tensor_dict(t.file("out.pt"));
  const auto trained = load_tensor_dict(t.file("run/model.pt"));
  ASSERT_EQ(expected.size(), trained.size());
  for (const auto& e : expected) {
    ASSERT_TRUE(trained.contains(e.key())) << e.key();
    const at::Tensor a = trained.at(e.key());
    EXPECT_TRUE(torch::equal(a, e.value()))
        << e.key() << ": max difference "
        << (a.to(torch::kDouble) - e.value().to(torch::kDouble)).abs().max().item<double>();
  }
  // The weights moved: the comparison is not between two untrained networks.
  torch::manual_seed(3);
  TinyConvNet initial;  // the same seed: the network before training
  EXPECT_FALSE(torch::equal(trained.at("conv.weight"), state_of(initial).at("conv.weight")));

  // The log: a train row every 2 steps and at each epoch's end, a validation row per epoch,
  // one test row.
  const auto rows = nas::test::lines_of(read_file(t.file("run/train_log.csv")));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0], "epoch,step,split,lr,loss,top1,top5,images_per_second,seconds");
  int train_rows = 0, validation_rows = 0, test_rows = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    train_rows += rows[i].find(",train,") != std::string::npos;
    validation_rows += rows[i].find(",validation,") != std::string::npos;
    test_rows += rows[i].find(",test,") != std::string::npos;
  }
  EXPECT_EQ(train_rows, 9);  // steps 2, 4, 5 | 6, 8, 10 | 12, 14, 15
  EXPECT_EQ(validation_rows, 3);
  EXPECT_EQ(test_rows, 1);

  // Test accuracy is over the 12 test images: a multiple of 100/12.
  const double k = m.test_top1 * 12 / 100;
  EXPECT_NEAR(k, std::round(k), 1e-9);
  EXPECT_DOUBLE_EQ(m.test_top5, 100.0);  // three classes: top-5 holds every label

  // A finished directory is not trained again; other options are refused by name.
  const nas::TrainMetrics again = nas::train(net, data, o, t.file("run"));
  EXPECT_EQ(again.test_top1, m.test_top1);
  o.epochs = 4;
  try {
    nas::train(net, data, o, t.file("run"));
    ADD_FAILURE() << "changed options accepted";
  } catch (const nas::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("train.epochs: 3 -> 4"), std::string::npos) << e.what();
  }
}

TEST(Trainer, PythonReadsTheSavedWeights) {
  if (run_command("/usr/bin/python3 -c 'import torch'").status != 0) {
    NAS_ORACLE_MISSING("/usr/bin/python3 cannot import torch");
  }
  TempDir t;
  auto data = std::make_shared<MemoryDataset>();
  torch::manual_seed(5);
  TinyConvNet net;
  nas::TrainOptions o;
  o.epochs = 1;
  o.batch_size = 10;
  nas::train(net, data, o, t.file("run"));
  const auto r =
      run_command("/usr/bin/python3 -c \"import torch; d = torch.load('" + t.file("run/model.pt") +
                  "'); print(sorted(d)); print(repr(float(d['head.bias'][1])))\"");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("['bn.bias', 'bn.num_batches_tracked', 'bn.running_mean', "
                          "'bn.running_var', 'bn.weight', 'conv.weight', 'head.bias', "
                          "'head.weight']"),
            std::string::npos)
      << r.output;
  const double bias = state_of(net).at("head.bias")[1].item<double>();
  std::ostringstream want;
  want.precision(17);
  want << bias;
  EXPECT_NE(r.output.find(want.str().substr(0, 10)), std::string::npos)
      << r.output << " vs " << want.str();

  // nas loads them back into a fresh network.
  torch::manual_seed(99);
  TinyConvNet fresh;
  nas::load_weights(fresh, t.file("run/model.pt"));
  EXPECT_TRUE(torch::equal(state_of(fresh).at("conv.weight"), state_of(net).at("conv.weight")));
  EXPECT_THROW(nas::load_weights(fresh, t.file("run/train_log.csv")), nas::Error);
}

// --- Distillation ----------------------------------------------------------------------------

// A TorchScript teacher whose logits are all zero: its softmax is uniform over `classes`.
std::string save_uniform_teacher(const TempDir& t, const std::string& name, int classes) {
  torch::jit::Module m("UniformTeacher");
  m.define("def forward(self, x):\n    return torch.zeros([x.size(0), " + std::to_string(classes) +
           "])\n");
  const std::string path = t.file(name);
  m.save(path);
  return path;
}

// A uniform teacher makes the distillation term ε-smoothing's uniform part: CE + 1·U equals
// 2 · ((1 - 0.5)·CE + 0.5·U), label smoothing 0.5 doubled. With weight decay off, SGD with
// momentum at half the learning rate on the doubled loss takes the same steps.
TEST(Distillation, UniformTeacherEqualsLabelSmoothingOfOneHalfAtTwiceTheLoss) {
  TempDir t;
  auto data = std::make_shared<MemoryDataset>();
  nas::TrainOptions o;
  o.epochs = 2;
  o.batch_size = 8;
  o.weight_decay = 0;
  o.log_every = 1;
  o.seed = 5;
  nas::TrainOptions distilled = o;
  distilled.lr = 0.05;
  distilled.teacher = save_uniform_teacher(t, "uniform.pt", 3);
  distilled.kd_ratio = 1.0;
  nas::TrainOptions smoothed = o;
  smoothed.lr = 0.1;
  smoothed.label_smoothing = 0.5;

  torch::manual_seed(3);
  TinyConvNet a;
  torch::manual_seed(3);
  TinyConvNet b;
  nas::train(a, data, distilled, t.file("distilled"));
  nas::train(b, data, smoothed, t.file("smoothed"));
  const auto wa = state_of(a), wb = state_of(b);
  for (const auto& e : wa) {
    EXPECT_TRUE(torch::allclose(e.value(), wb.at(e.key()), 1e-5, 1e-6)) << e.key();
  }
  // The logged train loss is the loss optimised: twice the smoothed run's.
  const nas::CsvTable la = nas::read_csv(t.file("distilled/train_log.csv"));
  const nas::CsvTable lb = nas::read_csv(t.file("smoothed/train_log.csv"));
  ASSERT_EQ(la.rows.size(), lb.rows.size());
  const std::size_t split = 2, loss = 4;
  ASSERT_EQ(la.header[loss], "loss");
  for (std::size_t i = 0; i < la.rows.size(); ++i) {
    if (la.rows[i][split] != "train") continue;
    EXPECT_NEAR(std::stod(la.rows[i][loss]), 2 * std::stod(lb.rows[i][loss]), 1e-5) << i;
  }
  // train.json records the teacher, so a resume under another teacher is refused.
  EXPECT_NE(read_file(t.file("distilled/train.json")).find("\"kd_ratio\""), std::string::npos);
  EXPECT_EQ(read_file(t.file("smoothed/train.json")).find("teacher"), std::string::npos);
}

TEST(Distillation, TeachersThatDoNotFitTheStudentAreRefusedByName) {
  TempDir t;
  auto data = std::make_shared<MemoryDataset>();
  nas::TrainOptions o;
  o.teacher = save_uniform_teacher(t, "five.pt", 5);
  TinyConvNet net;
  try {
    nas::train(net, data, o, t.file("run"));
    FAIL() << "a teacher of 5 classes was accepted for a 3-class student";
  } catch (const nas::UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(o.teacher), std::string::npos) << what;
    EXPECT_NE(what.find("[1 x 5]"), std::string::npos) << what;
    EXPECT_NE(what.find("expected [1 x 3]"), std::string::npos) << what;
  }
  o.teacher = t.write("not_a_module.pt", "plain text");
  EXPECT_THROW(nas::train(net, data, o, t.file("run2")), nas::UsageError);
  o.teacher = t.file("missing");
  EXPECT_THROW(nas::load_teacher(o.teacher, data->shape()), nas::UsageError);
}

// --- The train stage through the CLI -------------------------------------------------------

const char* kCell =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~"
    "2|";

std::string train_pipeline(const std::string& out, const std::string& train_extra = "",
                           const std::string& arch = kCell) {
  return "run: {out_dir: '" + out +
         "', seed: 1, torch_threads: 1}\n"
         "data: {type: fashion_mnist, batch_size: 16, params: {resize: 32, channels: 3, "
         "validation_size: 1000}}\n"
         "search_space: {type: nb201}\n"
         "proxies: [params]\n"
         "train: {arch: '" +
         arch +
         "', epochs: 3, batch_size: 16, steps_per_epoch: 12, eval_batches: 2, "
         "checkpoint_every: 2, log_every: 3, width: 4, depth: 1, lr: 0.05, nesterov: true, "
         "warmup_epochs: 1" +
         train_extra + "}\n";
}

// Starts `nas -q run YAML` and returns its pid.
pid_t spawn_run(const std::string& yaml) {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string cli = nas::test::cli();
    ::execl(cli.c_str(), cli.c_str(), "-q", "run", yaml.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// Waits until `ready()` holds, then kills the run with SIGKILL; false when the run ended first.
bool kill_when(pid_t pid, const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
    if (ready()) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return false;
}

std::vector<std::vector<std::string>> log_without_timing(const std::string& path) {
  nas::CsvTable t = nas::read_csv(path);
  std::vector<std::vector<std::string>> out;
  for (auto row : t.rows) {
    row.resize(row.size() - 2);  // images_per_second, seconds
    out.push_back(row);
  }
  return out;
}

TEST(TrainStage, KilledTwiceEndsWithTheSameWeightsBitForBit) {
  TempDir t;
  const std::string whole = t.file("whole");
  auto r = nas::test::nas_run(t.write("whole.yaml", train_pipeline(whole)));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("test top-1"), std::string::npos) << r.output;

  const std::string cut = t.file("cut");
  const std::string yaml = t.write("cut.yaml", train_pipeline(cut));
  const std::string log = cut + "/train/train_log.csv";
  const std::string done = cut + "/train/final_metrics.json";
  namespace fs = std::filesystem;
  // First kill: as soon as a mid-epoch checkpoint exists. Second: once the log reaches the
  // second epoch's validation.
  ASSERT_TRUE(kill_when(spawn_run(yaml), [&] { return fs::exists(cut + "/train/checkpoint.pt"); }))
      << "the run ended before the first kill";
  ASSERT_FALSE(fs::exists(done));
  ASSERT_TRUE(kill_when(spawn_run(yaml), [&] {
    return read_file(log).find("2,24,validation") != std::string::npos;
  })) << "the run ended before the second kill";
  ASSERT_FALSE(fs::exists(done));
  r = nas::test::nas_run(yaml);
  ASSERT_EQ(r.status, 0) << r.output;

  const auto a = load_tensor_dict(whole + "/train/model.pt");
  const auto b = load_tensor_dict(cut + "/train/model.pt");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& e : a) EXPECT_TRUE(torch::equal(e.value(), b.at(e.key()))) << e.key();
  EXPECT_EQ(log_without_timing(whole + "/train/train_log.csv"), log_without_timing(log));
  EXPECT_EQ(read_file(whole + "/train/arch.txt"), std::string(kCell) + "\n");

  // `nas eval` rebuilds the network from network.json and model.pt: on the same 32 test
  // images it gives the accuracy the run recorded.
  const nas::TrainMetrics m = nas::read_train_metrics(whole + "/train/final_metrics.json");
  char want[64];
  std::snprintf(want, sizeof want, "test (32 images): top-1 %.2f%%, top-5 %.2f%%", m.test_top1,
                m.test_top5);
  r = run_command("'" + nas::test::cli() + "' eval '" + whole + "' --batch-size 16 --batches 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find(want), std::string::npos) << r.output << "\nwanted: " << want;
  // Another split of the same data, and refusals naming what is wrong.
  r = run_command("'" + nas::test::cli() + "' eval '" + whole +
                  "' --split validation --batches 1 --data-param validation_size=500");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("validation (256 images)"), std::string::npos) << r.output;
  r = run_command("'" + nas::test::cli() + "' eval '" + t.path() + "'");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("no train/network.json"), std::string::npos) << r.output;
  r = run_command("'" + nas::test::cli() + "' eval '" + whole + "' --data-param colour=3");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("colour"), std::string::npos) << r.output;
}

// A trained run directory teaches a student of another cell; a teacher directory whose weights
// do not fit its recorded cell is refused naming model.pt, with exit status 2.
TEST(TrainStage, DistilsFromARunDirectoryOfAnotherCell) {
  TempDir t;
  const std::string teacher = t.file("teacher");
  auto r = nas::test::nas_run(t.write("teacher.yaml", train_pipeline(teacher)));
  ASSERT_EQ(r.status, 0) << r.output;
  const char* student_cell =
      "|nor_conv_1x1~0|+|skip_connect~0|nor_conv_3x3~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|";
  r = nas::test::nas_run(t.write(
      "student.yaml", train_pipeline(t.file("student"), ", teacher: teacher", student_cell)));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find(std::string("distilling from teacher network ") + kCell),
            std::string::npos)
      << r.output;
  EXPECT_NE(read_file(t.file("student/train/train.json")).find(teacher), std::string::npos);

  // Swap the teacher's recorded cell for one with other weights.
  std::string network = read_file(teacher + "/train/network.json");
  network.replace(network.find(kCell), std::string(kCell).size(), student_cell);
  std::ofstream(teacher + "/train/network.json") << network;
  r = nas::test::nas_run(
      t.write("bad.yaml", train_pipeline(t.file("bad"), ", teacher: teacher", student_cell)));
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("`train.teacher`"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("model.pt"), std::string::npos) << r.output;
}

// With --log-format jsonl the train stage reports its steps as JSON progress events carrying
// the running loss, accuracy and images/s; the stage's last event counts every step.
TEST(TrainStage, JsonProgressCarriesLossAccuracyAndSpeed) {
  TempDir t;
  const std::string yaml = t.write("p.yaml", train_pipeline(t.file("p")));
  const auto r = run_command("'" + nas::test::cli() + "' --log-format jsonl run '" + yaml + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  std::istringstream lines(r.output);
  std::string line, last_train;
  while (std::getline(lines, line)) {
    if (line.find("\"stage\":\"train\"") != std::string::npos) last_train = line;
  }
  ASSERT_FALSE(last_train.empty()) << r.output;
  EXPECT_NE(last_train.find("\"event\":\"stage_end\""), std::string::npos) << last_train;
  EXPECT_NE(last_train.find("\"done\":36"), std::string::npos) << last_train;  // 3 x 12 steps
  EXPECT_NE(last_train.find("\"total\":36"), std::string::npos) << last_train;
  for (const char* key : {"\"loss\":", "\"top1\":", "\"images_per_second\":", "\"epoch\":3"}) {
    EXPECT_NE(last_train.find(key), std::string::npos) << key << " in " << last_train;
  }
}

TEST(TrainStage, BadSettingsAreClearErrors) {
  TempDir t;
  struct Case {
    std::string yaml, expect;
  };
  const std::vector<Case> cases = {
      {train_pipeline(t.file("a"), ", momentum: 1"), "train.momentum must be in [0, 1)"},
      {train_pipeline(t.file("b"), ", teacher: nowhere"),
       "`train.teacher`: teacher " + t.file("nowhere") + ": no such file or directory"},
      {train_pipeline(t.file("b2"), ", kd_ratio: -1"), "train.kd_ratio must be >= 0"},
      {train_pipeline(t.file("c"), ", schedule: step"), "cosine, constant"},
      {train_pipeline(t.file("d"), "", "nonsense"), "train.arch"},
      {"run: {out_dir: '" + t.file("e") +
           "'}\ndata: {type: synthetic, params: {train_size: 100}}\nsearch_space: {type: "
           "nb201}\nproxies: [params]\ntrain: {arch: '" +
           kCell + "', batch_size: 128}\n",
       "cannot feed the train stage: its train split has 100 samples, fewer than "
       "train.batch_size 128"},
      {"run: {out_dir: '" + t.file("f") +
           "'}\ndata: {type: fashion_mnist}\nsearch_space: {type: nb201}\nproxies: [params]\n"
           "train: {epochs: 1}\n",
       "give `train.arch` or add a `strategy` section"},
  };
  // epochs: 0 (a command-line override of a valid file) is refused before anything is written.
  const auto zero =
      nas::test::nas_run(t.write("zero.yaml", train_pipeline(t.file("z"))), "train.epochs=0");
  EXPECT_EQ(zero.status, 2) << zero.output;
  EXPECT_NE(zero.output.find("`train.epochs` is 0; valid range: 1 to 100000"), std::string::npos)
      << zero.output;
  EXPECT_FALSE(std::filesystem::exists(t.file("z") + "/train"));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto r = nas::test::nas_run(t.write("bad" + std::to_string(i) + ".yaml", cases[i].yaml));
    EXPECT_EQ(r.status, 2) << cases[i].yaml << r.output;
    EXPECT_NE(r.output.find(cases[i].expect), std::string::npos)
        << "case " << i << ": " << r.output;
  }
}

}  // namespace
