// The DARTS training recipe: the network's training-time parts (auxiliary head, drop-path)
// against DARTS's own network rebuilt in Python (tests/oracle/darts_eval_net.py), their
// properties, and the trainer driving them through nas::Network without knowing the space
// (auxiliary loss, drop-path schedule and seeds), down to a `nas run` of a train stage.
#include <gtest/gtest.h>

#include <torch/torch.h>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nas/csv.h"
#include "nas/dataset.h"
#include "nas/epoch_loader.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/params.h"
#include "nas/plugin_loader.h"
#include "nas/registry.h"
#include "nas/search_space.h"
#include "nas/seed.h"
#include "nas/trainer.h"
#include "space_plugin.h"
#include "test_support.h"
#include "training_fixtures.h"

namespace {

using nas::test::read_file;
using nas::test::run_command;
using nas::test::TempDir;

// DARTS-V2 (DARTS's genotypes.py) in the sample table's spelling.
const std::string kDartsV2 =
    "normal=[('sep_conv_3x3',0),('sep_conv_3x3',1),('sep_conv_3x3',0),('sep_conv_3x3',1),"
    "('sep_conv_3x3',1),('skip_connect',0),('skip_connect',0),('dil_conv_3x3',2)];"
    "reduce=[('max_pool_3x3',0),('max_pool_3x3',1),('skip_connect',2),('max_pool_3x3',1),"
    "('max_pool_3x3',0),('skip_connect',2),('skip_connect',2),('max_pool_3x3',1)]";
// The NB301 sample table's first row: pools, sep and dil convs, an identity skip in the normal
// cell and a strided skip (FactorizedReduce, which drop-path drops) in the reduction cell.
const std::string kMixed =
    "normal=[('max_pool_3x3',0),('dil_conv_3x3',1),('avg_pool_3x3',1),('avg_pool_3x3',0),"
    "('sep_conv_3x3',1),('sep_conv_3x3',0),('sep_conv_3x3',1),('skip_connect',3)];"
    "reduce=[('max_pool_3x3',1),('skip_connect',0),('sep_conv_3x3',1),('sep_conv_3x3',0),"
    "('max_pool_3x3',3),('avg_pool_3x3',0),('max_pool_3x3',2),('dil_conv_5x5',3)]";
// Identities only in the normal cell (nothing there for drop-path to drop).
const std::string kNormalSkips =
    "normal=[('skip_connect',0),('skip_connect',1),('skip_connect',0),('skip_connect',1),"
    "('skip_connect',2),('skip_connect',3),('skip_connect',1),('skip_connect',4)];"
    "reduce=[('max_pool_3x3',0),('max_pool_3x3',1),('skip_connect',2),('max_pool_3x3',1),"
    "('max_pool_3x3',0),('skip_connect',2),('skip_connect',2),('max_pool_3x3',1)]";

// DARTS's training network: affine cell BN, bare pools, the auxiliary head.
std::shared_ptr<nas::SearchSpace> darts_eval_space(std::int64_t layers, bool auxiliary = true) {
  return nas::test::make_space(
      "darts",
      {{"layers", layers}, {"cell_affine", true}, {"pool_bn", false}, {"auxiliary", auxiliary}});
}

nas::NetSpec width_spec(int width) {
  nas::NetSpec spec{10, 3, 32};
  spec.width = width;
  return spec;
}

// --- The network against DARTS's own --------------------------------------------------------

struct OracleCase {
  std::string name, genotype;
  int width;
  std::int64_t layers;
  bool forward;
  double fraction, drop_path;  // the progress the C++ network gets (oracle: their product)
};

nlohmann::json run_oracle(const std::vector<OracleCase>& cases, const TempDir& dir) {
  nlohmann::json spec;
  spec["cases"] = nlohmann::json::array();
  for (const OracleCase& c : cases) {
    spec["cases"].push_back({{"name", c.name},
                             {"genotype", c.genotype},
                             {"C", c.width},
                             {"layers", c.layers},
                             {"num_classes", 10},
                             {"auxiliary", true},
                             {"build_seed", 3},
                             {"forward", c.forward},
                             {"input_seed", 4},
                             {"batch", 4},
                             {"input_size", 32},
                             {"drop_prob", c.drop_path * c.fraction},
                             {"mask_seed", 11}});
  }
  const std::string path = dir.write("spec.json", spec.dump());
  const auto out = run_command("/usr/bin/python3 '" + nas::test::source_dir() +
                               "/tests/oracle/darts_eval_net.py' '" + path + "' 2>&1");
  if (out.status != 0) throw std::runtime_error("oracle failed: " + out.output);
  return nlohmann::json::parse(out.output);
}

bool python_has_torch() { return run_command("/usr/bin/python3 -c 'import torch'").status == 0; }

// DARTS reports DARTS-V2's CIFAR-10 network (C = 36, 20 cells) as 3.349342 M parameters,
// counted without the auxiliary head; with it, by hand: the head reads cell 13's 4 x 144 = 576
// channels: conv1x1 576 x 128 + BN 2 x 128 + conv2x2 128 x 768 x 4 + BN 2 x 768 + Linear
// 768 x 10 + 10 = 476,426, 3,825,768 in all. The oracle builds DARTS's network and counts.
TEST(DartsTraining, DartsV2TrainingNetworkHasDartsParameterCount) {
  if (!python_has_torch()) NAS_ORACLE_MISSING("/usr/bin/python3 cannot import torch");
  TempDir dir;
  const nlohmann::json oracle = run_oracle({{"v2", kDartsV2, 36, 20, false, 0, 0}}, dir);
  const auto& v2 = oracle.at("v2");
  EXPECT_EQ(v2.at("params_without_auxiliary").get<std::int64_t>(), 3349342);
  EXPECT_EQ(v2.at("aux_params").get<std::int64_t>(), 476426);
  EXPECT_EQ(v2.at("params").get<std::int64_t>(), 3825768);

  auto space = darts_eval_space(20);
  const nas::Arch arch = space->parse(kDartsV2);
  const nas::NetSpec spec = width_spec(36);
  EXPECT_EQ(space->params(arch, spec), v2.at("params").get<std::int64_t>());
  auto net = space->build(arch, spec);
  EXPECT_EQ(nas::test::param_count(*net), v2.at("params").get<std::int64_t>());
  std::int64_t without_head = 0;
  for (const auto& p : net->named_parameters()) {
    if (p.key().find("auxiliary") == std::string::npos) without_head += p.value().numel();
  }
  EXPECT_EQ(without_head, 3349342);
  EXPECT_TRUE(net->has_auxiliary_head());
  EXPECT_TRUE(net->supports_drop_path());
}

// Same seeds, same weights (DARTS's construction order), so the same logits and auxiliary
// logits in training mode; with drop-path, the masks the oracle draws as the space documents.
TEST(DartsTraining, LogitsAndDropPathMatchDartsNetwork) {
  if (!python_has_torch()) NAS_ORACLE_MISSING("/usr/bin/python3 cannot import torch");
  const std::vector<OracleCase> cases = {
      {"v2_plain", kDartsV2, 8, 5, true, 0.0, 0.6},   // first epoch: no drop-path yet
      {"v2_drop", kDartsV2, 8, 5, true, 0.5, 0.6},    // p = 0.3
      {"mixed_drop", kMixed, 6, 5, true, 0.75, 0.4},  // p = 0.3, a strided skip dropped
      {"mixed_deep", kMixed, 4, 8, true, 0.5, 0.9},   // p = 0.45, 8 cells
  };
  TempDir dir;
  const nlohmann::json oracle = run_oracle(cases, dir);
  std::map<std::string, at::Tensor> logits_of;
  for (const OracleCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto space = darts_eval_space(c.layers);
    const nas::Arch arch = space->parse(c.genotype);
    at::manual_seed(3);
    auto net = space->build(arch, width_spec(c.width));
    EXPECT_EQ(nas::test::param_count(*net), oracle.at(c.name).at("params").get<std::int64_t>());
    net->train();
    net->set_training_progress({c.fraction, c.drop_path, 11});
    at::manual_seed(4);
    const at::Tensor x = at::randn({4, 3, 32, 32});
    at::NoGradGuard no_grad;
    const at::Tensor logits = net->forward(x).flatten();
    const at::Tensor aux = net->auxiliary_logits().flatten();
    const auto want = oracle.at(c.name).at("logits").get<std::vector<double>>();
    const auto want_aux = oracle.at(c.name).at("aux_logits").get<std::vector<double>>();
    ASSERT_EQ(logits.numel(), static_cast<std::int64_t>(want.size()));
    ASSERT_EQ(aux.numel(), static_cast<std::int64_t>(want_aux.size()));
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_NEAR(logits[static_cast<std::int64_t>(i)].item<double>(), want[i], 2e-5) << i;
    }
    for (std::size_t i = 0; i < want_aux.size(); ++i) {
      EXPECT_NEAR(aux[static_cast<std::int64_t>(i)].item<double>(), want_aux[i], 2e-5) << i;
    }
    logits_of[c.name] = logits;
  }
  // Drop-path changed the numbers: the comparison is not one of two undropped networks.
  EXPECT_GT((logits_of["v2_drop"] - logits_of["v2_plain"]).abs().max().item<double>(), 1e-3);
}

