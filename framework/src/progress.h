// Internal: progress of a stage, as a bar on a terminal, log lines otherwise, or JSON lines.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace nas {

class Progress {
 public:
  Progress(bool json_lines, bool enabled);
  // `already_done`: units done before this process began (a resumed stage), left out of the
  // rate. JSON progress events come at most every `json_interval` seconds (0: every advance).
  void start(const std::string& stage, std::int64_t total, std::int64_t already_done = 0,
             double json_interval = 0);
  void advance(std::int64_t n);
  // Sets the units done and the stage's own figures: `text` follows the bar on a terminal and
  // the log lines; `fields` join the JSON progress events.
  void update(std::int64_t done, const std::string& text, const nlohmann::json& fields);
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
  std::int64_t already_done_ = 0;
  double json_interval_ = 0;
  std::string text_;
  nlohmann::json fields_ = nlohmann::json::object();
  std::chrono::steady_clock::time_point last_json_;
  std::int64_t last_logged_decile_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace nas
