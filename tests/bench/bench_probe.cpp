// Speed benchmark of the probe engine on NAS-Bench-201 (not a test: it prints a table).
//
//   build/bin/bench_probe [--cells 100] [--batch 64] [--seed 0] [--oracle tests/oracle/oracle.py]
//
// For the same seeded cells, in one run on one machine, it measures:
//  1. a bare forward + full backward of each network (the floor a Python harness also pays),
//     one cell at a time on 2 threads and two cells at once on 1 thread each;
//  2. the SJW set (synflow + jacov + wrcor) through the probe engine, and the same engine with
//     stand-in proxies that only declare those passes, which splits the time into network
//     passes, building networks and batches, and the proxies' own work (WRCor's correlation
//     matrices, SynFlow's own network and float64 pass);
//  3. each of the three proxies alone, summed;
//  4. the Python oracle scoring the same cells the reference way (each proxy on its own copy
//     with its own passes), when /usr/bin/python3 has torch, with its BLAS as installed and
//     held to one thread (the faster counts);
//  5. SJW cells/s with 1 worker × 2 threads, 2 workers × 1 thread and 1 worker × 1 thread.
// Ratios are computed from figures measured in this same run. Engine timings include building
// each network and drawing its batch (shown as its own row, well under 1% here); the bare
// passes do not, so the ratios to them lean against the engine.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <torch/utils.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nas/dataset.h"
#include "nas/network.h"
#include "nas/plugin_loader.h"
#include "nas/probe_engine.h"
#include "nas/registry.h"
#include "nas/search_space.h"
#include "nas/seed.h"
#include "nas/threads.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Declares passes, computes nothing: the engine's pass cost without any proxy work.
class PassesOnly : public nas::Proxy {
 public:
  PassesOnly(std::string name, unsigned passes, bool labels)
      : name_(std::move(name)), passes_(passes), labels_(labels) {}
  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.passes = passes_;
    i.needs_labels = labels_;
    return i;
  }
  double score(const nas::ProbeContext&) const override { return 0.0; }

 private:
  std::string name_;
  unsigned passes_;
  bool labels_;
};

std::shared_ptr<nas::Proxy> create(const std::string& name) {
  const auto& c = nas::Registry::global().proxies.get(name);
  return c.create(nas::Params::defaults(c.schema, name));
}

std::vector<nas::ProxySlot> slots(const std::vector<std::string>& names) {
  std::vector<nas::ProxySlot> out;
  for (const auto& n : names) {
    nas::ProxySlot s;
    s.name = n;
    s.proxy = create(n);
    s.info = s.proxy->info();
    out.push_back(s);
  }
  return out;
}

struct Setup {
  std::shared_ptr<const nas::SearchSpace> space;
  std::shared_ptr<const nas::Dataset> data;
  nas::ProbeOptions options;
  std::vector<nas::Arch> archs;
};

