// Internal: the files of a run directory — the lock, scores.csv, atomic whole-file writes.
//
// Contract: every write into a run directory is checked; a failure throws nas::Error naming
// the file and the reason (a full disk says "No space left on device"). scores.csv only ever
// grows by whole lines: each architecture's rows go out in one write() and, should that write
// fail part-way, the file is cut back to where it was, so the rows already written stay valid
// and a resume reads them. A file whose last line is incomplete (a crash of an older version,
// a copy cut short) is read without that line, and the writer cuts it off before appending.
// Other files (manifest, resolved config, best architecture, reports) are replaced atomically:
// written to a temporary file in the same folder, then renamed over the old one.
#pragma once

#include <cstdio>
#include <map>
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

struct ScoresFile {
  std::vector<ScoreRow> rows;
  std::string dropped_line;  // an incomplete last line that was left out ("" when none)
};

// Reads scores.csv. A malformed complete line throws nas::UsageError naming file:line.
ScoresFile read_scores_file(const std::string& path);
std::vector<ScoreRow> read_scores(const std::string& path);

// One line of scores.csv, with its newline.
std::string format_score_row(const std::string& arch, const ScoreRecord& record,
                             const std::string& config_hash);

// Appends architectures' rows to scores.csv (created with its header when new or empty).
class ScoresWriter {
 public:
  explicit ScoresWriter(const std::string& path);
  ~ScoresWriter();
  ScoresWriter(const ScoresWriter&) = delete;
  ScoresWriter& operator=(const ScoresWriter&) = delete;

  // Throws nas::Error naming the file when the rows could not be written whole.
  void append(const Evaluation& evaluation, const std::map<std::string, std::string>& hashes);
  const std::string& path() const { return path_; }

 private:
  void write_all(const std::string& text);
  int fd_ = -1;
  std::string path_;
};

std::string format_score(double value);

// Replaces `path` with `text` atomically; throws nas::Error naming the file.
void write_file_atomic(const std::string& path, const std::string& text);

// An exclusive lock on a run directory (flock on DIR/.lock), held while the object lives.
// A second holder is refused with nas::UsageError naming the directory and the holder's pid.
class RunDirLock {
 public:
  explicit RunDirLock(const std::string& dir);
  ~RunDirLock();
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace nas::detail
