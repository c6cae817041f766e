#include "run_files.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>

#include "nas/csv.h"
#include "nas/error.h"

namespace nas::detail {

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

ScoresWriter::ScoresWriter(const std::string& path) : path_(path) {
  const bool fresh = !std::filesystem::exists(path) || std::filesystem::file_size(path) == 0;
  file_ = std::fopen(path.c_str(), "a");
  if (!file_) throw Error(path + ": cannot open for writing (" + std::strerror(errno) + ")");
  if (fresh) {
    std::fprintf(file_, "%s\n", kScoresHeader);
    std::fflush(file_);
  }
}

ScoresWriter::~ScoresWriter() {
  if (file_) std::fclose(file_);
}

void ScoresWriter::append(const Evaluation& e, const std::map<std::string, std::string>& hashes) {
  for (const auto& r : e.scores) {
    auto h = hashes.find(r.proxy);
    std::fprintf(file_, "%s,%s,%s,%s,%.6f,%llu,%s,%s,%s\n", csv_field(e.arch.str()).c_str(),
                 csv_field(r.proxy).c_str(), csv_field(r.version).c_str(),
                 format_score(r.score).c_str(), r.seconds, static_cast<unsigned long long>(r.seed),
                 to_string(r.status), h == hashes.end() ? "" : h->second.c_str(),
                 csv_field(r.message).c_str());
  }
  std::fflush(file_);
}

std::vector<ScoreRow> read_scores(const std::string& path) {
  CsvTable t = read_csv(path);
  const std::size_t c_arch = t.column("arch"), c_proxy = t.column("proxy"),
                    c_version = t.column("version"), c_score = t.column("score"),
                    c_seconds = t.column("seconds"), c_seed = t.column("seed"),
                    c_status = t.column("status"), c_hash = t.column("config_hash"),
                    c_message = t.column("message");
  std::vector<ScoreRow> rows;
  rows.reserve(t.rows.size());
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& f = t.rows[i];
    const std::string at = path + ":" + std::to_string(t.lines[i]);
    ScoreRow row;
    row.arch = f[c_arch];
    row.record.proxy = f[c_proxy];
    row.record.version = f[c_version];
    const std::string& s = f[c_score];
    if (s == "nan") {
      row.record.score = std::numeric_limits<double>::quiet_NaN();
    } else if (s == "inf" || s == "-inf") {
      row.record.score = s[0] == '-' ? -HUGE_VAL : HUGE_VAL;
    } else {
      row.record.score = parse_double(s, at + ": score");
    }
    row.record.seconds = parse_double(f[c_seconds], at + ": seconds");
    try {
      row.record.seed = std::stoull(f[c_seed]);
    } catch (const std::exception&) {
      throw Error(at + ": seed '" + f[c_seed] + "' is not an unsigned integer");
    }
    try {
      row.record.status = score_status_from_string(f[c_status]);
    } catch (const Error& e) {
      throw Error(at + ": " + e.what());
    }
    row.config_hash = f[c_hash];
    row.record.message = f[c_message];
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace nas::detail
