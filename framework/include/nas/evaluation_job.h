// EvaluationJob: a serialisable description of what an evaluator scores with.
//
// Contract: a job names every component by its registry type and resolved Params (never a
// live object), so a process that has the same plugins can rebuild the exact same space,
// dataset and proxies from it: an evaluator backend on another rank or machine receives the
// job as JSON (to_json/from_json round-trip exactly: every Params value keeps its type, and
// doubles are written so that they read back to the same bits). `proxies[i].name` is the
// name results and seeds use (the pipeline alias); `seed` is the master seed, checked against
// `seed_scheme` so that a worker built with another seed scheme refuses the job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nas/params.h"
#include "nas/search_space.h"

namespace nas {

struct ComponentSpec {
  std::string type;
  std::string name;  // the alias results use (equals type unless the pipeline renamed it)
  Params params;
};

struct EvaluationJob {
  ComponentSpec space;
  std::optional<ComponentSpec> data;  // absent: only data-free proxies
  std::vector<ComponentSpec> proxies;
  std::int64_t batch_size = 64;
  std::uint64_t seed = 0;
  int seed_scheme = 0;  // kSeedSchemeVersion of the process that wrote the job
  NetSpec net;
  int workers = 1;
  int torch_threads = 1;

  std::string to_json() const;
  // Throws nas::Error naming the field that is missing or has the wrong type.
  static EvaluationJob from_json(const std::string& text);
};

}  // namespace nas
