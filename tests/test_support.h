// Helpers shared by the test executables: locations given by CTest, temporary directories,
// running the `nas` CLI and capturing its output.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "nas/csv.h"
#include "nas/paths.h"
#include "nas/search_space.h"

namespace nas::test {

// TE-NAS's thin network for linear regions: one normal cell on one channel, no stem, 3x3
// inputs (10 classes).
inline nas::NetSpec thin_spec() {
  nas::NetSpec spec{10, 1, 3};
  spec.width = 1;
  spec.depth = 1;
  spec.max_cells = 1;
  spec.stem = false;
  return spec;
}

inline std::string env_or(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v ? std::string(v) : fallback;
}
// The Python oracle (/usr/bin/python3 with torch; setup.sh installs it) is required: without
// it an oracle test fails, unless NAS_ALLOW_MISSING_ORACLE=1 is set, which skips it instead.
// For use in a test body only (both branches return from it).
#define NAS_ORACLE_MISSING(why)                                                              \
  do {                                                                                       \
    if (::nas::test::env_or("NAS_ALLOW_MISSING_ORACLE") == "1") GTEST_SKIP() << (why);       \
    FAIL() << (why) << ": the Python oracle is required (setup.sh installs python3-torch); " \
           << "set NAS_ALLOW_MISSING_ORACLE=1 to skip the oracle tests instead";             \
  } while (0)

inline std::string source_dir() { return env_or("NAS_SOURCE_DIR", "."); }
inline std::string binary_dir() { return env_or("NAS_BINARY_DIR", "build"); }
inline std::string cli() { return env_or("NAS_CLI", binary_dir() + "/bin/nas"); }
inline std::string fixture_plugins(const std::string& name) {
  return binary_dir() + "/tests/fixture_plugins/" + name;
}

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() : path_(nas::make_temp_dir("nas_test_")) {}
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name)) << text;
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr together
};

inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  int raw = pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  return r;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `nas -q run YAML EXTRA`: EXTRA carries overrides (`key=value ...`) or options.
inline CommandResult nas_run(const std::string& yaml_path, const std::string& extra = "") {
  return run_command("'" + cli() + "' -q run '" + yaml_path + "' " + extra);
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A CSV file's header and rows without its `seconds` column (wall times differ between runs).
inline std::vector<std::vector<std::string>> rows_without_seconds(const std::string& path) {
  nas::CsvTable t = nas::read_csv(path);
  const std::size_t seconds = t.column("seconds");
  std::vector<std::vector<std::string>> out;
  t.header.erase(t.header.begin() + static_cast<long>(seconds));
  out.push_back(t.header);
  for (auto row : t.rows) {
    row.erase(row.begin() + static_cast<long>(seconds));
    out.push_back(row);
  }
  return out;
}

}  // namespace nas::test
