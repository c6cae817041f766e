// Internal: progress of a stage, as a bar on a terminal, log lines otherwise, or JSON lines.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace nas {

class Progress {
 public:
  Progress(bool json_lines, bool enabled);
  void start(const std::string& stage, std::int64_t total);
  void advance(std::int64_t n);
  void finish();
  // A line of output for people (stdout), or a JSON "message" event.
  void message(const std::string& text);

 private:
  void draw(bool final);
  bool json_;
  bool enabled_;
  bool terminal_;
  std::string stage_;
  std::int64_t total_ = 0;
  std::int64_t done_ = 0;
  std::int64_t last_logged_decile_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace nas