double time_engine(const Setup& s, std::vector<nas::ProxySlot> proxy_slots, int workers,
                   int threads) {
  auto engine =
      std::make_shared<nas::ProbeEngine>(s.space, s.data, std::move(proxy_slots), s.options);
  nas::LocalEvaluator evaluator(engine, workers, threads);
  auto t0 = Clock::now();
  auto results = evaluator.evaluate(s.archs);
  double t = since(t0);
  for (const auto& r : results)
    for (const auto& rec : r.scores)
      if (rec.status != nas::ScoreStatus::kOk && rec.status != nas::ScoreStatus::kNonFinite) {
        std::fprintf(stderr, "warning: %s on %s: %s\n", rec.proxy.c_str(), r.arch.str().c_str(),
                     rec.message.c_str());
      }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int cells = 100;
  std::int64_t batch = 64;
  std::uint64_t seed = 0;
  std::string oracle;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--cells")
      cells = std::stoi(v);
    else if (k == "--batch")
      batch = std::stoll(v);
    else if (k == "--seed")
      seed = std::stoull(v);
    else if (k == "--oracle")
      oracle = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  nas::load_plugins();
  auto& reg = nas::Registry::global();
  Setup s;
  s.space = reg.spaces.get("nb201").create(
      nas::Params::defaults(reg.spaces.get("nb201").schema, "nb201"));
  {
    const auto& c = reg.datasets.get("fashion_mnist");
    nas::Params p = nas::Params::defaults(c.schema, "fashion_mnist");
    p.set("resize", std::int64_t{32});
    p.set("channels", std::int64_t{3});
    s.data = c.create(p);
  }
  s.options.seed = seed;
  s.options.batch_size = batch;
  nas::Rng rng(nas::derive_seed(seed, "bench"));
  for (int i = 0; i < cells; ++i) s.archs.push_back(s.space->sample(rng));

  std::printf("bench_probe: %d seeded NB201 cells, Fashion-MNIST 3x32x32, batch %lld, %u cores\n\n",
              cells, static_cast<long long>(batch), std::thread::hardware_concurrency());

  // 1. bare forward + backward of each network (building excluded), with the same two thread
  // settings as the engine: one cell at a time on 2 threads, and two cells at once on 1 each.
  const nas::Batch bare_batch = s.data->batch(batch, 1);
  auto bare_pass = [&](nas::Network& net) {
    net.train();
    auto out = net.forward(bare_batch.inputs);
    at::cross_entropy_loss(out, bare_batch.labels).backward();
  };
  auto build = [&](const nas::Arch& a) {
    torch::manual_seed(nas::torch_seed(nas::derive_seed(seed, "network", a.str())));
    return s.space->build(a, s.options.net);
  };
  nas::set_compute_threads(2);
  double bare = 0;
  for (const auto& a : s.archs) {
    auto net = build(a);
    auto t0 = Clock::now();
    bare_pass(*net);
    bare += since(t0);
  }
  double bare_2w = 0;
  {
    tbb::task_arena arena(2);
    for (std::size_t start = 0; start < s.archs.size(); start += 4) {
      const std::size_t end = std::min(s.archs.size(), start + 4);
      std::vector<std::shared_ptr<nas::Network>> nets;
      for (std::size_t i = start; i < end; ++i) nets.push_back(build(s.archs[i]));
      auto t0 = Clock::now();
      arena.execute([&] {
        tbb::parallel_for(
            std::size_t{0}, nets.size(),
            [&](std::size_t i) {
              nas::set_compute_threads(1);
              bare_pass(*nets[i]);
            },
            tbb::simple_partitioner());
      });
      bare_2w += since(t0);
    }
  }
  nas::set_compute_threads(2);

  const std::vector<std::string> sjw = {"synflow", "jacov", "wrcor"};
  const unsigned sjw_passes = nas::kPassForward | nas::kPassTapGradients | nas::kPassInputJacobian;
  double engine_2t = time_engine(s, slots(sjw), 1, 2);
  std::vector<nas::ProxySlot> passes_only;
  for (auto& [name, passes] :
       std::vector<std::pair<std::string, unsigned>>{{"passes", sjw_passes}}) {
    nas::ProxySlot slot;
    slot.name = name;
    slot.proxy = std::make_shared<PassesOnly>(name, passes, true);
    slot.info = slot.proxy->info();
    passes_only.push_back(slot);
  }
  double passes_2t = time_engine(s, passes_only, 1, 2);
  // WRCor's passes alone (forward with taps, tap gradients), to split out its correlation work.
  std::vector<nas::ProxySlot> wrcor_passes = passes_only;
  wrcor_passes[0].proxy = std::make_shared<PassesOnly>(
      "wrcor_passes", nas::kPassForward | nas::kPassTapGradients, true);
  wrcor_passes[0].info = wrcor_passes[0].proxy->info();
  const double wrcor_passes_2t = time_engine(s, wrcor_passes, 1, 2);
  double prepare_2t = 0;  // building each shared network and drawing its batch
  {
    nas::ProbeEngine engine(s.space, s.data, passes_only, s.options);
    for (const auto& a : s.archs) {
      auto t0 = Clock::now();
      auto prepared = engine.prepare(a);
      prepare_2t += since(t0);
    }
  }
  double alone_sum = 0;
  std::vector<std::pair<std::string, double>> alone;
  for (const auto& n : sjw) {
    double t = time_engine(s, slots({n}), 1, 2);
    alone.push_back({n, t});
    alone_sum += t;
  }
  double engine_2w = time_engine(s, slots(sjw), 2, 1);
  double engine_1t = time_engine(s, slots(sjw), 1, 1);

  // The Python oracle on the same cells, weights and batch: each proxy on its own copy with
  // its own passes, the way the reference harness works.
  double python = -1, python_default = -1, python_blas1 = -1;
  if (!oracle.empty()) {
    const std::string dir = "/tmp/nas_bench_oracle_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    nas::Batch b = s.data->batch(batch, 1);
    std::ofstream(dir + "/x.f32", std::ios::binary)
        .write(static_cast<const char*>(b.inputs.contiguous().data_ptr()),
               static_cast<std::streamsize>(b.inputs.numel() * sizeof(float)));
    std::ofstream(dir + "/y.i64", std::ios::binary)
        .write(static_cast<const char*>(b.labels.contiguous().data_ptr()),
               static_cast<std::streamsize>(b.labels.numel() * sizeof(std::int64_t)));
    std::ostringstream spec;
    spec << "{\"archs\": [";
    for (std::size_t i = 0; i < s.archs.size(); ++i)
      spec << (i ? "," : "") << '"' << s.archs[i].str() << '"';
    spec << "], \"seed_per_arch\": {";
    for (std::size_t i = 0; i < s.archs.size(); ++i) {
      spec << (i ? "," : "") << '"' << s.archs[i].str()
           << "\": " << nas::torch_seed(nas::derive_seed(seed, "network", s.archs[i].str()));
    }
    spec << "}, \"num_classes\": 10, \"batch_inputs\": \"x.f32\", \"batch_labels\": \"y.i64\", "
         << "\"N\": " << batch << ", \"proxies\": [\"synflow\", \"jacov\", \"wrcor\"]}";
    std::ofstream(dir + "/spec.json") << spec.str();
    // Twice: as a user would run it, and with OpenBLAS (numpy's BLAS) held to one thread,
    // which the engine does for itself; the faster of the two is the reference figure.
    for (const char* env : {"", "OPENBLAS_NUM_THREADS=1 "}) {
      const std::string cmd = std::string(env) + "/usr/bin/python3 " + oracle + " " + dir +
                              "/spec.json --time --threads 2 2>&1";
      FILE* pipe = popen(cmd.c_str(), "r");
      if (!pipe) continue;
      char buf[4096];
      std::string text;
      while (fgets(buf, sizeof buf, pipe)) text += buf;
      pclose(pipe);
      auto pos = text.find("\"sec_per_cell\"");
      if (pos == std::string::npos) {
        std::fprintf(stderr, "oracle timing failed:\n%s\n", text.c_str());
        continue;
      }
      const double t = std::atof(text.c_str() + text.find(':', pos) + 1) * cells;
      (*env ? python_blas1 : python_default) = t;
      python = python < 0 ? t : std::min(python, t);
    }
    std::filesystem::remove_all(dir);
  }

  auto row = [&](const char* what, double seconds) {
    std::printf("| %-58s | %8.2f | %7.3f | %6.2f |\n", what, seconds, seconds / cells,
                cells / seconds);
  };
  std::printf("| %-58s | %8s | %7s | %6s |\n", "measurement", "total s", "s/cell", "cells/s");
  std::printf("|%s|---------:|--------:|-------:|\n", std::string(60, '-').c_str());
  row("bare forward + backward (1 worker x 2 threads)", bare);
  row("bare forward + backward (2 workers x 1 thread)", bare_2w);
  row("SJW through the engine (1 x 2)", engine_2t);
  row("  of which network passes (forward, tap grads, input Jacobian)", passes_2t - prepare_2t);
  row("  of which building networks and drawing batches", prepare_2t);
  row("  of which proxies' own work (SynFlow pass, correlations)", engine_2t - passes_2t);
  for (const auto& [n, t] : alone) row(("  " + n + " alone (1 x 2)").c_str(), t);
  row("    of which WRCor's correlation work (wrcor alone - its passes)",
      alone[2].second - wrcor_passes_2t);
  row("SJW as three separate runs, summed (1 x 2)", alone_sum);
  if (python_default > 0) row("Python oracle, reference way (2 threads)", python_default);
  if (python_blas1 > 0) row("Python oracle, reference way (2 threads, BLAS 1)", python_blas1);
  row("SJW through the engine (2 workers x 1 thread)", engine_2w);
  row("SJW through the engine (1 worker x 1 thread)", engine_1t);
  std::printf("\nratios (same run):\n");
  std::printf("  engine SJW vs bare forward+backward, 1 x 2:        %.2fx the time\n",
              engine_2t / bare);
  std::printf("  engine SJW vs bare forward+backward, 2 x 1:        %.2fx the time\n",
              engine_2w / bare_2w);
  std::printf("  sharing gain (three runs summed / engine), 1 x 2:  %.2fx\n",
              alone_sum / engine_2t);
  if (python > 0) {
    std::printf(
        "  engine SJW cells/s vs faster Python reference way: %.2fx (2 workers x 1) / %.2fx (1 x "
        "2)\n",
        python / engine_2w, python / engine_2t);
  }
  std::printf("\ncommand: bench_probe --cells %d --batch %lld --seed %llu%s%s\n", cells,
              static_cast<long long>(batch), static_cast<unsigned long long>(seed),
              oracle.empty() ? "" : " --oracle ", oracle.c_str());
  return 0;
}