// --- Properties -------------------------------------------------------------------------------

struct Outputs {
  at::Tensor logits, aux;
};

Outputs forward_with(nas::Network& net, const at::Tensor& x, bool training,
                     const nas::TrainingProgress* progress) {
  net.train(training);
  if (progress) net.set_training_progress(*progress);
  at::NoGradGuard no_grad;
  Outputs o;
  o.logits = net.forward(x);
  o.aux = net.auxiliary_logits();
  return o;
}

class DartsTrainingNet : public ::testing::Test {
 protected:
  void SetUp() override {
    space_ = darts_eval_space(5);
    at::manual_seed(1);
    net_ = space_->build(space_->parse(kMixed), width_spec(4));
    at::manual_seed(2);
    x_ = at::randn({6, 3, 32, 32});
  }
  std::shared_ptr<nas::SearchSpace> space_;
  std::shared_ptr<nas::Network> net_;
  at::Tensor x_;
};

TEST_F(DartsTrainingNet, AuxiliaryLogitsOnlyInTrainingMode) {
  ASSERT_TRUE(net_->has_auxiliary_head());
  const Outputs trained = forward_with(*net_, x_, true, nullptr);
  ASSERT_TRUE(trained.aux.defined());
  EXPECT_EQ(trained.aux.sizes().vec(), (std::vector<std::int64_t>{6, 10}));
  EXPECT_FALSE(at::equal(trained.aux, trained.logits));
  const Outputs judged = forward_with(*net_, x_, false, nullptr);
  EXPECT_FALSE(judged.aux.defined());
  EXPECT_EQ(judged.logits.sizes().vec(), (std::vector<std::int64_t>{6, 10}));

  // The default network (NB301's) has no head and never gives auxiliary logits.
  auto plain_space = nas::test::make_space("darts");
  auto plain = plain_space->build(plain_space->parse(kMixed), width_spec(4));
  EXPECT_FALSE(plain->has_auxiliary_head());
  EXPECT_FALSE(forward_with(*plain, x_, true, nullptr).aux.defined());
  // Nor does a network cut before the head's cell.
  nas::NetSpec cut = width_spec(4);
  cut.max_cells = 3;
  EXPECT_FALSE(space_->build(space_->parse(kMixed), cut)->has_auxiliary_head());
}

