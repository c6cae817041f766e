// Internal: the files of a run directory (scores.csv append/read, trace, JSON helpers).
#pragma once

#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "nas/evaluator.h"

namespace nas::detail {

inline constexpr const char* kScoresHeader =
    "arch,proxy,version,score,seconds,seed,status,config_hash,message";

// One row of scores.csv.
struct ScoreRow {
  std::string arch;
  ScoreRecord record;
  std::string config_hash;
};

// Appends rows and flushes after every architecture, so a killed run keeps its scores.
class ScoresWriter {
 public:
  explicit ScoresWriter(const std::string& path);
  ~ScoresWriter();
  void append(const Evaluation& evaluation, const std::map<std::string, std::string>& hashes);

 private:
  std::FILE* file_ = nullptr;
  std::string path_;
};

std::vector<ScoreRow> read_scores(const std::string& path);
std::string format_score(double value);

}  // namespace nas::detail
