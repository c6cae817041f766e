// Evaluator: scores batches of architectures with the configured proxies.
//
// Contract: evaluate() takes a batch of architectures and returns one Evaluation per
// architecture, in the order given, each with one ScoreRecord per proxy. A proxy that throws,
// runs out of memory or returns NaN/inf yields a record with that status (and the message),
// never an exception out of evaluate(). Scores depend only on (master seed, proxy,
// architecture), never on batch composition, worker count or order. The listener, when set,
// is called once per finished architecture (from the calling thread, in order) so callers can
// persist results as they arrive. The local evaluator runs a TBB pool; an MPI evaluator
// implements the same interface.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nas/arch.h"

namespace nas {

enum class ScoreStatus { kOk, kNonFinite, kError, kOutOfMemory, kCached };

const char* to_string(ScoreStatus status);
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
  virtual std::vector<Evaluation> evaluate(const std::vector<Arch>& archs) = 0;
  void set_listener(Listener listener) { listener_ = std::move(listener); }

 protected:
  void notify(const Evaluation& evaluation) const {
    if (listener_) listener_(evaluation);
  }

 private:
  Listener listener_;
};

}  // namespace nas
