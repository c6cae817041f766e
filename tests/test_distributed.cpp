// Data-parallel training over c10d (nas/distributed.h, nas/trainer.h): the torchrun variables,
// each rank's device (cuda:LOCAL_RANK), the rendezvous and its failures, bucketed gradient
// averaging overlapped with backward, ranks that end with identical weights, equivalence with
// one process on the same global batch, and ranks killed mid-run with and without a launcher.
// Ranks run as threads of this test (each with its own store client and Gloo process group on
// 127.0.0.1) or, for the CLI, as processes started by `nas run --nproc 2`.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/torch.h>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "nas/csv.h"
#include "nas/dataset.h"
#include "nas/distributed.h"
#include "nas/error.h"
#include "nas/launcher.h"
#include "nas/network.h"
#include "nas/trainer.h"
#include "test_support.h"
#include "training_fixtures.h"

namespace {

using nas::test::MemoryDataset;
using nas::test::read_file;
using nas::test::run_command;
using nas::test::TempDir;
using nas::test::TinyConvNet;

// Sets environment variables for one scope, restoring the old values after.
class EnvScope {
 public:
  explicit EnvScope(const std::vector<std::pair<std::string, std::string>>& vars) {
    for (const char* name :
         {"WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "NAS_DIST_TIMEOUT"}) {
      const char* v = std::getenv(name);
      saved_.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
      ::unsetenv(name);
    }
    for (const auto& [k, v] : vars) ::setenv(k.c_str(), v.c_str(), 1);
  }
  ~EnvScope() {
    for (const auto& [k, v] : saved_) {
      if (v) {
        ::setenv(k.c_str(), v->c_str(), 1);
      } else {
        ::unsetenv(k.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

std::string usage_error(const std::vector<std::pair<std::string, std::string>>& vars) {
  EnvScope scope(vars);
  try {
    nas::distributed_env_from_environment();
  } catch (const nas::UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(DistributedEnv, TorchrunVariablesAreReadAndCheckedByName) {
  {
    EnvScope none({});
    EXPECT_FALSE(nas::distributed_env_from_environment());
  }
  {
    EnvScope one({{"WORLD_SIZE", "1"}, {"RANK", "0"}});
    EXPECT_FALSE(nas::distributed_env_from_environment());
  }
  {
    EnvScope two({{"WORLD_SIZE", "2"},
                  {"RANK", "1"},
                  {"MASTER_ADDR", "10.0.0.1"},
                  {"MASTER_PORT", "29500"},
                  {"NAS_DIST_TIMEOUT", "7.5"}});
    const auto e = nas::distributed_env_from_environment();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->rank, 1);
    EXPECT_EQ(e->world_size, 2);
    EXPECT_EQ(e->local_rank, 1);
    EXPECT_EQ(e->master_addr, "10.0.0.1");
    EXPECT_EQ(e->master_port, 29500);
    EXPECT_DOUBLE_EQ(e->timeout_seconds, 7.5);
  }
  const std::pair<std::string, std::string> ws{"WORLD_SIZE", "2"}, addr{"MASTER_ADDR", "h"},
      port{"MASTER_PORT", "29500"};
  EXPECT_NE(
      usage_error({ws, {"RANK", "2"}, addr, port}).find("RANK='2' must be an integer in [0, 1]"),
      std::string::npos);
  EXPECT_NE(usage_error({ws, addr, port}).find("RANK is not set"), std::string::npos);
  EXPECT_NE(usage_error({ws, {"RANK", "0"}, port}).find("MASTER_ADDR is not set"),
            std::string::npos);
  EXPECT_NE(usage_error({ws, {"RANK", "0"}, addr}).find("MASTER_PORT is not set"),
            std::string::npos);
  EXPECT_NE(usage_error({ws, {"RANK", "0"}, addr, {"MASTER_PORT", "http"}}).find("MASTER_PORT"),
            std::string::npos);
  EXPECT_NE(usage_error({{"WORLD_SIZE", "0"}, {"RANK", "0"}}).find("WORLD_SIZE='0'"),
            std::string::npos);
  EXPECT_NE(usage_error({{"RANK", "1"}}).find("WORLD_SIZE is not"), std::string::npos);
  EXPECT_NE(usage_error({ws, {"RANK", "0"}, addr, port, {"NAS_DIST_TIMEOUT", "-1"}})
                .find("NAS_DIST_TIMEOUT"),
            std::string::npos);
}

std::string mapped(const std::string& device, int local_rank, int count) {
  try {
    return nas::device_for_local_rank(device, local_rank, count);
  } catch (const nas::UsageError& e) {
    return std::string("UsageError: ") + e.what();
  }
}

TEST(DeviceForRank, LocalRankPicksTheGpuModTheVisibleDevices) {
  // cpu is every rank's.
  EXPECT_EQ(mapped("cpu", 0, 0), "cpu");
  EXPECT_EQ(mapped("cpu", 5, 8), "cpu");
  // `cuda`: one GPU a process; more processes than GPUs share them round-robin.
  EXPECT_EQ(mapped("cuda", 0, 4), "cuda:0");
  EXPECT_EQ(mapped("cuda", 3, 4), "cuda:3");
  EXPECT_EQ(mapped("cuda", 5, 4), "cuda:1");
  EXPECT_EQ(mapped("cuda", 2, 1), "cuda:0");
  // `cuda:K`: the index of a one-process run is replaced by the rank's.
  EXPECT_EQ(mapped("cuda:0", 1, 2), "cuda:1");
  EXPECT_EQ(mapped("cuda:3", 0, 8), "cuda:0");
  EXPECT_EQ(mapped("cuda:1", 1, 2), "cuda:1");  // the old override train.device=cuda:$LOCAL_RANK
  EXPECT_EQ(mapped("cuda:7", 6, 4), "cuda:2");
  // No device, or a name that is none of the three spellings.
  EXPECT_NE(mapped("cuda", 0, 0)
                .find("UsageError: device 'cuda' was requested, but this "
                      "process sees no CUDA device"),
            std::string::npos)
      << mapped("cuda", 0, 0);
  EXPECT_NE(mapped("cuda:1", 1, -1).find("sees no CUDA device"), std::string::npos);
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda:-1", "CUDA", "cuda:12345", ""}) {
    EXPECT_NE(mapped(bad, 0, 2).find("UsageError: unknown device"), std::string::npos)
        << bad << ": " << mapped(bad, 0, 2);
  }
  EXPECT_NE(mapped("cuda", -1, 2).find("LOCAL_RANK -1 is negative"), std::string::npos);
}

TEST(DeviceForRank, ThisLibTorchDecides) {
  EXPECT_EQ(nas::device_for_rank("cpu", 3), "cpu");
  if (torch::cuda::is_available()) {
    const int n = static_cast<int>(torch::cuda::device_count());
    EXPECT_EQ(nas::device_for_rank("cuda", 1), "cuda:" + std::to_string(1 % n));
    return;
  }
  // This LibTorch (Debian's is CPU-only) or this machine has none: said at once, by name.
  for (const char* device : {"cuda", "cuda:1"}) {
    try {
      nas::device_for_rank(device, 1);
      FAIL() << device << " accepted without CUDA";
    } catch (const nas::UsageError& e) {
      const std::string what = e.what();
      EXPECT_TRUE(what.find("this LibTorch has no CUDA") != std::string::npos ||
                  what.find("sees no CUDA device") != std::string::npos)
          << what;
      EXPECT_NE(what.find(std::string("device '") + device + "' was requested"), std::string::npos)
          << what;
    }
  }
}

nas::DistributedEnv local_env(int rank, int world, int port, double timeout = 30) {
  nas::DistributedEnv e;
  e.rank = rank;
  e.local_rank = rank;
  e.world_size = world;
  e.master_addr = "127.0.0.1";
  e.master_port = port;
  e.timeout_seconds = timeout;
  e.op_timeout_seconds = 60;
  return e;
}

// Runs body(rank, env) on one thread per env; returns each thread's error ("" when none).
std::vector<std::string> on_ranks(const std::vector<nas::DistributedEnv>& envs,
                                  const std::function<void(const nas::DistributedEnv&)>& body) {
  std::vector<std::string> errors(envs.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < envs.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        body(envs[i]);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  return errors;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

TEST(Rendezvous, UnreachableStoreIsAClearErrorAfterTheTimeout) {
  const int port = nas::free_local_port();  // nobody serves it
  const auto start = std::chrono::steady_clock::now();
  try {
    nas::Communicator::connect(local_env(1, 2, port, 2));
    FAIL() << "connected to nothing";
  } catch (const nas::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(
        what.find("rank 1: cannot reach the rendezvous store at 127.0.0.1:" + std::to_string(port)),
        std::string::npos)
        << what;
    EXPECT_NE(what.find("NAS_DIST_TIMEOUT"), std::string::npos) << what;
  }
  EXPECT_LT(seconds_since(start), 20.0);
}

TEST(Rendezvous, ACudaDeviceWithoutCudaIsRefusedBeforeTheRendezvous) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this LibTorch has CUDA";
  const int port = nas::free_local_port();  // nobody serves it: no wait may happen
  const auto start = std::chrono::steady_clock::now();
  try {
    nas::Communicator::connect(local_env(1, 2, port, 30), "cuda");
    FAIL() << "connected for cuda without CUDA";
  } catch (const nas::UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("rank 1: run.device: device 'cuda' was requested, but"), std::string::npos)
        << what;
  }
  EXPECT_LT(seconds_since(start), 5.0);
}

TEST(Rendezvous, WorldSizeMismatchIsAClearErrorOnEveryRank) {
  const int port = nas::free_local_port();
  const auto start = std::chrono::steady_clock::now();
  const auto errors = on_ranks({local_env(0, 2, port, 20), local_env(1, 3, port, 20)},
                               [](const nas::DistributedEnv& e) { nas::Communicator::connect(e); });
  // Whichever rank notices first says it; the other repeats its words.
  for (const auto& e : errors) {
    EXPECT_NE(e.find("WORLD_SIZE mismatch"), std::string::npos) << e;
    EXPECT_TRUE(e.find("rank 0 has WORLD_SIZE=2, rank 1 has WORLD_SIZE=3") != std::string::npos ||
                e.find("rank 1 has WORLD_SIZE=3, rank 0 has WORLD_SIZE=2") != std::string::npos)
        << e;
  }
  EXPECT_LT(seconds_since(start), 15.0);
}

TEST(Rendezvous, MissingRanksAreNamedAfterTheTimeout) {
  // Two processes that both claim WORLD_SIZE=3: rank 2 never comes.
  const int port = nas::free_local_port();
  const auto start = std::chrono::steady_clock::now();
  const auto errors = on_ranks({local_env(0, 3, port, 2), local_env(1, 3, port, 2)},
                               [](const nas::DistributedEnv& e) { nas::Communicator::connect(e); });
  for (const auto& e : errors) {
    EXPECT_NE(e.find("rank(s) 2 of WORLD_SIZE=3 never joined"), std::string::npos) << e;
  }
  EXPECT_LT(seconds_since(start), 15.0);
}

// Two linear layers and a parameter the graph never uses.
struct TwoLayers : torch::nn::Module {
  TwoLayers() {
    a = register_module("a", torch::nn::Linear(6, 5));
    b = register_module("b", torch::nn::Linear(5, 3));
    unused = register_parameter("unused", torch::zeros({4}));
  }
  torch::nn::Linear a{nullptr}, b{nullptr};
  at::Tensor unused;
};

TEST(GradientReducer, BucketsAreAveragedOverlappingBackward) {
  const int port = nas::free_local_port();
  std::vector<std::vector<at::Tensor>> local(2), averaged(2);
  std::vector<std::size_t> buckets(2), overlapped(2);
  std::vector<at::Tensor> broadcast_result(2);
  const auto errors =
      on_ranks({local_env(0, 2, port), local_env(1, 2, port)}, [&](const nas::DistributedEnv& e) {
        auto comm = nas::Communicator::connect(e);
        torch::manual_seed(5);  // the same initial weights on both ranks
        TwoLayers net;
        std::vector<at::Tensor> params = net.parameters();
        // Tiny buckets: several, so some fill (and start) while backward still runs.
        nas::GradientReducer reducer(*comm, params, 64);
        buckets[e.rank] = reducer.buckets();
        const at::Tensor x = torch::full({4, 6}, 1.0 + e.rank) * torch::arange(24).view({4, 6});
        auto loss = [&] { return net.b->forward(torch::relu(net.a->forward(x))).pow(2).mean(); };
        // This rank's own gradients, for reference.
        for (auto& g : torch::autograd::grad({loss()}, params, {}, c10::nullopt, false, true)) {
          local[e.rank].push_back(g.defined() ? g.detach().clone() : at::Tensor());
        }
        reducer.begin_step();
        loss().backward();
        reducer.finish_step();
        overlapped[e.rank] = reducer.overlapped_buckets();
        for (auto& p : params) {
          averaged[e.rank].push_back(p.grad().defined() ? p.grad().clone() : at::Tensor());
        }
        // Mixed dtypes in one broadcast from rank 0.
        std::vector<at::Tensor> mixed{torch::full({3}, 1.5f * (e.rank + 1)),
                                      torch::full({2}, static_cast<std::int64_t>(e.rank + 7))};
        comm->broadcast(mixed);
        broadcast_result[e.rank] =
            torch::cat({mixed[0].to(torch::kDouble), mixed[1].to(torch::kDouble)});
      });
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
  EXPECT_GT(buckets[0], 2u);
  EXPECT_GT(overlapped[0], 0u) << "no bucket started during backward";
  ASSERT_EQ(local[0].size(), 5u);
  int unused = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    if (!local[0][i].defined()) {
      // The unused parameter keeps no gradient, as in one process.
      EXPECT_FALSE(averaged[0][i].defined());
      EXPECT_FALSE(averaged[1][i].defined());
      ++unused;
      continue;
    }
    const at::Tensor want = (local[0][i] + local[1][i]) / 2;
    EXPECT_TRUE(torch::allclose(averaged[0][i], want, 1e-6, 1e-7)) << i;
    EXPECT_TRUE(torch::equal(averaged[0][i], averaged[1][i])) << "ranks differ at " << i;
  }
  EXPECT_EQ(unused, 1);
  EXPECT_TRUE(
      torch::equal(broadcast_result[1], torch::tensor({1.5, 1.5, 1.5, 7.0, 7.0}, torch::kDouble)));
}

// --- The trainer over two ranks, in threads -----------------------------------------------------

std::map<std::string, at::Tensor> weights_of(nas::Network& net) {
  std::map<std::string, at::Tensor> d;
  for (const auto& p : net.named_parameters(true)) d[p.key()] = p.value().detach().clone();
  for (const auto& b : net.named_buffers(true)) d[b.key()] = b.value().detach().clone();
  return d;
}

nas::TrainOptions small_options() {
  nas::TrainOptions o;
  o.epochs = 2;
  o.batch_size = 8;  // global: 4 a rank
  o.lr = 0.1;
  o.nesterov = true;
  o.log_every = 1;
  o.checkpoint_every = 3;
  o.seed = 3;
  return o;
}

struct RankRun {
  std::map<std::string, at::Tensor> weights;
  nas::TrainMetrics metrics;
};

// Trains TinyConvNet on `world` ranks (threads); rank 0 writes into `dir`.
std::vector<RankRun> train_on_ranks(int world, bool batch_norm, const std::string& dir) {
  auto data = std::make_shared<MemoryDataset>();
  std::vector<RankRun> out(static_cast<std::size_t>(world));
  std::vector<nas::DistributedEnv> envs;
  const int port = nas::free_local_port();
  for (int r = 0; r < world; ++r) envs.push_back(local_env(r, world, port));
  const auto errors = on_ranks(envs, [&](const nas::DistributedEnv& e) {
    auto comm = nas::Communicator::connect(e);
    torch::manual_seed(11);
    TinyConvNet net(batch_norm);
    out[e.rank].metrics =
        nas::train(net, data, small_options(), e.rank == 0 ? dir : "", 0, {}, comm.get());
    out[e.rank].weights = weights_of(net);
  });
  for (const auto& e : errors) EXPECT_EQ(e, "");
  return out;
}

std::vector<double> train_losses(const std::string& log) {
  const nas::CsvTable t = nas::read_csv(log);
  std::vector<double> out;
  for (const auto& row : t.rows) {
    if (row[2] == "train") out.push_back(std::stod(row[4]));
  }
  return out;
}

TEST(DataParallelTrainer, RanksEndIdenticalAndMatchOneProcessWithoutBatchNorm) {
  TempDir t;
  torch::manual_seed(11);
  TinyConvNet single(false);
  nas::train(single, std::make_shared<MemoryDataset>(), small_options(), t.file("one"));
  const auto ranks = train_on_ranks(2, false, t.file("two"));
  ASSERT_EQ(ranks.size(), 2u);
  const auto want = weights_of(single);
  for (const auto& [name, w] : ranks[0].weights) {
    EXPECT_TRUE(torch::equal(w, ranks[1].weights.at(name))) << name << ": ranks differ";
    // Without BatchNorm the only difference is the order of float sums (mean of two half-batch
    // means vs one mean): far below 1e-5 after 10 steps.
    EXPECT_TRUE(torch::allclose(w, want.at(name), 1e-5, 1e-6)) << name;
  }
  const auto one = train_losses(t.file("one/train_log.csv"));
  const auto two = train_losses(t.file("two/train_log.csv"));
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t i = 0; i < one.size(); ++i) EXPECT_NEAR(one[i], two[i], 1e-5) << i;
  EXPECT_EQ(ranks[0].metrics.test_top1,
            nas::read_train_metrics(t.file("one/final_metrics.json")).test_top1);
  EXPECT_EQ(nas::read_train_metrics(t.file("two/final_metrics.json")).world_size, 2);
}

TEST(DataParallelTrainer, WithBatchNormRanksHoldIdenticalWeightsAndStatistics) {
  TempDir t;
  const auto ranks = train_on_ranks(2, true, t.file("two"));
  ASSERT_EQ(ranks.size(), 2u);
  ASSERT_TRUE(ranks[0].weights.count("bn.running_mean"));
  for (const auto& [name, w] : ranks[0].weights) {
    EXPECT_TRUE(torch::equal(w, ranks[1].weights.at(name))) << name << ": ranks differ";
  }
  // Rank 0 alone wrote the run; resuming from its last mid-epoch checkpoint ends the same.
  EXPECT_TRUE(std::filesystem::exists(t.file("two/model.pt")));
  EXPECT_TRUE(std::filesystem::exists(t.file("two/checkpoint.pt")));
  // A batch the ranks cannot split evenly is refused.
  auto data = std::make_shared<MemoryDataset>();
  const int port = nas::free_local_port();
  const auto errors =
      on_ranks({local_env(0, 2, port), local_env(1, 2, port)}, [&](const nas::DistributedEnv& e) {
        auto comm = nas::Communicator::connect(e);
        TinyConvNet net(true);
        nas::TrainOptions o = small_options();
        o.batch_size = 7;
        nas::train(net, data, o, e.rank == 0 ? t.file("odd") : "", 0, {}, comm.get());
      });
  for (const auto& e : errors) {
    EXPECT_NE(e.find("train.batch_size 7 (the global batch) is not divisible by the 2 processes"),
              std::string::npos)
        << e;
  }
}

// More ranks than samples to judge: 3 ranks, 2 test samples (one batch of 2). A rank with no
// sample adds nothing, and the accuracy is one process's on the same weights.
TEST(DataParallelTrainer, MoreRanksThanEvaluatedSamplesJudgeEachSampleOnce) {
  TempDir t;
  auto data = std::make_shared<MemoryDataset>();
  const int port = nas::free_local_port();
  std::vector<nas::DistributedEnv> envs;
  for (int r = 0; r < 3; ++r) envs.push_back(local_env(r, 3, port));
  nas::TrainOptions o = small_options();
  o.epochs = 1;
  o.batch_size = 6;  // 2 a rank
  o.checkpoint_every = 0;
  o.eval_batches = 1;
  o.eval_batch_size = 2;
  std::vector<nas::TrainMetrics> metrics(3);
  nas::EvalResult alone;
  const auto errors = on_ranks(envs, [&](const nas::DistributedEnv& e) {
    auto comm = nas::Communicator::connect(e);
    TinyConvNet net(false);
    metrics[e.rank] =
        nas::train(net, data, o, e.rank == 0 ? t.file("three") : "", 0, {}, comm.get());
    if (e.rank == 0) alone = nas::evaluate(net, *data, nas::Split::kTest, 2, 1, "cpu");
  });
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(alone.samples, 2);
  for (const auto& m : metrics) {
    EXPECT_EQ(m.world_size, 3);
    EXPECT_EQ(m.test_top1, alone.top1);
    EXPECT_EQ(m.test_top5, alone.top5);
  }
}

TEST(DataParallelTrainer, ACudaDeviceWithoutCudaIsRefusedOnEveryRank) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this LibTorch has CUDA";
  TempDir t;
  auto data = std::make_shared<MemoryDataset>();
  const int port = nas::free_local_port();
  const auto errors =
      on_ranks({local_env(0, 2, port), local_env(1, 2, port)}, [&](const nas::DistributedEnv& e) {
        auto comm = nas::Communicator::connect(e);
        TinyConvNet net(false);
        nas::TrainOptions o = small_options();
        o.device = "cuda:0";
        nas::train(net, data, o, e.rank == 0 ? t.file("cuda") : "", 0, {}, comm.get());
      });
  for (const auto& e : errors) {
    EXPECT_NE(e.find("device 'cuda:0' was requested, but this LibTorch has no CUDA"),
              std::string::npos)
        << e;
  }
  EXPECT_FALSE(std::filesystem::exists(t.file("cuda/train.json")));
}

// --- `nas run --nproc 2`: processes, the launcher, faults ----------------------------------------

const char* kCell =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~"
    "2|";

std::string pipeline(const std::string& out) {
  return "run: {out_dir: '" + out +
         "', seed: 1, torch_threads: 1}\n"
         "data: {type: fashion_mnist, batch_size: 16, params: {resize: 32, channels: 3, "
         "validation_size: 1000}}\n"
         "search_space: {type: nb201}\n"
         "proxies: [params]\n"
         "train: {arch: '" +
         std::string(kCell) +
         "', epochs: 2, batch_size: 32, steps_per_epoch: 10, eval_batches: 2, "
         "checkpoint_every: 2, log_every: 2, width: 4, depth: 1, lr: 0.05, nesterov: true}\n";
}

// `nas [--nproc N] run`, as a child process; returns its pid.
pid_t spawn(const std::string& yaml, int nproc) {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string cli = nas::test::cli();
    const std::string n = std::to_string(nproc);
    const std::string log = yaml + ".out";
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    ::execl(cli.c_str(), cli.c_str(), "-q", "run", yaml.c_str(), "--nproc", n.c_str(),
            static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// The child of `parent` whose environment says RANK=`rank`.
pid_t rank_pid(pid_t parent, int rank) {
  std::ifstream children("/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) +
                         "/children");
  for (pid_t child; children >> child;) {
    const std::string env = read_file("/proc/" + std::to_string(child) + "/environ");
    std::string want = "RANK=" + std::to_string(rank);
    for (std::size_t at = env.find(want); at != std::string::npos; at = env.find(want, at + 1)) {
      if ((at == 0 || env[at - 1] == '\0') && env[at + want.size()] == '\0') return child;
    }
  }
  return -1;
}

std::map<std::string, at::Tensor> load_weights_file(const std::string& path) {
  const std::string bytes = read_file(path);
  const c10::IValue v = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  std::map<std::string, at::Tensor> d;
  for (const auto& e : v.toGenericDict()) d[e.key().toStringRef()] = e.value().toTensor();
  return d;
}

TEST(DataParallelCli, TwoProcessesMatchOneAndSurviveAKilledRank) {
  TempDir t;
  namespace fs = std::filesystem;
  // One process and two on the same global batch (32).
  auto r = nas::test::nas_run(t.write("one.yaml", pipeline(t.file("one"))));
  ASSERT_EQ(r.status, 0) << r.output;
  r = nas::test::nas_run(t.write("two.yaml", pipeline(t.file("two"))), "--nproc 2");
  ASSERT_EQ(r.status, 0) << r.output;
  // Rank 0 checked that both ranks ended with the same weights, bit for bit.
  EXPECT_EQ(nas::read_train_metrics(t.file("two/train/final_metrics.json")).world_size, 2);
  const auto one = train_losses(t.file("one/train/train_log.csv"));
  const auto two = train_losses(t.file("two/train/train_log.csv"));
  ASSERT_EQ(one.size(), two.size());
  // BatchNorm normalises each rank's 16 images by their own statistics instead of all 32:
  // the losses drift apart a little (measured: below 2% over these 20 steps).
  for (std::size_t i = 0; i < one.size(); ++i) {
    EXPECT_NEAR(two[i], one[i], 0.05 * one[i]) << "log row " << i;
  }
  double worst = 0;
  for (std::size_t i = 0; i < one.size(); ++i)
    worst = std::max(worst, std::abs(two[i] / one[i] - 1));
  std::printf("train loss, 2 processes vs 1: largest relative difference %.4f over %zu rows\n",
              worst, one.size());

  // A rank killed with SIGKILL mid-run: the launcher names it and fails; the checkpoint is
  // whole; the same command resumes and ends with the uninterrupted run's weights.
  const std::string yaml = t.write("cut.yaml", pipeline(t.file("cut")));
  const pid_t launcher = spawn(yaml, 2);
  const std::string checkpoint = t.file("cut/train/checkpoint.pt");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  bool killed = false;
  while (std::chrono::steady_clock::now() < deadline && !killed) {
    if (fs::exists(checkpoint)) {
      const pid_t victim = rank_pid(launcher, 1);
      ASSERT_GT(victim, 0);
      ::kill(victim, SIGKILL);
      killed = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(killed);
  int status = 0;
  ::waitpid(launcher, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  const std::string said = read_file(yaml + ".out");
  EXPECT_NE(said.find("rank 1 of 2 was killed by signal 9 (SIGKILL)"), std::string::npos) << said;
  EXPECT_FALSE(fs::exists(t.file("cut/train/final_metrics.json")));
  EXPECT_NO_THROW(torch::pickle_load([&] {
    const std::string bytes = read_file(checkpoint);
    return std::vector<char>(bytes.begin(), bytes.end());
  }()));
  r = nas::test::nas_run(yaml, "--nproc 2");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto a = load_weights_file(t.file("two/train/model.pt"));
  const auto b = load_weights_file(t.file("cut/train/model.pt"));
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, w] : a) EXPECT_TRUE(torch::equal(w, b.at(name))) << name;
  // Continuing with another process count is refused, naming it.
  r = nas::test::nas_run(yaml);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("train.world_size: 2 -> (absent)"), std::string::npos) << r.output;
}

// `nas run` as one rank started the torchrun way (no launcher to stop the others), output in
// `log`; returns its pid.
pid_t spawn_rank(const std::string& yaml, int rank, int port, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    ::setenv("WORLD_SIZE", "2", 1);
    ::setenv("RANK", std::to_string(rank).c_str(), 1);
    ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
    ::setenv("MASTER_ADDR", "127.0.0.1", 1);
    ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
    ::setenv("NAS_DIST_TIMEOUT", "60", 1);
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    const std::string cli = nas::test::cli();
    ::execl(cli.c_str(), cli.c_str(), "-q", "run", yaml.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// Waits up to `seconds` for `pid`; kills it and returns -1 when it is still running then.
int wait_bounded(pid_t pid, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

// Without a launcher to stop the others, a rank killed mid-training (SIGKILL, after the first
// checkpoint) makes the survivor fail within bounded time, saying a peer died, and the
// checkpoint rank 0 wrote stays whole. Either rank: rank 1 (rank 0 survives) or rank 0 (the
// store's server: rank 1 survives).
TEST(DataParallelCli, TorchrunStyleRankKilledMidRunStopsTheOther) {
  namespace fs = std::filesystem;
  for (const int victim : {1, 0}) {
    TempDir t;
    const std::string yaml = t.write("p.yaml", pipeline(t.file("p")));
    const int port = nas::free_local_port();
    const pid_t ranks[2] = {spawn_rank(yaml, 0, port, t.file("rank0.log")),
                            spawn_rank(yaml, 1, port, t.file("rank1.log"))};
    const std::string checkpoint = t.file("p/train/checkpoint.pt");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (std::chrono::steady_clock::now() < deadline && !fs::exists(checkpoint)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const bool reached = fs::exists(checkpoint);
    ::kill(ranks[victim], SIGKILL);
    ::waitpid(ranks[victim], nullptr, 0);
    const int survivor = 1 - victim;
    const auto killed_at = std::chrono::steady_clock::now();
    const int status = wait_bounded(ranks[survivor], 90);
    ASSERT_TRUE(reached) << "no checkpoint within 2 minutes:\n"
                         << read_file(t.file("rank0.log")) << read_file(t.file("rank1.log"));
    const std::string said = read_file(t.file("rank" + std::to_string(survivor) + ".log"));
    ASSERT_NE(status, -1) << "rank " << survivor << " still ran 90 s after rank " << victim
                          << " was killed:\n"
                          << said;
    EXPECT_LT(seconds_since(killed_at), 90.0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status << "\n" << said;
    EXPECT_NE(said.find("error: rank " + std::to_string(survivor) + ": "), std::string::npos)
        << said;
    // Rank 1 may notice rank 0's end as a failed collective or as the lost store.
    EXPECT_TRUE(said.find("another rank died or stopped answering") != std::string::npos ||
                said.find("rendezvous store") != std::string::npos)
        << said;
    EXPECT_FALSE(fs::exists(t.file("p/train/final_metrics.json")));
    EXPECT_NO_THROW(torch::pickle_load([&] {
      const std::string bytes = read_file(checkpoint);
      return std::vector<char>(bytes.begin(), bytes.end());
    }()))
        << "victim " << victim;
  }
}

TEST(DataParallelCli, RendezvousFaultsAreClearErrors) {
  TempDir t;
  const std::string yaml = t.write("p.yaml", pipeline(t.file("p")));
  const std::string cli = "'" + nas::test::cli() + "' -q run '" + yaml + "'";
  // A store nobody serves.
  const int port = nas::free_local_port();
  auto start = std::chrono::steady_clock::now();
  auto r =
      run_command("WORLD_SIZE=2 RANK=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) +
                  " NAS_DIST_TIMEOUT=2 " + cli);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("error: rank 1: cannot reach the rendezvous store at 127.0.0.1:" +
                          std::to_string(port)),
            std::string::npos)
      << r.output;
  EXPECT_LT(seconds_since(start), 30.0);
  // Two processes that disagree on WORLD_SIZE.
  start = std::chrono::steady_clock::now();
  const std::string env =
      "MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(nas::free_local_port()) +
      " NAS_DIST_TIMEOUT=20 ";
  r = run_command("(" + env + "WORLD_SIZE=2 RANK=0 " + cli + " & " + env + "WORLD_SIZE=3 RANK=1 " +
                  cli + "; wait)");
  for (const std::string rank : {"error: rank 0: ", "error: rank 1: "}) {
    EXPECT_NE(r.output.find(rank), std::string::npos) << r.output;
  }
  EXPECT_NE(r.output.find("WORLD_SIZE mismatch"), std::string::npos) << r.output;
  EXPECT_LT(seconds_since(start), 30.0);
  // run.device=cuda on a LibTorch without CUDA: said at once by the rank, before any wait for
  // the store (nobody serves this port).
  if (!torch::cuda::is_available()) {
    start = std::chrono::steady_clock::now();
    r = run_command("WORLD_SIZE=2 RANK=1 LOCAL_RANK=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
                    std::to_string(nas::free_local_port()) + " NAS_DIST_TIMEOUT=60 " + cli +
                    " run.device=cuda");
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("error: rank 1: run.device: device 'cuda' was requested, but this "
                            "LibTorch has no CUDA"),
              std::string::npos)
        << r.output;
    EXPECT_LT(seconds_since(start), 30.0);
  }
  // Bad variables are usage errors.
  r = run_command("WORLD_SIZE=2 RANK=0 MASTER_PORT=1 " + cli);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("MASTER_ADDR is not set"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(t.file("p/scores.csv")));
}

}  // namespace

namespace {

TEST(DataParallelCli, Rank0SearchesAloneAndTheRanksTrainItsBest) {
  TempDir t;
  namespace fs = std::filesystem;
  // Score, search and train: rank 0 alone scores and searches; rank 1 waits, then trains the
  // architecture rank 0 found with it.
  const std::string search =
      "run: {out_dir: '" + t.file("s") +
      "', seed: 2, torch_threads: 1}\n"
      "data: {type: fashion_mnist, batch_size: 8, params: {resize: 32, channels: 3}}\n"
      "search_space: {type: nb201}\n"
      "proxies: [params]\n"
      "strategy: {type: random, budget: 4}\n"
      "train: {epochs: 1, batch_size: 16, steps_per_epoch: 3, eval_batches: 1, width: 4, "
      "depth: 1}\n";
  auto r = nas::test::nas_run(t.write("s.yaml", search), "--nproc 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(read_file(t.file("s/train/arch.txt")), read_file(t.file("s/best_arch.txt")));
  EXPECT_EQ(nas::read_train_metrics(t.file("s/train/final_metrics.json")).world_size, 2);
  EXPECT_EQ(nas::test::lines_of(read_file(t.file("s/scores.csv"))).size(), 5u) << "one writer";
  // Without a train section the other ranks have nothing to do and end at once.
  const std::string no_train = search.substr(0, search.find("train:")) + "";
  r = nas::test::nas_run(t.write("n.yaml", no_train), "--nproc 2 run.out_dir=" + t.file("n"));
  ASSERT_EQ(r.status, 0) << r.output;
  // Rank 0 failing before training (here: a train directory of another architecture) stops
  // the other ranks with its reason.
  r = nas::test::nas_run(t.file("s.yaml"),
                         "--nproc 2 \"train.arch='|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|"
                         "skip_connect~2|'\"");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("rank 0 stopped before training"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("holds the training of"), std::string::npos) << r.output;
}

}  // namespace
