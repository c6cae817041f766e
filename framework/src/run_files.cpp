#include "run_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>

#include "nas/csv.h"
#include "nas/error.h"

namespace nas::detail {

namespace fs = std::filesystem;

std::string format_score(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // The shortest of %.15g/%.16g/%.17g that reads back to the same double: exact, and
  // 89.7 stays 89.7.
  char buf[64];
  for (int precision : {15, 16, 17}) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

namespace {

std::string errno_text() { return std::strerror(errno); }

// Writes all of `text` to `fd`; false (errno set) when the file system refused part of it.
bool write_fully(int fd, const std::string& text) {
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

ScoresWriter::ScoresWriter(const std::string& path) : path_(path) {
  // A write beyond a file-size limit must fail with EFBIG, not kill the process.
  std::signal(SIGXFSZ, SIG_IGN);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(path + ": cannot open for writing (" + errno_text() + ")");
  // Cut an incomplete last line (it was never a whole row) before appending.
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw Error(path + ": cannot stat (" + errno_text() + ")");
  off_t keep = 0;
  if (st.st_size > 0) {
    const std::string text = read_text_file(path);
    const std::size_t last = text.rfind('\n');
    keep = last == std::string::npos ? 0 : static_cast<off_t>(last + 1);
  }
  if (keep != st.st_size && ::ftruncate(fd_, keep) != 0) {
    const std::string why = errno_text();
    ::close(fd_);
    throw Error(path + ": cannot cut its incomplete last line (" + why + ")");
  }
  if (::lseek(fd_, 0, SEEK_END) < 0) throw Error(path + ": cannot seek (" + errno_text() + ")");
  if (keep == 0) write_all(std::string(kScoresHeader) + "\n");
}

ScoresWriter::~ScoresWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void ScoresWriter::write_all(const std::string& text) {
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  if (before < 0 || !write_fully(fd_, text)) {
    const std::string why = errno_text();
    // Leave no torn line behind: the rows written before this call stay readable.
    if (before >= 0 && ::ftruncate(fd_, before) == 0) ::lseek(fd_, before, SEEK_SET);
    throw Error(path_ + ": could not write scores (" + why +
                "); the rows written before this one are kept, and re-running resumes from them");
  }
}

std::string format_score_row(const std::string& arch, const ScoreRecord& r,
                             const std::string& config_hash) {
  char number[64];
  std::snprintf(number, sizeof number, "%.6f,%llu,", r.seconds,
                static_cast<unsigned long long>(r.seed));
  return csv_field(arch) + "," + csv_field(r.proxy) + "," + csv_field(r.version) + "," +
         format_score(r.score) + "," + number + to_string(r.status) + "," + config_hash + "," +
         csv_field(r.message) + "\n";
}

void ScoresWriter::append(const Evaluation& e, const std::map<std::string, std::string>& hashes) {
  std::string text;
  for (const auto& r : e.scores) {
    auto h = hashes.find(r.proxy);
    text += format_score_row(e.arch.str(), r, h == hashes.end() ? "" : h->second);
  }
  write_all(text);
}

ScoresFile read_scores_file(const std::string& path) {
  ScoresFile out;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw UsageError(path + ": is a directory; expected the run's scores.csv");
  }
  std::string text;
  try {
    text = read_text_file(path);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  if (!text.empty() && text.back() != '\n') {
    const std::size_t last = text.rfind('\n');
    const std::size_t keep = last == std::string::npos ? 0 : last + 1;
    out.dropped_line = text.substr(keep);
    text.resize(keep);
  }
  if (text.empty()) return out;
  CsvTable t;
  std::size_t c_arch, c_proxy, c_version, c_score, c_seconds, c_seed, c_status, c_hash, c_message;
  try {
    t = parse_csv(text, path);
    c_arch = t.column("arch");
    c_proxy = t.column("proxy");
    c_version = t.column("version");
    c_score = t.column("score");
    c_seconds = t.column("seconds");
    c_seed = t.column("seed");
    c_status = t.column("status");
    c_hash = t.column("config_hash");
    c_message = t.column("message");
  } catch (const Error& e) {
    throw UsageError(std::string(e.what()) + " (a corrupt scores.csv: move it away to start over)");
  }
  out.rows.reserve(t.rows.size());
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& f = t.rows[i];
    const std::string at = path + ":" + std::to_string(t.lines[i]);
    ScoreRow row;
    row.arch = f[c_arch];
    row.record.proxy = f[c_proxy];
    row.record.version = f[c_version];
    const std::string& s = f[c_score];
    try {
      if (s == "nan") {
        row.record.score = std::numeric_limits<double>::quiet_NaN();
      } else if (s == "inf" || s == "-inf") {
        row.record.score = s[0] == '-' ? -HUGE_VAL : HUGE_VAL;
      } else {
        row.record.score = parse_double(s, at + ": score");
      }
      row.record.seconds = parse_double(f[c_seconds], at + ": seconds");
      std::size_t used = 0;
      const std::string& seed = f[c_seed];
      bool ok = !seed.empty() && seed[0] != '-';
      if (ok) {
        try {
          row.record.seed = std::stoull(seed, &used);
        } catch (const std::exception&) {
          ok = false;
        }
      }
      if (!ok || used != seed.size()) {
        throw Error(at + ": seed '" + printable(seed) + "' is not an unsigned integer");
      }
      row.record.status = score_status_from_string(f[c_status]);
    } catch (const Error& e) {
      const std::string what = e.what();
      throw UsageError((what.rfind(path, 0) == 0 ? what : at + ": " + what) +
                       " (a corrupt scores.csv: move it away to start over)");
    }
    row.config_hash = f[c_hash];
    row.record.message = f[c_message];
    out.rows.push_back(std::move(row));
  }
  return out;
}

std::vector<ScoreRow> read_scores(const std::string& path) { return read_scores_file(path).rows; }

void write_file_atomic(const std::string& path, const std::string& text) {
  std::signal(SIGXFSZ, SIG_IGN);
  std::random_device rd;
  const std::string temp = path + ".tmp" + std::to_string(::getpid()) + "_" +
                           std::to_string(rd() & 0xffff);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path + ": cannot write (" + errno_text() + ")");
  const bool ok = write_fully(fd, text);
  const std::string why = ok ? "" : errno_text();
  if (::close(fd) != 0 || !ok) {
    const std::string reason = why.empty() ? errno_text() : why;
    ::unlink(temp.c_str());
    throw Error(path + ": could not write (" + reason + ")");
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = errno_text();
    ::unlink(temp.c_str());
    throw Error(path + ": could not write (" + reason + ")");
  }
}

RunDirLock::RunDirLock(const std::string& dir) {
  const std::string path = (fs::path(dir) / ".lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw UsageError(path + ": cannot open the run directory's lock (" + errno_text() + ")");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {0};
    const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    ::close(fd_);
    fd_ = -1;
    throw UsageError(dir + ": another nas process" +
                     (holder.empty() ? std::string() : " (pid " + printable(holder) + ")") +
                     " is writing to this run directory; wait for it, or choose another "
                     "run.out_dir");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) == 0) {
    // The pid is a courtesy for the message above; the lock itself is the flock.
    [[maybe_unused]] ssize_t n = ::pwrite(fd_, pid.data(), pid.size(), 0);
  }
}

RunDirLock::~RunDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace nas::detail