TEST_F(DartsTrainingNet, DropPathAtProbabilityOrProgressZeroIsTheIdentity) {
  const Outputs reference = forward_with(*net_, x_, true, nullptr);
  const nas::TrainingProgress start{0.0, 0.5, 7};  // the first epoch
  const nas::TrainingProgress off{0.9, 0.0, 7};    // drop_path 0
  for (const auto* p : {&start, &off}) {
    const Outputs o = forward_with(*net_, x_, true, p);
    EXPECT_TRUE(at::equal(o.logits, reference.logits));
    EXPECT_TRUE(at::equal(o.aux, reference.aux));
  }
  // Eval mode never drops.
  const nas::TrainingProgress on{0.9, 0.5, 7};
  EXPECT_TRUE(at::equal(forward_with(*net_, x_, false, &on).logits,
                        forward_with(*net_, x_, false, nullptr).logits));
}

TEST_F(DartsTrainingNet, DropPathIsAFunctionOfItsSeed) {
  const nas::TrainingProgress a{0.9, 0.5, 7}, same{0.9, 0.5, 7}, other{0.9, 0.5, 8};
  const Outputs reference = forward_with(*net_, x_, true, nullptr);
  const Outputs first = forward_with(*net_, x_, true, &a);
  const Outputs again = forward_with(*net_, x_, true, &same);
  const Outputs reseeded = forward_with(*net_, x_, true, &other);
  EXPECT_FALSE(at::equal(first.logits, reference.logits));
  EXPECT_TRUE(at::equal(first.logits, again.logits));
  EXPECT_TRUE(at::equal(first.aux, again.aux));
  EXPECT_FALSE(at::equal(first.logits, reseeded.logits));
  // A second forward without a new call draws on from the same generator: other masks.
  EXPECT_FALSE(at::equal(forward_with(*net_, x_, true, nullptr).logits, first.logits));
}

