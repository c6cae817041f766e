// Evaluator: scores batches of architectures with the configured proxies.
//
// Contract: evaluate() takes a batch of architectures and returns one Evaluation per
// architecture, in the order given, each with one ScoreRecord per proxy (in proxy_names()
// order). evaluate_subset() does the same for some of the proxies only (indices into
// proxy_names(), ascending), so a caller that already has some scores computes only the rest;
// a proxy's score does not depend on which other proxies run beside it. A proxy that throws,
// runs out of memory or returns NaN/inf yields a record with that status (and the message),
// never an exception out of evaluate(). Scores depend only on (master seed, proxy name,
// architecture), never on batch composition, worker count or order. The listener, when set,
// is called once per finished architecture (from the calling thread, in input order) so
// callers can persist results as they arrive.
//
// Evaluators are components: an EvaluatorBackend (`run.evaluator: {type: local}` in a
// pipeline; `local` is built in, runs a TBB pool in this process) turns an EvaluationJob into
// an Evaluator. A backend that scores elsewhere (other ranks, other machines) rebuilds the
// components from the job there. Caching, resume and scores.csv are the pipeline's, around any
// backend: a backend only computes.
//
// Worker processes (EvaluatorBackend::serve_if_worker). A backend that spreads scoring over
// several processes started alike (every rank of `mpirun -np K nas run PIPELINE.yaml` runs the
// same command) decides which process coordinates and which serve. `nas run` reads the pipeline,
// loads the plugins and creates the configured backend, then calls serve_if_worker() before it
// creates any other component or opens the run directory. A backend returns nullopt in the one
// process that runs the pipeline (and the default does, always): that process goes on, and its
// create() returns the evaluator that hands work to the others. In every other process it
// serves: it waits for the job the coordinator's evaluator sends, rebuilds the components from
// it (typically through the `local` backend of this process's registry), scores what it is sent
// until told to stop, and returns the process's exit status; `nas run` then exits with it
// without touching the run directory, so only the coordinator writes files. A worker whose job
// cannot be built (a missing dataset on its machine) reports that to the coordinator, which
// fails naming the worker. The coordinator owns the end of the run: when it exits, normally or
// on an error, the workers are told to stop, so a bad pipeline never leaves them waiting. When
// a worker dies, the coordinator names it and exits non-zero; the rows recorded stay in
// scores.csv, and running the same command again resumes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nas/arch.h"

namespace nas {

struct EvaluationJob;

enum class ScoreStatus { kOk, kNonFinite, kError, kOutOfMemory };

const char* to_string(ScoreStatus status);
// Throws nas::Error listing the valid statuses.
ScoreStatus score_status_from_string(const std::string& text);

struct ScoreRecord {
  std::string proxy;
  std::string version;
  double score = 0.0;
  double seconds = 0.0;
  std::uint64_t seed = 0;
  ScoreStatus status = ScoreStatus::kOk;
  std::string message;
};

struct Evaluation {
  Arch arch;
  std::vector<ScoreRecord> scores;
};

class Evaluator {
 public:
  using Listener = std::function<void(const Evaluation&)>;
  virtual ~Evaluator();
  virtual std::vector<std::string> proxy_names() const = 0;
  std::vector<Evaluation> evaluate(const std::vector<Arch>& archs);
  virtual std::vector<Evaluation> evaluate_subset(const std::vector<Arch>& archs,
                                                  const std::vector<std::size_t>& proxies) = 0;
  void set_listener(Listener listener) { listener_ = std::move(listener); }

 protected:
  void notify(const Evaluation& evaluation) const {
    if (listener_) listener_(evaluation);
  }

 private:
  Listener listener_;
};

// A kind of evaluator, as named by `run.evaluator.type`.
class EvaluatorBackend {
 public:
  virtual ~EvaluatorBackend();
  // Creates the evaluator for `job`; a bad job (an unknown component, bad params, data that
  // cannot give a batch in this process when a proxy feeds batches) throws nas::Error naming
  // it.
  virtual std::unique_ptr<Evaluator> create(const EvaluationJob& job) const = 0;
  // In a worker process: serves the coordinator until told to stop and returns this process's
  // exit status. In the process that runs the pipeline: nullopt. See the contract above.
  virtual std::optional<int> serve_if_worker() const { return std::nullopt; }
};

}  // namespace nas
