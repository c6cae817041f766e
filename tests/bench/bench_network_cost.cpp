// What one network of each search space costs: build, forward and forward + backward seconds
// at the default probe batch, so a user can size a search (not a test: it prints a table).
//
//   build/bin/bench_network_cost [--archs 5] [--batch 64] [--threads 1] [--seed 0]
//                                [--spaces nb201,nb101,darts,mobilenet@64,mobilenet]
//
// For each space, `--archs` architectures are sampled with a fixed seed (satisfying the
// space's constraints), each network is built under its own seed, and one forward and one
// forward + backward (cross entropy, the pass every gradient proxy pays) are timed on a
// random 3x32x32 batch of `--batch` images after one untimed warm-up pass. `mobilenet@R`
// probes at R pixels (`probe_resolution: R`), plain `mobilenet` at each architecture's own
// resolution (192-320), as the reference does. The table gives the median and the range over
// the architectures of the seconds, the parameters and the FLOPs (the space's analytic counts
// for the network as probed: 10 classes, the probe's resolution).
// The seconds are of this machine with `--threads` intra-op threads: compare the rows of one
// run with each other, not with another machine's.
#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nas/network.h"
#include "nas/plugin_loader.h"
#include "nas/registry.h"
#include "nas/search_space.h"
#include "nas/seed.h"
#include "nas/threads.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Stats {
  double median = 0, low = 0, high = 0;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  Stats s;
  s.low = v.front();
  s.high = v.back();
  const std::size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return s;
}

std::string cell(const Stats& s, const char* format) {
  char buf[96];
  char m[32], lo[32], hi[32];
  std::snprintf(m, sizeof m, format, s.median);
  std::snprintf(lo, sizeof lo, format, s.low);
  std::snprintf(hi, sizeof hi, format, s.high);
  std::snprintf(buf, sizeof buf, "%s (%s–%s)", m, lo, hi);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  int archs = 5, threads = 1;
  std::int64_t batch = 64;
  std::uint64_t seed = 0;
  std::string spaces = "nb201,nb101,darts,mobilenet@64,mobilenet";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--archs")
      archs = std::atoi(v.c_str());
    else if (k == "--batch")
      batch = std::atoll(v.c_str());
    else if (k == "--threads")
      threads = std::atoi(v.c_str());
    else if (k == "--seed")
      seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--spaces")
      spaces = v;
    else {
      std::fprintf(stderr, "bench_network_cost: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (archs < 1 || batch < 1 || threads < 1) {
    std::fprintf(stderr, "bench_network_cost: --archs, --batch and --threads must be >= 1\n");
    return 2;
  }
  nas::load_plugins();
  auto& reg = nas::Registry::global();
  nas::set_compute_threads(threads);

  std::printf("bench_network_cost --archs %d --batch %lld --threads %d --seed %llu --spaces %s\n",
              archs, static_cast<long long>(batch), threads,
              static_cast<unsigned long long>(seed), spaces.c_str());
  std::printf("(%u cores; random 3x32x32 batch of %lld, 10 classes; median (min–max) over the "
              "architectures)\n\n",
              std::thread::hardware_concurrency(), static_cast<long long>(batch));
  std::printf("| space | probe | build s | forward s | forward+backward s | params (M) | FLOPs "
              "(M) of the probed network |\n|---|---|---|---|---|---|---|\n");

  std::stringstream list(spaces);
  for (std::string entry; std::getline(list, entry, ',');) {
    std::string name = entry;
    std::int64_t resolution = -1;
    if (const auto at = entry.find('@'); at != std::string::npos) {
      name = entry.substr(0, at);
      resolution = std::atoll(entry.substr(at + 1).c_str());
    }
    if (!reg.spaces.find(name)) {
      std::fprintf(stderr, "bench_network_cost: no search space '%s' is loaded\n", name.c_str());
      return 2;
    }
    const auto& factory = reg.spaces.get(name);
    nas::Params params = nas::Params::defaults(factory.schema, name);
    if (resolution > 0) params.set("probe_resolution", resolution);
    std::shared_ptr<nas::SearchSpace> space = factory.create(params);
    nas::NetSpec spec;
    nas::Rng rng(nas::derive_seed(seed, "bench-cost", name));
    std::vector<nas::Arch> sample;
    for (int tries = 0; static_cast<int>(sample.size()) < archs && tries < archs * 1000; ++tries) {
      nas::Arch a = space->sample(rng);
      if (space->satisfies_constraints(a, spec)) sample.push_back(a);
    }
    torch::manual_seed(nas::torch_seed(nas::derive_seed(seed, "bench-cost-batch")));
    const at::Tensor x = at::randn({batch, 3, 32, 32});
    const at::Tensor y = at::randint(0, 10, {batch}, at::kLong);
    std::vector<double> build_s, forward_s, both_s, params_m, flops_m;
    for (const auto& a : sample) {
      torch::manual_seed(nas::torch_seed(nas::derive_seed(seed, "network", a.str())));
      auto t0 = Clock::now();
      std::shared_ptr<nas::Network> net = space->build(a, spec);
      build_s.push_back(since(t0));
      net->train();
      at::cross_entropy_loss(net->forward(x), y).backward();  // warm-up
      {
        at::NoGradGuard no_grad;
        t0 = Clock::now();
        net->forward(x);
        forward_s.push_back(since(t0));
      }
      t0 = Clock::now();
      at::cross_entropy_loss(net->forward(x), y).backward();
      both_s.push_back(since(t0));
      params_m.push_back(static_cast<double>(space->params(a, spec)) / 1e6);
      flops_m.push_back(static_cast<double>(space->flops(a, spec)) / 1e6);
    }
    std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", name.c_str(),
                resolution > 0 ? (std::to_string(resolution) + " px").c_str()
                               : (name == "mobilenet" ? "own resolution" : "32 px"),
                cell(stats(build_s), "%.3f").c_str(), cell(stats(forward_s), "%.3f").c_str(),
                cell(stats(both_s), "%.3f").c_str(), cell(stats(params_m), "%.2f").c_str(),
                cell(stats(flops_m), "%.1f").c_str());
    std::fflush(stdout);
  }
  return 0;
}
