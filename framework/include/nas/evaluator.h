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
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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
  // Creates the evaluator for `job`; a bad job (an unknown component, bad params) throws
  // nas::Error naming it.
  virtual std::unique_ptr<Evaluator> create(const EvaluationJob& job) const = 0;
};

}  // namespace nas
