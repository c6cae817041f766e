#include "progress.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

namespace nas {

Progress::Progress(bool json_lines, bool enabled)
    : json_(json_lines), enabled_(enabled), terminal_(isatty(fileno(stderr)) != 0) {}

void Progress::start(const std::string& stage, std::int64_t total, std::int64_t already_done,
                     double json_interval) {
  stage_ = stage;
  total_ = total;
  done_ = already_done_ = already_done;
  json_interval_ = json_interval;
  text_.clear();
  fields_ = nlohmann::json::object();
  last_logged_decile_ = total > 0 ? already_done * 10 / total : -1;
  start_ = last_draw_ = last_json_ = std::chrono::steady_clock::now();
  if (json_) {
    std::printf("%s\n", nlohmann::json{{"event", "stage_start"}, {"stage", stage}, {"total", total}}
                            .dump()
                            .c_str());
    std::fflush(stdout);
  }
}

void Progress::advance(std::int64_t n) {
  done_ += n;
  draw(false);
}

void Progress::update(std::int64_t done, const std::string& text, const nlohmann::json& fields) {
  done_ = done;
  text_ = text;
  fields_ = fields;
  draw(false);
}

void Progress::finish() {
  draw(true);
  stage_.clear();  // no bar to clear before later messages
}

void Progress::draw(bool final) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_ - already_done_) / elapsed : 0.0;
  if (json_) {
    if (!final && json_interval_ > 0 &&
        std::chrono::duration<double>(now - last_json_).count() < json_interval_) {
      return;
    }
    last_json_ = now;
    nlohmann::json event{{"event", final ? "stage_end" : "progress"},
                         {"stage", stage_},
                         {"done", done_},
                         {"total", total_},
                         {"seconds", elapsed},
                         {"per_second", rate}};
    for (const auto& [key, value] : fields_.items()) event[key] = value;
    std::printf("%s\n", event.dump().c_str());
    std::fflush(stdout);
    return;
  }
  if (terminal_) {
    if (!final && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
    last_draw_ = now;
    const int width = 30;
    const int filled = total_ > 0 ? static_cast<int>(width * done_ / total_) : width;
    std::string bar(static_cast<std::size_t>(std::min(filled, width)), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%-7s [%s] %lld/%lld  %.2f/s  %.0fs%s%s\033[K", stage_.c_str(),
                 bar.c_str(), static_cast<long long>(done_), static_cast<long long>(total_), rate,
                 elapsed, text_.empty() ? "" : "  ", text_.c_str());
    if (final) std::fprintf(stderr, "\n");
    std::fflush(stderr);
    return;
  }
  const std::int64_t decile = total_ > 0 ? done_ * 10 / total_ : 10;
  if (decile != last_logged_decile_ || final) {
    last_logged_decile_ = decile;
    spdlog::info("{}: {}/{} ({:.2f}/s, {:.0f}s){}{}", stage_, done_, total_, rate, elapsed,
                 text_.empty() ? "" : ", ", text_);
  }
}

void Progress::message(const std::string& text) {
  // A bar being drawn on the terminal is cleared first; the next update draws it again.
  if (enabled_ && terminal_ && !json_ && !stage_.empty()) std::fprintf(stderr, "\r\033[K");
  if (json_) {
    std::printf("%s\n", nlohmann::json{{"event", "message"}, {"text", text}}.dump().c_str());
  } else {
    std::printf("%s\n", text.c_str());
  }
  std::fflush(stdout);
}

}  // namespace nas