TEST(DartsTrainingOps, DropPathSparesIdentitiesAndTheSupernetHasNone) {
  // The first two cells are normal cells of stride-1 skips only: nothing to drop.
  auto space = darts_eval_space(8);
  nas::NetSpec spec = width_spec(4);
  spec.max_cells = 2;
  at::manual_seed(1);
  auto net = space->build(space->parse(kNormalSkips), spec);
  at::manual_seed(2);
  const at::Tensor x = at::randn({5, 3, 32, 32});
  const nas::TrainingProgress on{0.9, 0.9, 3};
  EXPECT_TRUE(at::equal(forward_with(*net, x, true, &on).logits,
                        forward_with(*net, x, true, nullptr).logits));

  std::vector<std::vector<bool>> alive;
  for (const auto& d : space->supernet_decisions()) alive.emplace_back(d.choices.size(), true);
  EXPECT_FALSE(space->build_supernet(alive, spec)->supports_drop_path());
}

// --- The trainer ------------------------------------------------------------------------------

// 3x32x32 images in 10 classes, the class written into the image: 48 train, 8 validation, 8
// test.
std::shared_ptr<nas::test::MemoryDataset> image_dataset() {
  return std::make_shared<nas::test::MemoryDataset>(nas::DataShape{3, 32, 10}, 48, 8, 0.3);
}

// A network that records what the trainer tells it.
class RecordingNet : public nas::Network {
 public:
  RecordingNet() {
    head_ = register_module("head", nas::ProbedLinear(3 * 32 * 32, 10));
    set_num_blocks(1);
  }
  at::Tensor forward(const at::Tensor& x) override { return head_->forward(x.flatten(1)); }
  bool supports_drop_path() const override { return true; }
  void set_training_progress(const nas::TrainingProgress& p) override { calls.push_back(p); }
  std::vector<nas::TrainingProgress> calls;

 private:
  nas::ProbedLinear head_{nullptr};
};

nas::TrainOptions quick_options() {
  nas::TrainOptions o;
  o.epochs = 4;
  o.batch_size = 8;
  o.lr = 0.025;
  o.momentum = 0.9;
  o.weight_decay = 3e-4;
  o.steps_per_epoch = 2;
  o.log_every = 1;
  o.seed = 5;
  return o;
}

TEST(DartsTrainer, EveryStepGetsItsEpochFractionAndSeed) {
  TempDir t;
  RecordingNet net;
  nas::TrainOptions o = quick_options();
  o.drop_path = 0.2;
  nas::train(net, image_dataset(), o, t.file("run"));
  ASSERT_EQ(net.calls.size(), 8u);
  for (std::size_t step = 0; step < 8; ++step) {
    EXPECT_DOUBLE_EQ(net.calls[step].fraction, static_cast<double>(step / 2) / 4.0) << step;
    EXPECT_EQ(net.calls[step].drop_path, 0.2);
    EXPECT_EQ(net.calls[step].seed, nas::derive_seed(5, "drop_path", "0", step)) << step;
  }
  const auto options = nlohmann::json::parse(read_file(t.file("run/train.json")));
  EXPECT_EQ(options.at("drop_path").get<double>(), 0.2);
  EXPECT_FALSE(options.contains("auxiliary_weight"));  // unset options are not written
}

