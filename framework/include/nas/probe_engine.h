// ProbeEngine and LocalEvaluator: score architectures with several proxies, sharing work.
//
// Contract: for one architecture the engine (1) builds the network once, serially, under the
// architecture's seed derive_seed(master, "network", arch) and draws the batch under
// derive_seed(master, "batch", arch) — the same network and inputs for every proxy;
// (2) builds one more copy, under the same seed, for each proxy that declared
// modifies_network; (3) runs the union of the passes the other proxies declared, once each;
// (4) calls every proxy with a ProbeContext and its own seed derive_seed(master, name, arch),
// after checking that the network's taps are of kinds the proxy accepts (a refused kind is an
// error status naming the proxy, the tap's kind and the accepted kinds).
// Steps 1–2 touch torch's global generator and run serially in the calling thread; steps 3–4
// run in parallel across architectures. Each ScoreRecord's seconds is the proxy's own time plus
// an equal share of the shared passes it used.
//
// LocalEvaluator runs `workers` architectures at once on a TBB arena, each with
// `torch_threads` intra-op threads (workers × torch_threads ≤ cores is the caller's job; the
// pipeline enforces it). Every worker calls the same proxy objects, concurrently (hence the
// Proxy contract's const, re-entrant score()). Scores are bit-identical for any worker count at a
// fixed torch_threads; changing torch_threads may change the last bits of float reductions.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nas/dataset.h"
#include "nas/evaluator.h"
#include "nas/proxy.h"
#include "nas/search_space.h"

namespace nas {

struct ProxySlot {
  // The name the pipeline knows it by: its YAML alias, the registry name unless renamed. It
  // labels the proxy's scores and seeds it (derive_seed(master, name, arch)).
  std::string name;
  std::shared_ptr<Proxy> proxy;
  ProxyInfo info;
};

struct ProbeOptions {
  std::uint64_t seed = 0;
  std::int64_t batch_size = 64;
  NetSpec net;
  // Debugging and conformance: snapshot the shared network, batch and pass results around
  // every proxy call and mark the score as an error if the proxy changed any of them.
  bool check_isolation = false;
};

class ProbeEngine {
 public:
  ProbeEngine(std::shared_ptr<const SearchSpace> space, std::shared_ptr<const Dataset> data,
              std::vector<ProxySlot> proxies, ProbeOptions options);
  ~ProbeEngine();

  const std::vector<ProxySlot>& proxies() const { return proxies_; }
  const std::shared_ptr<const SearchSpace>& space() const { return space_; }
  const std::shared_ptr<const Dataset>& data() const { return data_; }
  const ProbeOptions& options() const { return options_; }

  // Opaque per-architecture state between the serial and the parallel phase.
  struct Prepared;
  // Serial phase: network builds and the batch.
  std::shared_ptr<Prepared> prepare(const Arch& arch) const;  // shared_ptr: Prepared is opaque
  // Parallel-safe phase: passes and proxies. Never throws: whatever a proxy throws (a
  // non-standard exception too) becomes that proxy's error status.
  Evaluation run(Prepared& prepared) const;
  // Both phases, for one architecture.
  Evaluation evaluate_one(const Arch& arch) const;

 private:
  std::shared_ptr<const SearchSpace> space_;
  std::shared_ptr<const Dataset> data_;
  std::vector<ProxySlot> proxies_;
  ProbeOptions options_;
  unsigned shared_passes_ = kPassNone;
  bool needs_network_ = false;
  bool needs_data_ = false;
  int max_batches_ = 1;
};

class LocalEvaluator : public Evaluator {
 public:
  LocalEvaluator(std::shared_ptr<ProbeEngine> engine, int workers, int torch_threads);
  std::vector<std::string> proxy_names() const override;
  using Evaluator::evaluate;
  // A subset runs on an engine of its own (made once per subset) that shares the space, data
  // and proxy objects: it runs only the passes those proxies need.
  std::vector<Evaluation> evaluate_subset(const std::vector<Arch>& archs,
                                          const std::vector<std::size_t>& proxies) override;

 private:
  const ProbeEngine& engine_for(const std::vector<std::size_t>& subset);

  std::shared_ptr<ProbeEngine> engine_;
  std::map<std::vector<std::size_t>, std::unique_ptr<ProbeEngine>> subsets_;
  int workers_;
  int torch_threads_;
};

}  // namespace nas