TEST(DartsTrainer, RefusesPartsTheNetworkLacks) {
  TempDir t;
  nas::TrainOptions o = quick_options();
  o.auxiliary_weight = 0.4;
  RecordingNet net;  // no auxiliary head
  try {
    nas::train(net, image_dataset(), o, t.file("a"));
    ADD_FAILURE() << "auxiliary_weight accepted without a head";
  } catch (const nas::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no auxiliary head"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(t.file("a/train.json")));
  auto space = darts_eval_space(5);
  std::vector<std::vector<bool>> alive;
  for (const auto& d : space->supernet_decisions()) alive.emplace_back(d.choices.size(), true);
  auto supernet = space->build_supernet(alive, width_spec(2));
  o = quick_options();
  o.drop_path = 0.2;
  EXPECT_THROW(nas::train(*supernet, image_dataset(), o, t.file("b")), nas::UsageError);
  for (double bad : {1.0, -0.1, std::nan("")}) {
    o.drop_path = bad;
    EXPECT_THROW(nas::validate(o), nas::UsageError) << bad;
  }
  o.drop_path = 0;
  o.auxiliary_weight = -1;
  EXPECT_THROW(nas::validate(o), nas::UsageError);
}

// The DARTS recipe on a small DARTS network: the logged loss of the first step is the main
// cross entropy plus 0.4 times the auxiliary head's, computed here on the same batch and
// weights; training lowers the loss; a second run gives the same weights bit for bit, and
// drop-path (active from the second epoch) changes them.
TEST(DartsTrainer, AuxiliaryLossAndDropPathTrainEndToEnd) {
  auto data = image_dataset();
  auto space = darts_eval_space(5);
  const nas::Arch arch = space->parse(kDartsV2);
  auto build = [&] {
    at::manual_seed(9);
    return space->build(arch, width_spec(4));
  };
  nas::TrainOptions o = quick_options();
  o.epochs = 6;
  o.steps_per_epoch = 0;  // all 6 batches
  o.lr = 0.05;
  o.auxiliary_weight = 0.4;
  o.drop_path = 0.2;
  o.grad_clip = 5;
  o.label_smoothing = 0.1;

  // The first step's loss by hand.
  nas::EpochLoader loader = nas::test::trainer_batches(data, o);
  const nas::Batch first = loader.batch(0, 0);
  double expected_loss = 0;
  {
    auto net = build();
    net->train();
    const at::Tensor logits = net->forward(first.inputs);
    namespace F = torch::nn::functional;
    const auto ce = F::CrossEntropyFuncOptions().label_smoothing(0.1);
    expected_loss =
        F::cross_entropy(logits, first.labels, ce).item<double>() +
        0.4 * F::cross_entropy(net->auxiliary_logits(), first.labels, ce).item<double>();
  }

  TempDir t;
  auto net = build();
  const nas::TrainMetrics m = nas::train(*net, data, o, t.file("run"));
  EXPECT_EQ(m.steps, 36);
  EXPECT_EQ(m.params, space->params(arch, width_spec(4)));
  const nas::CsvTable log = nas::read_csv(t.file("run/train_log.csv"));
  const std::size_t split = log.column("split"), loss = log.column("loss");
  std::vector<double> train_loss;
  for (const auto& row : log.rows) {
    if (row[split] == "train") train_loss.push_back(std::stod(row[loss]));
  }
  ASSERT_EQ(train_loss.size(), 36u);
  EXPECT_NEAR(train_loss.front(), expected_loss, 1e-5 * expected_loss);
  // Lower at the end: the mean of the last epoch's running means against the first's.
  double first_epoch = 0, last_epoch = 0;
  for (int i = 0; i < 6; ++i) {
    first_epoch += train_loss[static_cast<std::size_t>(i)];
    last_epoch += train_loss[train_loss.size() - 6 + static_cast<std::size_t>(i)];
  }
  EXPECT_LT(last_epoch, 0.8 * first_epoch);
  const auto options = nlohmann::json::parse(read_file(t.file("run/train.json")));
  EXPECT_EQ(options.at("auxiliary_weight").get<double>(), 0.4);
  EXPECT_EQ(options.at("drop_path").get<double>(), 0.2);

  auto again = build();
  nas::train(*again, data, o, t.file("again"));
  EXPECT_EQ(read_file(t.file("run/model.pt")), read_file(t.file("again/model.pt")));
  o.drop_path = 0;
  auto undropped = build();
  nas::train(*undropped, data, o, t.file("undropped"));
  EXPECT_NE(read_file(t.file("run/model.pt")), read_file(t.file("undropped/model.pt")));
}

// Under mixup the first step sees the same mixed batch whatever the auxiliary weight, so its
// logged loss is the main loss plus the weight times a fixed positive auxiliary loss.
TEST(DartsTrainer, AuxiliaryTermUnderMixupScalesWithItsWeight) {
  auto data = image_dataset();
  auto space = darts_eval_space(5);
  const nas::Arch arch = space->parse(kDartsV2);
  TempDir t;
  auto first_loss = [&](double weight) {
    at::manual_seed(9);
    auto net = space->build(arch, width_spec(4));
    nas::TrainOptions o = quick_options();
    o.epochs = 1;
    o.steps_per_epoch = 1;
    o.eval_batches = 1;
    o.mixup = 0.2;
    o.auxiliary_weight = weight;
    const std::string dir = t.file("w" + std::to_string(weight));
    nas::train(*net, data, o, dir);
    const nas::CsvTable log = nas::read_csv(dir + "/train_log.csv");
    return std::stod(log.rows.at(0).at(log.column("loss")));
  };
  const double none = first_loss(0), some = first_loss(0.4), more = first_loss(0.8);
  EXPECT_GT(some - none, 0.1);
  EXPECT_NEAR(more - none, 2 * (some - none), 1e-5);
}

// The train stage reads the options from YAML, and the darts space's parameters build DARTS's
// training network.
TEST(DartsTrainStage, RunsTheRecipeFromYaml) {
  TempDir t;
  auto pipeline = [&](const std::string& out, const std::string& space_params,
                      const std::string& extra) {
    return "run: {out_dir: '" + out +
           "', seed: 1, torch_threads: 1}\n"
           "data: {type: synthetic, batch_size: 8, params: {train_size: 32, validation_size: "
           "8, test_size: 8}}\n"
           "search_space: {type: darts, params: {" +
           space_params +
           "}}\n"
           "proxies: [params]\n"
           "train: {arch: \"" +
           kDartsV2 +
           "\", epochs: 2, batch_size: 8, steps_per_epoch: 2, eval_batches: 1, width: 4, lr: "
           "0.025, weight_decay: 3e-4, grad_clip: 5" +
           extra + "}\n";
  };
  const std::string eval_net = "layers: 5, cell_affine: true, pool_bn: false, auxiliary: true";
  const std::string out = t.file("ok");
  auto r = nas::test::nas_run(
      t.write("ok.yaml", pipeline(out, eval_net, ", auxiliary_weight: 0.4, drop_path: 0.2")));
  ASSERT_EQ(r.status, 0) << r.output;
  const auto options = nlohmann::json::parse(read_file(out + "/train/train.json"));
  EXPECT_EQ(options.at("auxiliary_weight").get<double>(), 0.4);
  EXPECT_EQ(options.at("drop_path").get<double>(), 0.2);
  const nas::TrainMetrics m = nas::read_train_metrics(out + "/train/final_metrics.json");
  auto space = darts_eval_space(5);
  EXPECT_EQ(m.params, space->params(space->parse(kDartsV2), width_spec(4)));
  EXPECT_NE(read_file(out + "/config.resolved.yaml").find("auxiliary_weight: 0.4"),
            std::string::npos);
  // `nas eval` rebuilds the network, auxiliary head included, and loads model.pt.
  r = run_command("'" + nas::test::cli() + "' eval '" + out + "' --batch-size 8 --batches 1");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("test (8 images)"), std::string::npos) << r.output;

  struct Bad {
    std::string space_params, extra, expect;
  };
  const std::vector<Bad> bad = {
      {"layers: 5", ", auxiliary_weight: 0.4", "no auxiliary head"},
      {eval_net, ", drop_path: 1", "train.drop_path must be in [0, 1)"},
      {eval_net, ", auxiliary_weight: -0.4", "train.auxiliary_weight must be >= 0"},
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    const std::string name = "bad" + std::to_string(i);
    r = nas::test::nas_run(
        t.write(name + ".yaml", pipeline(t.file(name), bad[i].space_params, bad[i].extra)));
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find(bad[i].expect), std::string::npos) << i << ": " << r.output;
  }
}

}  // namespace
